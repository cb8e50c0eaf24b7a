// cdcnn coverage: the paper's Figure 3 for any plan — coverage of one device
// failure against the number of additional devices, 2MR against CDC+2MR
// (definitions and the strategies in framework/plan/coverage.hpp).

#include <cstdio>
#include <optional>

#include "cli/command.hpp"
#include "core/error.hpp"
#include "core/spec_string.hpp"
#include "io/model_file.hpp"
#include "plan/coverage.hpp"
#include "plan/memory.hpp"

namespace cdcnn::cli {

int coverage_command(const Args& args) {
  po::options_description options("cdcnn coverage options");
  options.add_options()("plan", po::value<std::string>()->required(),
                        "plan file: lines of 'LAYER K CODE RANKS...', a rank for every shard, and 'input RANK...' for "
                        "the devices holding the input (default: the master, not analysed)");
  add_model_option(options,
                   "model file or zoo name to check the plan's layers and k against, and to estimate each rank's "
                   "memory (weights, shards, activations, buffers)",
                   nullptr, Presence::optional);
  options.add_options()(
      "max-extra", po::value<int>(), "additional devices to add, one per step (default: the plan's devices)")(
      "parity-code", po::value<std::string>()->default_value("sum"),
      "systematic code whose parity shards CDC adds to an uncoded layer")(
      "memory-mb", po::value<double>()->default_value(0.0),
      "with --model: name the ranks whose memory estimate exceeds this many MB (e.g. 1000 for a Pi 3); 0: none");
  add_csv_option(options, "also write the curves as CSV to this file ('-': print CSV instead)");
  add_plugin_option(options);
  po::variables_map vm;
  if (!parse(args, "usage: cdcnn coverage --plan FILE [--model NAME|FILE] [--max-extra N] [--parity-code SPEC] [--memory-mb MB] [--csv FILE|-]\n"
                   "Coverage of one device failure (the fraction of single-device failures after which every\n"
                   "split layer still decodes, added devices included) as devices are added one at a time:\n"
                   "2MR replicates a device; CDC+2MR adds a parity device for layers a code covers and\n"
                   "replicates the rest. Greedy: each step adds the device that covers the most.",
             options, vm))
    return 0;
  load_plugins(vm);

  const Plan plan = load_plan(vm["plan"].as<std::string>());
  // Only shapes are needed: a skeleton (no weights drawn or read).
  std::optional<Model> model;
  if (vm.count("model")) {
    model.emplace(open_model_option(vm["model"].as<std::string>(), 0, "coverage", WeightSelection::none()));
    check_plan_against_model(plan, *model);
  }
  const double memory_mb = vm["memory-mb"].as<double>();
  require(memory_mb >= 0, "--memory-mb must be 0 (no limit) or a positive number of MB");
  CoverageOptions settings;
  if (vm.count("max-extra")) {
    settings.max_extra = vm["max-extra"].as<int>();
    require(settings.max_extra >= 0, "--max-extra must be at least 0, got ", settings.max_extra);
  }
  settings.parity_code = vm["parity-code"].as<std::string>();
  try {
    code_registry().entry(SpecString::parse(settings.parity_code, "--parity-code").name);
  } catch (const Error& e) {
    std::string what = e.what();
    if (what.rfind("code: ", 0) == 0) what.erase(0, 6);  // the registry's prefix: the flag says it
    throw Error(cat("--parity-code: ", what));
  }
  const CoverageCurves curves = coverage_curves(plan, settings);

  print_table_or_csv(vm, format_coverage_table(curves), format_coverage_csv(curves));
  if (model && !(vm.count("csv") && vm["csv"].as<std::string>() == "-")) {
    // The layout's devices as the star runtime would hold them, each reading
    // its own shards (--weights-from file), one compute thread.
    const auto memory = estimate_memory(*model, plan, plan_world_size(plan),
                                        MemoryOptions{.master_sends_weights = false});
    std::printf("\nmemory by rank, MB (10^6 bytes), estimated for the star runtime with --weights-from file "
                "(docs/architecture.md §3):\n%s",
                format_memory_table(memory).c_str());
    if (memory_mb > 0) {
      std::string over;
      for (const auto& m : memory)
        if (static_cast<double>(m.total()) > memory_mb * 1e6) over += cat(over.empty() ? "" : ", ", m.rank);
      std::printf("%s\n", over.empty() ? cat("every rank fits --memory-mb ", memory_mb).c_str()
                                       : cat("over --memory-mb ", memory_mb, ": rank(s) ", over).c_str());
    }
  }
  return 0;
}

}  // namespace cdcnn::cli
