// cdcnn report: run traces side by side — one row per trace (docs/architecture.md §5).

#include <cstdio>
#include <filesystem>

#include "cli/command.hpp"
#include "core/error.hpp"
#include "trace/summary.hpp"

namespace cdcnn::cli {

int report_command(const Args& args) {
  po::options_description options("cdcnn report options");
  options.add_options()("trace", po::value<std::vector<std::string>>()->required(), "trace files of cdcnn run");
  add_csv_option(options, "also write the table as CSV to this file ('-': print CSV instead)");
  po::positional_options_description positional;
  positional.add("trace", -1);
  po::variables_map vm;
  if (!parse(args, "usage: cdcnn report TRACE.h5... [--csv FILE|-]", options, vm, &positional)) return 0;

  std::vector<TraceSummary> rows;
  for (const auto& path : vm["trace"].as<std::vector<std::string>>())
    rows.push_back(summarize(read_trace(path), std::filesystem::path(path).stem().string()));
  print_table_or_csv(vm, format_table(rows), format_csv(rows));
  return 0;
}

}  // namespace cdcnn::cli
