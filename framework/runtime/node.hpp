#pragma once
// One rank of the dataflow runtime (docs/runtime.md, "Placement" and
// "Streams"). Every rank runs a Node over the same deployment: it computes
// the layers placed on it and the shards it holds, sends each value it makes
// straight to the ranks that read it, and decodes the split layers whose
// output it reads, on the first decodable set of shards, with the deadline
// and policy of MasterOptions. Rank 0 is also the source of the frames and
// the sink of the outputs, delivered in order. The star — every unsplit layer
// on rank 0 — is the plan that places nothing: rank 0 then sends every split
// layer's input and decodes it, as in Hadidi et al., DAC '19.
//
// A Node never blocks: step() receives what has arrived, sends what is due,
// decodes what can be decoded (or must be, at a deadline) and computes at
// most one ready layer, oldest frame first. Frames in flight overlap across
// ranks: a stage works on frame f + 1 while the next works on frame f.
// Messages are named by (frame, layer, shard); a late or duplicate one is
// dropped, never mixed into a newer frame.

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "codes/outcome.hpp"
#include "fault/injector.hpp"
#include "runtime/buffer_pool.hpp"
#include "runtime/deployment.hpp"
#include "runtime/health.hpp"
#include "runtime/master.hpp"
#include "runtime/mpi.hpp"
#include "runtime/protocol.hpp"
#include "runtime/worker.hpp"
#include "trace/trace.hpp"

namespace cdcnn::runtime {

struct NodeOptions {
  MasterOptions master;
  int in_flight = 1;          ///< most frames admitted and not yet delivered (every rank must agree)
  double start_wtime = 0.0;   ///< MPI_Wtime() at the common start (time-based fail-stops, trace times)
  /// The run's own communicator (run_distributed duplicates the world's for
  /// each run): a message still in flight when a run ends — from one rank
  /// to another, which rank 0's stop does not drain — can then never be
  /// taken for a message of the next run in the same processes.
  MPI_Comm comm = MPI_COMM_WORLD;
};

class Node {
 public:
  /// `faults` may be null (no faults); `trace` (rank 0) may be null. Posts
  /// one receive per rank that may send here.
  Node(const Model& model, const Deployment& deployment, const ShardWeights& weights, const FaultInjector* faults,
       NodeOptions options, int rank, int world_size, TraceWriter* trace);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  /// One round of work; false if nothing happened (the caller may pause).
  bool step();

  // Rank 0: the source and the sink.
  /// Starts frame `frame` (numbers increase) with input `x`.
  void admit(const Tensor& x, std::int64_t frame);
  /// Frames admitted whose results have not been taken.
  std::size_t in_flight() const { return frames_.size(); }
  /// The oldest frame's result, once it is complete or has failed: results
  /// come out in the order the frames were admitted.
  std::optional<InferenceResult> take_result();
  /// Tells every other rank to stop and waits up to `timeout_ms` for their
  /// acknowledgements (suspects get less), then says goodbye; returns the
  /// ranks that did not answer (Master::stop_workers).
  std::vector<int> stop_others(double timeout_ms);
  std::int64_t late() const { return late_; }
  const WorkerHealth& health() const { return health_; }
  const std::vector<WorkerHealth::Event>& health_log() const { return health_log_; }
  /// Each rank's peak resident memory (MB) from its acknowledgement; NaN where unknown.
  const std::vector<double>& peak_rss_mb() const { return peak_rss_mb_; }

  // The other ranks.
  /// Runs until rank 0 says stop (true) or nothing arrives from anyone for
  /// `quiet_timeout_ms` (false: rank 0 is presumed dead).
  bool serve(double quiet_timeout_ms);
  /// After serve() returned true: lets the last sends go, acknowledges the
  /// stop and waits for the goodbye; returns whether to MPI_Finalize.
  bool leave();
  WorkerStats& stats() { return stats_; }

