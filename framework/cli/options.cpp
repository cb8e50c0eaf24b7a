#include "cli/options.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <algorithm>

#include "core/error.hpp"
#include "io/model_file.hpp"
#include "runtime/run_config.hpp"

namespace cdcnn::cli {

void add_model_option(po::options_description& options, const char* help, std::string* to, Presence presence) {
  auto* value = po::value<std::string>(to);
  if (presence == Presence::required) value->required();
  options.add_options()("model", value, help);
}

std::vector<int> parse_number_list(const std::string& flag, const std::string& text, int lo, int hi,
                                  const std::string& what) {
  std::vector<int> out;
  if (text == "none" || text == "-") return out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    int value = 0;
    std::size_t used = 0;
    try {
      value = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    require(used > 0 && used == item.size() && value >= lo && value <= hi, flag, ": '", item, "' in '", text,
            "' is not a number in ", lo, "..", hi, " (", what, ")");
    require(std::find(out.begin(), out.end(), value) == out.end(), flag, ": ", value, " is listed twice in '", text,
            "'");
    out.push_back(value);
  }
  require(!out.empty(), flag, ": empty list (give numbers separated by commas, or 'none')");
  return out;
}

Model open_model_option(const std::string& name_or_path, std::uint64_t seed, const char* command,
                        const WeightSelection& weights) {
  Model model = open_model(name_or_path, seed, weights);
  for (const auto& w : model.warnings()) std::fprintf(stderr, "cdcnn %s: warning: %s\n", command, w.c_str());
  return model;
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
