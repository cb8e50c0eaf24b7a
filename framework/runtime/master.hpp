#pragma once
// The master (rank 0), star topology (docs/architecture.md §3). It runs the model layer by
// layer; at a split layer it sends the layer input to every shard holder
// (nonblocking), keeps one receive posted per worker, and polls without
// spinning. The moment the arrived shards are decodable it decodes, assembles
// the layer output (biases are inside the shards) and moves on: it never
// waits for a straggler it can decode around. At the per-layer deadline an
// undecodable layer is handled by the policy; results that arrive after
// their layer is done are recorded as late and dropped.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codes/outcome.hpp"
#include "runtime/buffer_pool.hpp"
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
};

struct InferenceResult {
  std::int64_t inference = 0;
  InferenceOutcome outcome = InferenceOutcome::exact;
  std::optional<Tensor> output;  ///< empty if failed
  double start_ms = 0.0;  ///< since the master started
  double latency_ms = 0.0;
  int blocks_decoded = 0;
  CheckResult check = CheckResult::unchecked;  ///< with MasterOptions::check
};

class Master {
 public:
  /// `trace` may be null. Posts one receive per worker.
  Master(const Model& model, const Deployment& deployment, MasterOptions options, int world_size,
         TraceWriter* trace);
  ~Master();  // cancels pending receives, then waits for its sends briefly

  /// Runs one inference on `x`. Layer and shard rows go to the trace; the
  /// caller adds the inference row (it may verify the output first) and flushes.
  InferenceResult infer(const Tensor& x, std::int64_t inference);
  /// Tells every worker to stop and waits up to `timeout_ms` for their
  /// acknowledgements (suspects get less); returns the ranks that did not
  /// answer: dead, or unreachable. mpirun does not tell: its exit code stays
  /// 0 when a worker is killed under --enable-recovery. Then says goodbye to
  /// the others; if any rank did not answer, no process may call
  /// MPI_Finalize (mpi::Environment::leave_without_finalize).
  std::vector<int> stop_workers(double timeout_ms = 3000.0);
  std::int64_t late_results() const { return late_; }
  /// Each worker's peak resident memory (MB) as its stop acknowledgement
  /// said, indexed by rank; NaN where unknown (no acknowledgement). Rank 0's
  /// entry is NaN: the caller measures its own.
  const std::vector<double>& worker_peak_rss_mb() const { return peak_rss_mb_; }
  const WorkerHealth& health() const { return health_; }
  /// Every health event of the run so far, oldest first.
  const std::vector<WorkerHealth::Event>& health_log() const { return health_log_; }

 private:
  struct SplitOutcome {
    std::optional<Tensor> output;
    InferenceOutcome outcome;
    int blocks_decoded;
    CheckResult check;
  };
  SplitOutcome run_split(const DeployedLayer& split, const Tensor& x, std::int64_t inference);
  struct Dispatch {
    ShardMask sent;      ///< the shards whose holders were sent the input
    double dispatch_ms;  ///< when
  };
  /// Sends the layer input to its holders (suspects skipped where the rest
  /// can decode); keeps the sends until they complete.
  Dispatch dispatch(const DeployedLayer& split, const Tensor& x, std::int64_t inference);
  double now_ms() const;
  void reap_sends();
  /// Tests every worker's receive once; hands each message to
  /// `on_result(rank, header, tag)`, keeps the health books. True if anything came.
  template <class OnResult>
  bool poll(OnResult&& on_result);
  void log_health();

  const Model& model_;
  const Deployment& deployment_;
  MasterOptions options_;
  int world_size_;
  TraceWriter* trace_;
  double start_wtime_;
  // Every buffer below is allocated once and reused by every layer of every
  // inference (docs/architecture.md §3, "Buffers"). A result is received into its
  // rank's receive buffer, which is then swapped with the slot of its shard:
  // the slot is what the decode reads, and a verbatim block is used there in
  // place; the old slot takes the next receive. Nothing is copied until the
  // layer's output tensor is assembled.
  std::vector<std::vector<float>> receive_buffers_;  // per rank, max_result_floats() each
  std::vector<mpi::Request> receives_;               // per rank (0 unused)
  std::vector<std::vector<float>> shard_slots_;      // per shard of the layer in flight, same size
  std::vector<std::vector<float>> padding_blocks_;   // decode targets of blocks that overhang the output
  BufferPool messages_;                              // the layers' input messages
  std::vector<Tensor> spares_;  // values the model pass no longer needs: storage for split layers' outputs
  /// A tensor of `shape` for a split layer's output, in a spare's storage if
  /// one has its size (contents: whatever was there).
  Tensor output_tensor(const Shape& shape);
  /// Drops the spares no split layer's output could use.
  void trim_spares();
  struct Send {
    BufferPool::Buffer message;  // shared by the sends of one dispatch
    mpi::Request request;
    int rank;
  };
  std::vector<Send> sends_;
  std::int64_t late_ = 0;
  WorkerHealth health_;
  std::vector<WorkerHealth::Event> health_log_;
  std::vector<double> peak_rss_mb_;
};

}  // namespace cdcnn::runtime
