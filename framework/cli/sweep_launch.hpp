#pragma once
// How cdcnn's commands start a sweep's runs (`cdcnn sweep`, and `cdcnn plan
// --validate`, which sweeps its own plans): one launcher invocation per run
// of this very executable, with root allowed when we are root (the runs are
// meant), the suite's keys checked against cdcnn run's flags.

#include <string>

#include "sweep/runner.hpp"

namespace cdcnn::cli {

/// The launcher both commands default to (--mpirun).
inline constexpr const char* kDefaultLauncher = "mpirun -q --oversubscribe --enable-recovery";

/// The options of a sweep writing to `out_dir` (made absolute). `launcher` is
/// the --mpirun text (words separated by blanks), `hostfile` may be empty.
/// Errors name --mpirun or --hostfile: a launcher not found, an unreadable
/// hostfile; or this executable if it was replaced since it started.
sweep::SweepOptions sweep_options(const std::string& out_dir, const std::string& launcher,
                                  const std::string& hostfile, double timeout_s);

}  // namespace cdcnn::cli