 private:
  struct Collector;
  struct Frame;
  struct Send {
    BufferPool::Buffer message;  // null for a header-only message in `header`
    Header header;
    mpi::Request request;
    int rank;
  };
  struct Deferred {
    double due_ms;
    std::int64_t frame;
    int layer;  // the work of this layer of the frame
    std::function<void()> act;
  };

  double now_ms() const;
  Frame* frame(std::int64_t id, bool create);
  bool finished(std::int64_t id) const;
  /// A message of frame `id` came (ranks but 0): drops work it supersedes, evicts stale frames.
  void saw(std::int64_t id);
  /// Drops delayed work that `pred(deferred)` says is superseded.
  template <class Pred>
  void supersede(Pred&& pred);
  /// Ranks but 0: forgets a frame once every task and decode of it here is done.
  void maybe_finish(std::int64_t id);
  void finish(std::int64_t id);
  void evict_stale();

  bool poll();
  void on_message(int from, std::vector<float>& buffer, int tag);
  void on_value(int from, const Header& h, std::span<float> payload);
  void on_result(int from, const Header& h, std::vector<float>& buffer);
  void on_report(const Header& h, std::span<float> payload);
  void late(const Header& h, int from);

  /// Value `v` has come to be on this rank: send it on, deliver it, free it.
  void present(Frame& f, std::size_t v, Tensor value);
  void send_value(Frame& f, std::size_t v);
  void use(Frame& f, std::size_t v);
  bool run_one_task();
  void compute(Frame& f, std::size_t layer);
  void deliver_shard(std::int64_t frame, std::size_t layer, int shard, const Header& h, std::span<const float> z);

  Collector& open(Frame& f, std::size_t layer, double opened_ms);
  bool settle_collectors();
  void decode(Frame& f, std::size_t layer, Collector& c);
  void fail_frame(Frame& f, std::size_t layer, const std::string& note);

  void send(int rank, int tag, const Header& h, BufferPool::Buffer message);
  void reap_sends();
  void log_health();
  Tensor output_tensor(const Shape& shape);
  void trim_spares();
  std::vector<float> take_slot();

  const Model& model_;
  const Deployment& deployment_;
  const ShardWeights& weights_;
  const FaultInjector* faults_;
  NodeOptions options_;
  int rank_, world_;
  TraceWriter* trace_;
  double frame_timeout_ms_;

  // What this rank does, worked out once from the deployment.
  std::vector<std::size_t> tasks_;       // layers it computes (whole, or its shards), topological order
  std::vector<char> decodes_;            // per layer: a split layer this rank decodes
  std::vector<int> local_uses_;          // per value: tasks here that read it (+1 at the sink)
  std::vector<std::vector<int>> send_to_;  // per value this rank makes: the ranks to send it to
  std::vector<std::vector<std::size_t>> split_readers_;  // per value: the split layers reading it

  std::vector<std::vector<float>> receive_buffers_;  // per rank
  std::vector<std::size_t> receive_floats_;          // per rank: its largest message here (0: none)
  std::vector<mpi::Request> receives_;
  std::vector<std::vector<float>> free_slots_;       // shard slots not in use
  BufferPool messages_;
  std::deque<Send> sends_;
  std::vector<Deferred> deferred_;
  double busy_until_ms_ = 0.0;

  std::map<std::int64_t, Frame> frames_;
  std::vector<std::int64_t> finished_;  // recent finished frames, ascending
  std::int64_t forgotten_below_ = 0;   // every frame below this is finished
  std::int64_t newest_ = -1;

  std::vector<Tensor> spares_;
  std::int64_t late_ = 0;
  WorkerHealth health_;
  std::vector<WorkerHealth::Event> health_log_;
  std::vector<double> peak_rss_mb_;
  std::vector<char> acknowledged_;
  bool stop_ = false;
  double last_heard_ms_ = 0.0;
  std::vector<std::vector<float>> padding_blocks_;
  WorkerStats stats_;
};

}  // namespace cdcnn::runtime
