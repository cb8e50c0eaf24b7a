#pragma once
// cdcnn plan --validate DIR: the chosen plan and its alternatives, each run
// under the stragglers and failures the prediction assumed (one run of a
// sweep each: experiments/sweep), and the measured p50/p99 set beside the
// predicted ones. Resumable as any sweep: runs already done in DIR are kept.
//
//   DIR/plans/NAME.plan   every candidate's plan (NAME from its label)
//   DIR/validate.suite    the sweep: model, ranks, plan = every file, the
//                         faults, deadline, inferences, seed
//   DIR/runs/, DIR/summary.csv   as `cdcnn sweep` writes them
//   DIR/validation.csv    predicted against measured, one row per candidate

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "plan/planner.hpp"
#include "sweep/runner.hpp"
#include "trace/summary.hpp"

namespace cdcnn::cli {

struct ValidationSetup {
  std::string model;      ///< as given to cdcnn plan (a file is made absolute)
  int devices = 0;        ///< ranks of every run
  std::string straggler;  ///< the delay model's spec
  double fail_prob = 0;   ///< run as --fail drop:p=...: one (rank, inference, layer) lost with this probability
  double deadline_ms = 0;
  std::int64_t inferences = 0;  ///< measured, after the warm-up
  std::int64_t warmup = 1;      ///< inferences run first and left out of the measurement
  std::uint64_t seed = 0;
};

/// "planner", "all uncoded", "best single code: sum" -> "planner",
/// "all-uncoded", "best-single-code-sum": a file name.
std::string candidate_file_name(const std::string& label);

/// The suite text that runs each of `plan_files` (relative to the suite's
/// directory) once under `setup`'s conditions, warm-up included.
std::string validation_suite(const ValidationSetup& setup, const std::vector<std::string>& plan_files);

/// A run's summary without its first `warmup` inferences: the first of a
/// run pays for first touches of memory (3× a later one's latency for
/// AlexNet), which the prediction, a steady state, leaves out; with a
/// hundred inferences that one would be the p99.
TraceSummary summarize_after_warmup(Trace trace, const std::string& name, std::int64_t warmup);

/// One candidate, predicted and (if its run finished) measured.
struct ValidationRow {
  std::string label;
  Prediction predicted;
  std::optional<TraceSummary> measured;
  std::string error;  ///< why there is no measurement
};

/// The comparison as an aligned table: predicted and measured p50 and p99,
/// the p99's relative error, degraded inferences.
std::string format_validation(const std::vector<ValidationRow>& rows);
/// The same as CSV (RFC 4180, core/csv.hpp).
std::string validation_csv(const std::vector<ValidationRow>& rows);

/// Writes the plans and the suite into options.out_dir, runs what is not
/// done yet (cli/sweep_launch.hpp's options), progress on `progress`; returns
/// a row per candidate, in order. Error if the sweep was interrupted.
std::vector<ValidationRow> validate_plans(const std::vector<PlanCandidate>& candidates, const ValidationSetup& setup,
                                          const sweep::SweepOptions& options, std::ostream& progress);

}  // namespace cdcnn::cli
