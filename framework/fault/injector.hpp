#pragma once
// Seeded, reproducible fault injection (docs/architecture.md §4). The fault a worker rank
// suffers when answering (inference, layer) depends only on the seed, the
// rank, the inference and the layer — never on the code or on what else was
// drawn — so every code is compared under identical faults.
//
// --straggler SPEC            every worker draws its delay from SPEC (delay.hpp)
// --straggler RANKS@SPEC      only those ranks ("3", "1,4", "2-5"); later flags
//                             override earlier ones for the ranks they name
// --fail stop:rank=R,inference=I      fail-stop: silent from inference I on
// --fail stop:rank=R,at_ms=T          fail-stop: silent from T ms after start on
// --fail crash:rank=R,inference=I     the worker process really dies (SIGKILL)
// --fail crash:rank=R,at_ms=T         when it gets that work (run under
//                                     mpirun --enable-recovery, or the job dies)
// --fail intermittent:rank=R,from=I,to=J   silent for inferences I ≤ i < J
// --fail drop:p=P[,rank=R]            each result message lost with probability P
// --fail corrupt:rank=R,kind=K[,p=P]  the result arrives with wrong numbers (probability P,
//                                     default 1): K = bitflip (one exponent bit of one
//                                     value), scale (the block times 1.5) or nan (one value)
// --fail none

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fault/delay.hpp"

namespace cdcnn {

/// The fate of one worker's result for one (inference, layer).
struct ShardFault {
  double delay_ms = 0.0;  ///< injected before the result is sent
  bool silent = false;    ///< the worker is down (fail-stop or intermittent): nothing is sent
  bool dropped = false;   ///< computed and "sent", but the message is lost
  bool crash = false;     ///< the worker process kills itself (SIGKILL) instead of answering
  enum class Corruption : std::int8_t { none, bitflip, scale, nan } corruption = Corruption::none;
  bool arrives() const { return !silent && !dropped && !crash; }
};

class FaultInjector {
 public:
  /// `world_size` bounds the ranks specs may name (rank 0, the master, is
  /// never faulted). Error naming the flag for any bad spec.
  FaultInjector(std::uint64_t seed, const std::vector<std::string>& straggler_specs,
                const std::vector<std::string>& fail_specs, int world_size);

  /// The fault for `rank` answering (inference, layer), at `elapsed_ms` since
  /// the run started (used only by time-based fail-stops).
  ShardFault at(int rank, std::int64_t inference, int layer, double elapsed_ms = 0.0) const;

  /// The delay model of a rank (for analytic predictions).
  const DelayModel& delay_model(int rank) const;
  /// Every spec as used, for traces: "stragglers=...; failures=...".
  std::string describe() const;
  std::uint64_t seed() const { return seed_; }

 private:
  struct Failure {
    enum class Kind { stop_at_inference, stop_at_ms, intermittent, drop, corrupt } kind;
    ShardFault::Corruption corruption = ShardFault::Corruption::none;
    int rank = -1;  ///< -1: every worker (drop only)
    bool crash = false;  ///< stop kinds: the process dies instead of falling silent
    std::int64_t from = 0, to = 0;
    double at_ms = 0.0, p = 0.0;
    std::string spec;
  };
  Failure parse_failure(const std::string& spec) const;

  std::uint64_t seed_;
  int world_size_;
  std::vector<std::shared_ptr<const DelayModel>> delay_by_rank_;
  std::vector<Failure> failures_;
};

/// Parses "3", "1,4", "2-5" or "all" into ranks in [1, world_size); `flag` for errors.
std::vector<int> parse_rank_set(const std::string& text, int world_size, const std::string& flag);

}  // namespace cdcnn
