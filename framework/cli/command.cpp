#include "cli/command.hpp"

#include <iostream>

#include "core/error.hpp"

namespace cdcnn::cli {

bool parse(const Args& args, const std::string& usage, po::options_description& options, po::variables_map& vm,
           const po::positional_options_description* positional) {
  po::options_description common("Common options");
  common.add_options()("help,h", "print this help and exit")(
      "config", po::value<std::string>(), "read further options from FILE (lines of 'name = value')");
  po::options_description all;
  all.add(options).add(common);
  try {
    auto parser = po::command_line_parser(args).options(all);
    if (positional) parser.positional(*positional);
    po::store(parser.run(), vm);
    if (vm.count("config")) {
      const std::string file = vm["config"].as<std::string>();
      try {
        po::store(po::parse_config_file<char>(file.c_str(), all), vm);
      } catch (const po::reading_file&) {
        throw Error(cat("--config: cannot read '", file, "'"));
      }
    }
    if (vm.count("help")) {
      std::cout << usage << "\n\n" << all << "\n";
      return false;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw Error(e.what());
  }
  return true;
}

}  // namespace cdcnn::cli
