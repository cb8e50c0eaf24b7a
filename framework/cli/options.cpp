#include "cli/options.hpp"

#include <cstdio>
#include <fstream>

#include "core/error.hpp"
#include "runtime/run_config.hpp"

namespace cdcnn::cli {

void add_model_option(po::options_description& options, const char* help, std::string* to, Presence presence) {
  auto* value = po::value<std::string>(to);
  if (presence == Presence::required) value->required();
  options.add_options()("model", value, help);
}

void add_seed_option(po::options_description& options, const char* help, std::uint64_t* to) {
  options.add_options()("seed", po::value<std::uint64_t>(to)->default_value(0), help);
}

void add_threads_option(po::options_description& options, int* to) {
  options.add_options()("threads", po::value<int>(to)->default_value(1),
                        "compute threads (per rank under mpirun) for convolutions, dense layers, pooling and decoding; "
                        "results are the same for any count");
}

void add_csv_option(po::options_description& options, const char* help) {
  options.add_options()("csv", po::value<std::string>(), help);
}

void print_table_or_csv(const po::variables_map& vm, const std::string& table, const std::string& csv) {
  const std::string path = vm.count("csv") ? vm["csv"].as<std::string>() : "";
  if (path == "-") {
    std::fputs(csv.c_str(), stdout);
    return;
  }
  std::fputs(table.c_str(), stdout);
  if (path.empty()) return;
  std::ofstream out(path);
  out << csv;
  require(out.good(), "--csv: cannot write '", path, "'");
}

void add_plugin_option(po::options_description& options, std::vector<std::string>* to) {
  options.add_options()("code-plugin", po::value<std::vector<std::string>>(to)->composing(),
                        "load codes from this shared library (repeatable)");
}

void load_plugins(const po::variables_map& vm) {
  if (vm.count("code-plugin")) runtime::load_code_plugins(vm["code-plugin"].as<std::vector<std::string>>());
}

}  // namespace cdcnn::cli
