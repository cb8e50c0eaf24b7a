#include <cstdio>
#include <iostream>

#include "cli/command.hpp"
#include "core/error.hpp"
#include "core/text_table.hpp"
#include "cli/options.hpp"
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

  const Model model = open_model_option(vm["model"].as<std::string>(), vm["seed"].as<std::uint64_t>(), "inspect");
  std::printf("model %s, input %s%s\n", model.name().c_str(), to_string(model.input_shape()).c_str(),
              model.is_sequential() ? "" : ", a graph (each layer's inputs listed)");
  // A sequential model's inputs are always the previous layer: no column.
  const bool graph = !model.is_sequential();
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"#", "name", "kind"});
  if (graph) rows.back().push_back("inputs");
  for (const char* h : {"output", "parameters", "MFLOPs", "GEMM view (m x q x P)"}) rows.back().push_back(h);
  for (std::size_t i = 0; i < model.size(); ++i) {
    const Layer& l = model.layer(i);
    std::vector<std::string> row = {std::to_string(i), l.name(), std::string(l.kind())};
    if (graph) row.push_back(model.input_names(i));
    std::string gemm;
    if (const LinearLayer* lin = l.as_linear())
      gemm = cat(lin->rows(), " x ", lin->cols(), " x ", numel(model.output_shape_of(i)) / lin->rows());
    for (std::string cell : {to_string(model.output_shape_of(i)), std::to_string(l.parameter_count()),
                             format_cell(static_cast<double>(l.flops(model.input_shape_of(i))) / 1e6, "%.1f"), gemm})
      row.push_back(std::move(cell));
    rows.push_back(std::move(row));
  }
  const Align r = Align::right, left = Align::left;
  std::vector<Align> align = {r, left, left};
  if (graph) align.push_back(left);
  for (Align a : {left, r, r, left}) align.push_back(a);
  std::fputs(format_text_table(rows, align).c_str(), stdout);
  std::printf("total: %lld parameters, %.3f GFLOPs per inference, peak activation memory %.2f MB\n",
              static_cast<long long>(model.parameter_count()), model.flops() / 1e9,
              static_cast<double>(model.peak_activation_bytes()) / 1e6);
  return 0;
}

}  // namespace cdcnn::cli
