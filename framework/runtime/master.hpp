#pragma once
// Rank 0 of a distributed run (docs/architecture.md §3, docs/runtime.md): the
// options every decoding rank applies, an inference's result, and Master,
// rank 0's front to the dataflow runtime (runtime/node.hpp). Wherever a
// split layer is decoded, it is decoded the moment the arrived shards are
// decodable (biases are inside the shards): nobody waits for a straggler it
// can decode around. At the per-layer deadline an undecodable layer is
// handled by the policy; results that arrive after their layer is done are
// recorded as late and dropped.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codes/outcome.hpp"
#include "runtime/deployment.hpp"
#include "runtime/health.hpp"
#include "runtime/mpi.hpp"
#include "trace/trace.hpp"

namespace cdcnn::runtime {

enum class DeadlinePolicy {
  wait,       ///< keep waiting past the deadline (up to give_up_ms)
  zero_fill,  ///< fill what cannot be decoded with zeros, flag the inference degraded
  fail,       ///< report the inference failed
};
/// "wait", "zero-fill" or "fail"; Error naming --policy otherwise.
DeadlinePolicy parse_policy(const std::string& text);

struct MasterOptions {
  double deadline_ms = 1000.0;
  DeadlinePolicy policy = DeadlinePolicy::zero_fill;
  double give_up_ms = 30000.0;  ///< with `wait`: fail an inference after this long at one layer
  int suspect_after = 2;         ///< misses (deadline_ms of silence with work outstanding) before suspicion
  int probe_every = 10;          ///< inferences between probes of a suspected worker
  /// Wait (up to the deadline) for every shard, and check that they agree
  /// with each other: locate and decode around a worker sending wrong
  /// numbers when there are two spare shards, flag it with one, say
  /// "unverified" with none. Costs the wait for the slowest shard.
  bool check = false;
  /// A frame whose output has not reached rank 0 this long after it was
  /// admitted fails (a stage it needs is down). 0: never in the star (rank 0
  /// decides every layer by the deadlines); with stages elsewhere, give_up_ms
  /// under `wait`, else deadline_ms × (split layers + 2).
  double frame_timeout_ms = 0.0;
};

struct InferenceResult {
  std::int64_t inference = 0;
  InferenceOutcome outcome = InferenceOutcome::exact;
  std::optional<Tensor> output;  ///< empty if failed
  double start_ms = 0.0;  ///< since the master started
  double latency_ms = 0.0;
  int blocks_decoded = 0;
  CheckResult check = CheckResult::unchecked;  ///< with MasterOptions::check
  std::string note;  ///< why a failed frame failed (the layer and the rank), for a one-line report
};

class Node;

/// Rank 0 of a run: the source of the frames and the sink of the outputs,
/// and whatever the plan places on it (in the star, every layer that is not
/// split: it sends each split layer's input to the shard holders and decodes
/// the moment the arrived shards are decodable). A front to its Node
/// (runtime/node.hpp), which does the work.
class Master {
 public:
  /// `trace` may be null. Posts one receive per rank that may send to rank 0.
  Master(const Model& model, const Deployment& deployment, MasterOptions options, int world_size,
         TraceWriter* trace, int in_flight = 1, MPI_Comm comm = MPI_COMM_WORLD);
  ~Master();  // cancels pending receives, then waits for its sends briefly

  /// Runs one inference on `x` (nothing else in flight). Layer and shard rows
  /// go to the trace; the caller adds the inference row (it may verify the
  /// output first) and flushes.
  InferenceResult infer(const Tensor& x, std::int64_t inference);
  /// Streams: admits frame `inference` (at most `in_flight` at once: see
  /// in_flight()), and takes the oldest frame's result once it is ready;
  /// step() does the work between (false: nothing happened).
  void admit(const Tensor& x, std::int64_t inference);
  std::optional<InferenceResult> take_result();
  bool step();
  std::size_t in_flight() const;
  /// Tells every other rank to stop and waits up to `timeout_ms` for their
  /// acknowledgements (suspects get less); returns the ranks that did not
  /// answer: dead, or unreachable. mpirun does not tell: its exit code stays
  /// 0 when a worker is killed under --enable-recovery. Then says goodbye to
  /// the others; if any rank did not answer, no process may call
  /// MPI_Finalize (mpi::Environment::leave_without_finalize).
  std::vector<int> stop_workers(double timeout_ms = 3000.0);
  /// Late messages: rank 0's, and those the other ranks counted (known once they acknowledged the stop).
  std::int64_t late_results() const;
  /// Each rank's peak resident memory (MB) as its stop acknowledgement
  /// said, indexed by rank; NaN where unknown (no acknowledgement). Rank 0's
  /// entry is NaN: the caller measures its own.
  const std::vector<double>& worker_peak_rss_mb() const;
  const WorkerHealth& health() const;
  /// Every health event of the run so far (rank 0's view), oldest first.
  const std::vector<WorkerHealth::Event>& health_log() const;

 private:
  std::unique_ptr<Node> node_;
};

}  // namespace cdcnn::runtime
