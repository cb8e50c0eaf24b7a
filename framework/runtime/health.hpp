#pragma once
// Worker health as the master sees it (docs/architecture.md §3): which workers are
// suspected, when to probe them, when to readmit them. Pure bookkeeping on
// times the master passes in, so it is tested without MPI.
//
// A worker *misses* when it has had work outstanding for longer than
// `silence_ms` and nothing at all has come from it for that long. Any message
// counts as a sign of life, late results included: a worker that is merely the
// slowest, whose work is decoded around and then superseded, keeps answering
// newer work and is never suspected. `suspect_after` consecutive misses make it
// suspected: the master stops sending it work (unless the layer cannot be
// decoded without it), which also stops the pile-up of sends to a dead rank.
// A suspect is probed — sent real work again — every `probe_every`
// inferences, and readmitted when it answers a probe within `silence_ms`.

#include <cstdint>
#include <optional>
#include <vector>

namespace cdcnn::runtime {

struct HealthOptions {
  double silence_ms = 1000.0;  ///< the runtime uses the layer deadline
  int suspect_after = 2;       ///< consecutive misses
  int probe_every = 10;        ///< inferences between probes of a suspect
};

enum class HealthEvent : std::int8_t {
  suspected = 0,     ///< missed `suspect_after` times in a row: no more work
  probed = 1,        ///< a suspect was sent work to see whether it is back
  readmitted = 2,    ///< answered a probe in time: gets work again
  unresponsive = 3,  ///< did not acknowledge the stop at the end of the run
};

class WorkerHealth {
 public:
  /// Ranks 1..world_size-1 are workers; all start healthy.
  WorkerHealth(int world_size, HealthOptions options);

  /// Work for `inference` was sent to `rank` at `now_ms`.
  void dispatched(int rank, std::int64_t inference, double now_ms);
  /// A message from `rank` about `inference` arrived at `now_ms`.
  void heard(int rank, std::int64_t inference, double now_ms);
  /// Judges misses as of `now_ms`; call while polling.
  void tick(double now_ms);
  /// The rank did not acknowledge the stop.
  void unresponsive(int rank, double now_ms);
  /// The rank sent wrong numbers (caught by the consistency check): suspected at once.
  void corrupted(int rank, std::int64_t inference, double now_ms);

  bool suspected(int rank) const { return state_.at(static_cast<std::size_t>(rank)).suspected; }
  /// A suspect that is due for a probe at `inference`.
  bool probe_due(int rank, std::int64_t inference) const;
  /// Whether to send `rank` work for `inference`: healthy, or a probe is due.
  bool should_dispatch(int rank, std::int64_t inference) const {
    return !suspected(rank) || probe_due(rank, inference);
  }
  std::vector<int> suspects() const;

  struct Event {
    double time_ms;
    int rank;
    std::int64_t inference;
    HealthEvent what;
  };
  /// Events since the last call, oldest first.
  std::vector<Event> take_events();

 private:
  struct State {
    std::optional<double> outstanding_since;  // oldest unanswered work
    double last_heard_ms = 0.0;
    std::int64_t last_inference = 0;  // newest inference dispatched to it
    int misses = 0;
    bool suspected = false;
    std::int64_t last_probe = -1;  // inference of the newest probe, or of the suspicion
    std::int64_t probing = -1;     // inference of the newest probe actually sent
    double probe_ms = 0.0;
  };
  HealthOptions options_;
  std::vector<State> state_;
  std::vector<Event> events_;
};

}  // namespace cdcnn::runtime
