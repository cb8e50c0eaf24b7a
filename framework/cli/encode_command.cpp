#include <chrono>
#include <cstdio>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "core/error.hpp"
#include "io/coded_file.hpp"
#include "io/model_file.hpp"

namespace cdcnn::cli {

int encode_command(const Args& args) {
  po::options_description options("cdcnn encode options");
  add_model_option(options, "model file or zoo name");
  options.add_options()(
      "plan", po::value<std::string>(), "plan file: lines of 'LAYER K CODE [RANKS...]'")(
      "split", po::value<std::vector<std::string>>()->composing(),
      "one plan line given inline, e.g. --split 'classifier.1 4 mds:r=2' (repeatable)")(
      "out", po::value<std::string>()->required(), "coded-weight HDF5 file to write");
  add_seed_option(options, "seed for zoo weights when no file is at hand");
  add_plugin_option(options);
  po::variables_map vm;
  if (!parse(args, "usage: cdcnn encode --model NAME|FILE (--plan FILE | --split 'LAYER K CODE' ...) --out FILE\n"
                   "Computes every shard's coded weights offline and writes model + shards to one file.",
             options, vm))
    return 0;
  require(vm.count("plan") != 0 || vm.count("split") != 0, "give the layers to split with --plan FILE or --split");
  require(!(vm.count("plan") && vm.count("split")), "--plan and --split cannot be used together");
  load_plugins(vm);

  Plan plan;
  if (vm.count("plan")) {
    plan = load_plan(vm["plan"].as<std::string>());
  } else {
    std::string text;
    for (const auto& line : vm["split"].as<std::vector<std::string>>()) text += line + "\n";
    plan = parse_plan(text, "--split");
  }
  require(!plan.splits.empty(), plan.source, ": the plan splits no layer");

  const Model model = open_model_option(vm["model"].as<std::string>(), vm["seed"].as<std::uint64_t>(), "encode");
  const auto start = std::chrono::steady_clock::now();
  const std::string out = vm["out"].as<std::string>();
  const auto layers = write_coded_file(out, model, plan);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%-16s %-14s %3s %3s %10s %12s\n", "layer", "code", "k", "n", "rows/shard", "overhead");
  for (const auto& c : layers)
    std::printf("%-16s %-14s %3d %3d %10lld %11.2fx\n", c.layer.c_str(), c.code_spec.c_str(), c.k, c.n,
                static_cast<long long>(c.rows_per_block),
                static_cast<double>(c.n * c.rows_per_block) / static_cast<double>(c.rows));
  std::printf("wrote %s in %.2f s\n", out.c_str(), seconds);
  return 0;
}

}  // namespace cdcnn::cli
