// cdcnn coverage: the paper's Figure 3 for any plan — coverage of one device
// failure against the number of additional devices, 2MR against CDC+2MR
// (definitions and the strategies in framework/plan/coverage.hpp).

#include <cstdio>

#include "cli/command.hpp"
#include "core/error.hpp"
#include "core/spec_string.hpp"
#include "io/model_file.hpp"
#include "plan/coverage.hpp"

namespace cdcnn::cli {

int coverage_command(const Args& args) {
  po::options_description options("cdcnn coverage options");
  options.add_options()("plan", po::value<std::string>()->required(),
                        "plan file: lines of 'LAYER K CODE RANKS...', a rank for every shard, and 'input RANK...' for "
                        "the devices holding the input (default: the master, not analysed)");
  add_model_option(options, "model file or zoo name to check the plan's layers and k against", nullptr,
                   Presence::optional);
  options.add_options()(
      "max-extra", po::value<int>(), "additional devices to add, one per step (default: the plan's devices)")(
      "parity-code", po::value<std::string>()->default_value("sum"),
      "systematic code whose parity shards CDC adds to an uncoded layer");
  add_csv_option(options, "also write the curves as CSV to this file ('-': print CSV instead)");
  add_plugin_option(options);
  po::variables_map vm;
  if (!parse(args, "usage: cdcnn coverage --plan FILE [--model NAME|FILE] [--max-extra N] [--parity-code SPEC] [--csv FILE|-]\n"
                   "Coverage of one device failure (the fraction of single-device failures after which every\n"
                   "split layer still decodes, added devices included) as devices are added one at a time:\n"
                   "2MR replicates a device; CDC+2MR adds a parity device for layers a code covers and\n"
                   "replicates the rest. Greedy: each step adds the device that covers the most.",
             options, vm))
    return 0;
  load_plugins(vm);

  const Plan plan = load_plan(vm["plan"].as<std::string>());
  if (vm.count("model")) check_plan_against_model(plan, open_model_option(vm["model"].as<std::string>(), 0, "coverage"));
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
  return 0;
}

}  // namespace cdcnn::cli
