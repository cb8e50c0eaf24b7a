// cdcnn sweep: a suite of cdcnn runs (experiments/sweep/suite.hpp), one
// mpirun per run, resumable, with a summary CSV (experiments/README.md).

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>

#include "cli/command.hpp"
#include "cli/run_options.hpp"
#include "cli/sweep_launch.hpp"
#include "codes/registry.hpp"
#include "core/error.hpp"
#include "core/spec_string.hpp"
#include "fault/injector.hpp"
#include "sweep/process.hpp"
#include "sweep/runner.hpp"
#include "sweep/suite.hpp"

namespace cdcnn::cli {

namespace {

namespace fs = std::filesystem;
using namespace sweep;

/// The working directory changed for a scope: runs start in the suite's
/// directory, so the fault specs' relative paths (empirical:file=...) are
/// checked from there too.
class WorkingDirectory {
 public:
  explicit WorkingDirectory(const fs::path& dir) : previous_(fs::current_path()) { fs::current_path(dir); }
  ~WorkingDirectory() {
    std::error_code ignored;
    fs::current_path(previous_, ignored);
  }
  WorkingDirectory(const WorkingDirectory&) = delete;
  WorkingDirectory& operator=(const WorkingDirectory&) = delete;

 private:
  fs::path previous_;
};

/// Codes and fault specs are checked here, before any run starts, so that a
/// typo is a one-line error naming the suite line, not a sweep of failures.
void check_values(const Suite& suite) {
  const SuiteKey* code = suite.find("code");
  if (code && !suite.find("code_plugin"))  // plugin codes are known only once cdcnn run loads them
    for (const auto& v : code->values) {
      try {
        code_registry().entry(SpecString::parse(v, "code").name);
      } catch (const Error& e) {
        const std::string what = e.what();  // "code: unknown code ...": the key is named once
        throw Error(suite.where(*code) + (what.rfind("code: ", 0) == 0 ? what.substr(6) : what));
      }
    }
  const SuiteKey* ranks = suite.find("ranks");
  const WorkingDirectory in_suite_directory(suite.directory);
  for (const char* name : {"straggler", "fail"}) {
    const SuiteKey* key = suite.find(name);
    if (!key) continue;
    for (const auto& value : key->values) {
      std::vector<std::string> specs;
      std::istringstream pieces(value);
      for (std::string piece; std::getline(pieces, piece, ';');)
        if (piece.find_first_not_of(" \t") != std::string::npos)
          specs.push_back(piece.substr(piece.find_first_not_of(" \t"), piece.find_last_not_of(" \t") + 1 -
                                                                           piece.find_first_not_of(" \t")));
      for (const auto& r : ranks->values) {
        try {
          const bool straggler = std::string(name) == "straggler";
          FaultInjector(0, straggler ? specs : std::vector<std::string>{},
                        straggler ? std::vector<std::string>{} : specs, std::atoi(r.c_str()));
        } catch (const Error& e) {
          throw Error(cat(suite.where(*key), e.what(), " (with ranks = ", r, ")"));
        }
      }
    }
  }
}

}  // namespace

int sweep_command(const Args& args) {
  po::options_description options("cdcnn sweep options");
  options.add_options()("suite", po::value<std::string>()->required(), "suite file (experiments/README.md)")(
      "out", po::value<std::string>()->required(), "directory for traces, logs, results and summary.csv")(
      "hostfile", po::value<std::string>(), "passed to mpirun (--hostfile FILE)")(
      "dry-run", po::bool_switch(), "list the runs and their commands (done or to run); run nothing")(
      "mpirun", po::value<std::string>()->default_value(kDefaultLauncher),
      "launcher and its flags; the runner adds [--hostfile F] -np RANKS cdcnn run ...")(
      "timeout-s", po::value<double>(), "per-run limit, then the run is killed (default: the suite's timeout_s, else 900)");
  po::variables_map vm;
  if (!parse(args, "usage: cdcnn sweep --suite FILE --out DIR [--hostfile FILE] [--dry-run] [--mpirun CMD]", options,
             vm))
    return 0;

  const Suite suite = load_suite(vm["suite"].as<std::string>());
  const std::vector<Run> runs = expand(suite, file_plan_reader(suite));

  const double timeout_s = vm.count("timeout-s") ? vm["timeout-s"].as<double>() : suite.timeout_s.value_or(900.0);
  const SweepOptions o = sweep_options(vm["out"].as<std::string>(), vm["mpirun"].as<std::string>(),
                                       vm.count("hostfile") ? vm["hostfile"].as<std::string>() : "", timeout_s);
  check_keys_against_flags(suite, o.run_flags);
  check_values(suite);

  if (vm["dry-run"].as<bool>()) {
    std::size_t done = 0;
    for (const auto& run : runs) {
      const bool finished = is_finished(o.out_dir, run.id);
      done += finished;
      std::printf("%s  %s  %s\n", run.id.c_str(), finished ? "done  " : "to-run", shell_quote(run_command_line(run, o)).c_str());
    }
    std::fprintf(stderr, "cdcnn sweep: %zu run(s), %zu done, %zu to run (dry run: nothing started)\n", runs.size(),
                 done, runs.size() - done);
    return 0;
  }

  fs::create_directories(o.out_dir);
  // The suite as it was run, beside its results.
  const fs::path suite_copy = fs::path(o.out_dir) / fs::path(suite.source).filename();
  std::error_code same;
  if (!fs::equivalent(suite.source, suite_copy, same))
    fs::copy_file(suite.source, suite_copy, fs::copy_options::overwrite_existing);
  install_interrupt_handlers();
  const SweepReport report = run_sweep(suite, runs, o, std::cerr);
  const std::string summary = (fs::path(o.out_dir) / "summary.csv").string();
  if (report.interrupted) {
    std::fprintf(stderr, "cdcnn sweep: interrupted: %zu of %zu runs done; the same command resumes (summary: %s)\n",
                 report.ok, report.runs, summary.c_str());
    return 130;
  }
  std::fprintf(stderr, "cdcnn sweep: %zu run(s): %zu ok (%zu skipped, done before), %zu failed; summary: %s\n",
               report.runs, report.ok, report.skipped, report.failed, summary.c_str());
  return report.failed ? 1 : 0;
}

}  // namespace cdcnn::cli
