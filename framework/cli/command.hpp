#pragma once
// The `cdcnn` command's subcommands. Each parses its own options (Boost
// .Program_options, with --help and an optional --config file of key = value
// lines), does its job and returns the process exit code. Errors are thrown
// as cdcnn::Error and printed once, by main.

#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include "cli/options.hpp"

namespace cdcnn::cli {

/// Arguments after the subcommand name.
using Args = std::vector<std::string>;

/// Parses `args` against `options` (plus --help and --config). Returns false
/// if --help was given, after printing `usage` and the options. Unknown or
/// malformed options become an Error naming the flag.
bool parse(const Args& args, const std::string& usage, po::options_description& options,
           po::variables_map& vm, const po::positional_options_description* positional = nullptr);

int infer_command(const Args& args);
int inspect_command(const Args& args);
int codes_command(const Args& args);
int encode_command(const Args& args);
int run_command(const Args& args);
int report_command(const Args& args);
int sweep_command(const Args& args);
int accuracy_command(const Args& args);
int coverage_command(const Args& args);
int profile_command(const Args& args);
int plan_command(const Args& args);

}  // namespace cdcnn::cli
