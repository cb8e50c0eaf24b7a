#include <cstdio>

#include "cli/command.hpp"
#include "codes/code_table.hpp"
#include "core/error.hpp"

namespace cdcnn::cli {

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
