#include <cstdio>
#include <iostream>

#include "cli/command.hpp"
#include "io/model_file.hpp"

namespace cdcnn::cli {

int inspect_command(const Args& args) {
  po::options_description options("cdcnn inspect options");
  add_model_option(options, "model file or zoo name");
  add_seed_option(options, "seed for zoo weights when no file is at hand");
  po::positional_options_description positional;
  positional.add("model", 1);
  po::variables_map vm;
  if (!parse(args, "usage: cdcnn inspect FILE|ZOO-NAME", options, vm, &positional)) return 0;

  const Model model = open_model(vm["model"].as<std::string>(), vm["seed"].as<std::uint64_t>());
  std::printf("model %s, input %s\n", model.name().c_str(), to_string(model.input_shape()).c_str());
  std::printf("%4s  %-16s %-18s %-16s %12s %10s  %s\n", "#", "name", "kind", "output", "parameters", "MFLOPs",
              "GEMM view (m x q x P)");
  for (std::size_t i = 0; i < model.size(); ++i) {
    const Layer& l = model.layer(i);
    std::string gemm;
    if (const LinearLayer* lin = l.as_linear())
      gemm = std::to_string(lin->rows()) + " x " + std::to_string(lin->cols()) + " x " +
             std::to_string(numel(model.shapes()[i + 1]) / lin->rows());
    std::printf("%4zu  %-16s %-18s %-16s %12lld %10.1f  %s\n", i, l.name().c_str(), std::string(l.kind()).c_str(),
                to_string(model.shapes()[i + 1]).c_str(), static_cast<long long>(l.parameter_count()),
                l.flops(model.shapes()[i]) / 1e6, gemm.c_str());
  }
  std::printf("total: %lld parameters, %.3f GFLOPs per inference\n",
              static_cast<long long>(model.parameter_count()), model.flops() / 1e9);
  return 0;
}

}  // namespace cdcnn::cli
