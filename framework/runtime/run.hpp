#pragma once
// One distributed run, called on every rank with the same configuration
// (docs/architecture.md §3). In order:
//   1. set-up on every rank (plugins, checks, model, plan, deployment, the
//      memory estimate against --memory-mb, faults, weights from the coded
//      file, the input, the trace), then the start-up
//      vote: one collective, so that a bad flag or file ends every rank
//      cleanly and the lowest rank that failed says why, once;
//   2. with WeightSource::master, the master encodes and sends the shards,
//      loading one split layer's weights at a time (unless it verifies, or
//      the caller gave the model);
//      a barrier, then the start-up watchdog (if any) is disarmed;
//   3. ranks 1.. run the worker loop; rank 0 runs the inferences, writing a
//      trace row per inference and telling the caller about each one;
//   4. goodbye: the master stops the workers and reports who did not answer.
// `cdcnn run`, the runtime's MPI tests and the latency benchmark all run
// through here.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "plan/memory.hpp"
#include "runtime/master.hpp"
#include "runtime/run_config.hpp"
#include "runtime/watchdog.hpp"
#include "runtime/worker.hpp"

namespace cdcnn::runtime {

/// What a caller adds to a RunConfig. Every member is optional.
struct RunHooks {
  /// Fills the config first, on every rank, inside the start-up vote (cdcnn
  /// run parses its flags here, so that a bad flag is agreed on like a bad
  /// file). Returns false if there is nothing to run (--help).
  std::function<bool(RunConfig&)> configure;
  /// A model and plan built in memory, used instead of config.model and
  /// config.plan_file / the default plan (tests, benchmarks). Every rank
  /// then uses this model as it is; from config.model, a worker builds a
  /// weightless skeleton and holds only its shards, and the master builds
  /// the weights of the layers it runs (and all the split ones to verify;
  /// to encode, one at a time).
  const Model* model = nullptr;
  const Plan* plan = nullptr;
  /// The input of inference i, on the master. Default: config.input_file
  /// for every inference, else normal values drawn from config.seed and i.
  std::function<Tensor(std::int64_t inference)> input;
  /// A trace the caller opened, used instead of opening config.trace_file.
  TraceWriter* trace = nullptr;
  /// The command line, recorded in the trace opened from config.trace_file.
  std::string command_line;
  /// Called on the master after every inference, once its trace row is
  /// written: the input, the result, and the output's maximum relative error
  /// against single-process inference (NaN unless config.verify).
  std::function<void(const Tensor& input, InferenceResult&& result, double error)> on_inference;
  /// Disarmed once start-up is over: every rank has its weights.
  Watchdog* startup = nullptr;
};

struct RunOutcome {
  bool ran = false;  ///< false: configure returned false, or set-up failed on another rank (the lowest one that failed throws)
  // The master's (rank 0):
  std::int64_t late_results = 0;
  std::int64_t frames_dropped = 0;  ///< --rate: frames the source could not admit (the pipeline was full)
  double frames_wall_s = 0;         ///< from the first frame admitted to the last result taken
  std::vector<WorkerHealth::Event> health;  ///< every health event, oldest first
  std::vector<int> unanswered;              ///< ranks that did not acknowledge the stop
  std::vector<std::string> hosts;           ///< every rank's host, by rank
  std::vector<double> peak_rss_mb;          ///< every rank's peak resident memory (MB), by rank; NaN: unknown
  std::vector<RankMemory> memory;           ///< every rank's estimated memory (plan/memory.hpp), by rank
  // Every rank's:
  /// Bytes of whole layers' weights this rank's model holds once start-up is
  /// over (a worker: none, its shards apart; the master: the layers it runs).
  std::int64_t weight_bytes = 0;
  // A worker's (ranks 1..):
  WorkerStats worker;
  /// Set: this process must end with this exit code without MPI_Finalize
  /// (mpi::Environment::leave_without_finalize): a peer died.
  std::optional<int> leave_code;
};

/// Runs `config` on this rank (all of MPI_COMM_WORLD takes part). A set-up
/// error is thrown (as Error) by the lowest rank that had one, prefixed
/// "rank R: " unless R is 0; the other ranks return with `ran` false. A
/// worker that hears nothing from the master for config.master_timeout_s
/// says so on stderr and returns.
RunOutcome run_distributed(RunConfig& config, const RunHooks& hooks = {});

}  // namespace cdcnn::runtime
