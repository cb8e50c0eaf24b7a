#pragma once
// `cdcnn run`'s flags: one Boost.Program_options description that fills a
// runtime::RunConfig, one flag per field, the field's value when the
// description is made as the flag's default. `cdcnn run` parses with it, and
// `cdcnn sweep` checks a suite's keys against it (run_flags), in-process.

#include "cli/command.hpp"
#include "runtime/run_config.hpp"
#include "sweep/suite.hpp"

namespace cdcnn::cli {

/// The usage line of cdcnn run --help.
inline constexpr const char* kRunUsage =
    "usage: mpirun -np N cdcnn run --model NAME|FILE [--plan FILE | --code SPEC] [options]";

/// Adds cdcnn run's flags to `options`, each storing into its field of
/// `config` (which must outlive the parse).
void add_run_options(po::options_description& options, runtime::RunConfig& config);

/// Parses `args` into `config`; false if --help was given (after printing
/// it). Error naming the flag for an unknown flag or a malformed value.
bool parse_run_options(const Args& args, runtime::RunConfig& config);

/// cdcnn run's flags as a suite sees them (names with '_'): which take a
/// value, and their defaults.
sweep::RunFlags run_flags();

}  // namespace cdcnn::cli
