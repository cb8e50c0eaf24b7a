// cdcnn: coded distributed inference of DNNs. `main` dispatches to the
// subcommands and is the one place errors are caught and printed.

#include <H5public.h>

#include <functional>
#include <iostream>
#include <map>

#include "cli/command.hpp"
#include "core/error.hpp"

namespace {

struct Subcommand {
  std::function<int(const cdcnn::cli::Args&)> run;
  const char* summary;
};

const std::map<std::string, Subcommand>& subcommands() {
  using namespace cdcnn::cli;
  static const std::map<std::string, Subcommand> table = {
      {"accuracy", {accuracy_command, "test-set accuracy with shards of one layer lost, coded or not (offline)"}},
      {"infer", {infer_command, "single-device inference: top-5 classes, time, or dataset accuracy"}},
      {"inspect", {inspect_command, "layers, shapes, parameters and FLOPs of a model"}},
      {"codes", {codes_command, "registered codes: shards, tolerance, overhead, conditioning"}},
      {"coverage", {coverage_command, "coverage of one device failure vs added devices, 2MR and CDC+2MR"}},
      {"encode", {encode_command, "offline encoding: a model and a plan to a coded-weight file"}},
      {"plan", {plan_command, "choose splits and codes from a profile by predicted latency; write the plan"}},
      {"profile", {profile_command, "time every layer and shard on this device, and every link under mpirun"}},
      {"run", {run_command, "distributed inference under mpirun: coded shards on worker ranks"}},
      {"report", {report_command, "run traces side by side: latency percentiles, outcomes, overhead"}},
      {"sweep", {sweep_command, "a suite of runs: one mpirun each, resumable, traces and a summary CSV"}},
  };
  return table;
}

void print_usage(std::ostream& out) {
  out << "usage: cdcnn <command> [options]   (cdcnn <command> --help for its options)\n\ncommands:\n";
  for (const auto& [name, sub] : subcommands()) out << "  " << name << std::string(10 - name.size(), ' ')
                                                    << sub.summary << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    print_usage(argc < 2 ? std::cerr : std::cout);
    return argc < 2 ? 2 : 0;
  }
  const std::string name = argv[1];
  auto it = subcommands().find(name);
  if (it == subcommands().end()) {
    std::string known;
    for (const auto& [command, sub] : subcommands()) known += (known.empty() ? "" : ", ") + command;
    std::cerr << "cdcnn: unknown command '" << name << "' (commands: " << known << "; cdcnn --help)\n";
    return 2;
  }
  try {
    return it->second.run(cdcnn::cli::Args(argv + 2, argv + argc));
  } catch (const cdcnn::Error& e) {
    std::cerr << "cdcnn " << name << ": " << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "cdcnn " << name << ": out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "cdcnn " << name << ": internal error: " << e.what() << "\n";
    return 1;
  }
}
