#include <cstdio>

#include "cli/command.hpp"
#include "codes/code_table.hpp"
#include "codes/plugin_loader.hpp"
#include "core/error.hpp"

namespace cdcnn::cli {

void add_plugin_option(po::options_description& options) {
  options.add_options()("code-plugin", po::value<std::vector<std::string>>()->composing(),
                        "load codes from this shared library (repeatable)");
}

void load_plugins(const po::variables_map& vm) {
  if (!vm.count("code-plugin")) return;
  for (const auto& path : vm["code-plugin"].as<std::vector<std::string>>()) {
    try {
      load_code_plugin(path);
    } catch (const Error& e) {
      throw Error(cat("--code-plugin: ", e.what()));
    }
  }
}

int codes_command(const Args& args) {
  po::options_description options("cdcnn codes options");
  options.add_options()("k", po::value<int>()->default_value(4), "data blocks to build every code for");
  add_plugin_option(options);
  po::variables_map vm;
  if (!parse(args, "usage: cdcnn codes [--k K] [--code-plugin LIB.so ...]\n"
                   "Lists every registered code, built with its default parameters for k data blocks:\n"
                   "shards n, losses always survived, storage overhead n/k, and the worst condition number\n"
                   "of any decoding system (how much float rounding a decode can amplify).",
             options, vm))
    return 0;
  const int k = vm["k"].as<int>();
  require(k >= 1 && k <= 32, "--k must be between 1 and 32, got ", k);
  load_plugins(vm);
  std::fputs(format_code_table(code_table(k)).c_str(), stdout);
  return 0;
}

}  // namespace cdcnn::cli
