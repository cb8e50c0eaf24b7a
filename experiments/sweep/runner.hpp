#pragma once
// The sweep runner: one mpirun per run of an expanded suite, each writing
// its HDF5 trace; one result file per run; a summary CSV with one row per
// run. Resumable: a run is finished when OUT/runs/ID.done exists (written
// only after mpirun returned 0 and the trace read back) and its trace is
// still there; finished runs are skipped.
//
//   OUT/runs/ID.h5     the run's trace (cdcnn run --trace)
//   OUT/runs/ID.log    mpirun's stdout and stderr
//   OUT/runs/ID.json   the run's parameters, provenance, status, error, command
//   OUT/runs/ID.done   the run finished and its trace reads back
//   OUT/plans/ID.plan  the plan filled in from a template (suites with {k}/{code})
//   OUT/summary.csv    one row per run of the suite (rewritten after every run)

#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sweep/provenance.hpp"
#include "sweep/suite.hpp"
#include "trace/summary.hpp"

namespace cdcnn::sweep {

struct SweepOptions {
  std::string out_dir;                ///< absolute
  std::vector<std::string> launcher;  ///< e.g. mpirun -q --oversubscribe --enable-recovery
  std::string hostfile;               ///< absolute, or empty
  std::string cdcnn;                  ///< absolute path of the cdcnn executable
  double timeout_s = 900;             ///< per run
  double grace_s = 5;                 ///< between SIGTERM and SIGKILL at the limit
  RunFlags run_flags;                 ///< cdcnn run's flags (cli/run_options.hpp); may be empty
  Provenance provenance;
  std::vector<std::string> env;       ///< the launcher's whole environment
};

struct RunPaths {
  std::string trace, log, result, done, plan;
};
RunPaths run_paths(const std::string& out_dir, const std::string& id);

/// launcher [--hostfile F] -np RANKS cdcnn run --key value ... --trace OUT/runs/ID.h5
/// (a switch is --key when true and absent when false; a value with ';'
/// gives the flag once per piece; k only fills the plan template, whose
/// filled copy OUT/plans/ID.plan is passed as --plan).
std::vector<std::string> run_command_line(const Run& run, const SweepOptions& options);
/// The command line as one shell-quoted string (logs, result files, --dry-run).
std::string shell_quote(const std::vector<std::string>& argv);

/// True if the run finished in an earlier invocation: ID.done and ID.h5 exist.
bool is_finished(const std::string& out_dir, const std::string& id);
/// Indices of the runs that are not finished, in suite order.
std::vector<std::size_t> pending_runs(const std::vector<Run>& runs, const std::string& out_dir);

/// How many inferences the run must have recorded: its `inferences`, else
/// cdcnn run's default from `flags`; nullopt if neither says.
std::optional<long long> expected_inferences(const Run& run, const RunFlags& flags);

/// What one run gave: a row of the summary.
struct RunResult {
  std::string id;
  std::string status = "pending";  ///< ok, failed, or pending (not run yet: interrupted sweep)
  std::string error;               ///< one line; empty when ok
  std::vector<std::pair<std::string, std::string>> parameters;  ///< as Run, plus repetition
  Provenance provenance;
  std::string started_utc;
  double elapsed_s = 0;
  int exit_code = 0;
  std::string command;
  std::optional<TraceSummary> summary;  ///< when the trace (maybe partial) reads back
};

/// Reads the trace back and summarises it; "" if all is well, else why not
/// (unreadable trace, fewer inferences recorded than asked for).
std::string check_trace(const std::string& trace_path, const std::string& id, std::optional<long long> expected,
                        std::optional<TraceSummary>& summary);

/// The run's result file: a flat JSON object of strings (and two numbers).
void write_result_file(const std::string& path, const RunResult& result);
/// The fields of a result file (all values as strings); Error if unreadable.
std::map<std::string, std::string> read_result_file(const std::string& path);

/// The summary: header and one row per result. Columns: run_id, the suite's
/// keys in file order, repetition, status, error, the provenance, started_utc,
/// elapsed_s, trace (runs/ID.h5, relative to OUT), then the columns of format_csv (framework/trace/summary.hpp) but
/// its `run` (the run ID again), and mean_ms; a trace column whose name
/// the suite already uses gets the prefix trace_ (trace_inferences). Fields
/// are quoted as core/csv.hpp says (RFC 4180); parse_csv reads them back.
std::string summary_csv(const Suite& suite, const std::vector<RunResult>& results);

struct SweepReport {
  std::size_t runs = 0, skipped = 0, ok = 0, failed = 0;
  bool interrupted = false;
};

/// Runs every pending run of `runs` (in order), writing the files above and
/// a progress line per run on `progress`. A failed run is recorded and the
/// sweep goes on; an interrupt (SIGINT/SIGTERM/SIGHUP after
/// install_interrupt_handlers) kills the running one and stops.
SweepReport run_sweep(const Suite& suite, const std::vector<Run>& runs, const SweepOptions& options,
                      std::ostream& progress);

/// "42 s", "3:07", "1:02:03".
std::string format_duration(double seconds);

}  // namespace cdcnn::sweep
