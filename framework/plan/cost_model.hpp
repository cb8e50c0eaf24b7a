#pragma once
// Predicting a plan's latency from a profile (plan/profile.hpp) before
// running it. Two pieces:
//
//  - Exact first-decodable times. A layer coded with generator G is
//    decodable from the set S of shards that arrived iff the code says so
//    (Code::decodable, rank(G_S) = k). With n iid shard delays of CDF F, the
//    first-decodable time T has P(T ≤ t) = Σ_m D_m F(t)^m (1 − F(t))^(n−m),
//    D_m the number of decodable sets of m shards: the k-th order statistic
//    for MDS codes, and the same formula for every other code, plugins
//    included (experiments/results/lib/decodable.py is the Python twin,
//    held to this one by tests/framework/plan).
//
//  - The star runtime's latency, simulated: per inference and split layer,
//    the master sends the layer's input to its holders one after another
//    over its link; a holder computes its shards (profile time / its speed)
//    one after another, is late by an iid straggler delay, is down with
//    probability fail_prob, and sends its results back; the layer is done at the first decodable
//    set of arrivals (or at the deadline, degraded). Unsplit layers take
//    their profiled time on the master. Decoding (a few subtractions) is
//    not counted. Per-layer samples share nothing, so a plan's total is the
//    sum of its layers' samples.

#include <cstdint>
#include <string>
#include <vector>

#include "codes/code.hpp"
#include "fault/delay.hpp"
#include "plan/profile.hpp"

namespace cdcnn {

/// Which shard sets of a code decode, asked of the code itself for every one
/// of the 2^n subsets (n ≤ 20). Bit j of a mask is shard j.
class DecodableSets {
 public:
  explicit DecodableSets(const Code& code);
  int n() const { return n_; }
  bool decodable(std::uint32_t mask) const { return decodable_[mask]; }
  /// D_m, m = 0..n.
  const std::vector<std::int64_t>& counts() const { return counts_; }

 private:
  int n_;
  std::vector<bool> decodable_;
  std::vector<std::int64_t> counts_;
};

/// P(decodable) when each shard has arrived independently with probability p.
double decodable_probability(const std::vector<std::int64_t>& counts, double p);
/// The q-quantile (0 < q < 1) of the first-decodable time of n iid shards
/// with delays drawn from `delay`, exact up to bisection (on p, then on t).
double first_decodable_quantile(const std::vector<std::int64_t>& counts, const DelayModel& delay, double q);

/// The network between the master and its workers.
struct LinkCost {
  double latency_ms = 0.0;
  double bandwidth_MBps = 0.0;  ///< 0: infinite (no transfer time)
  /// Time of one message of `bytes` (latency + bytes / bandwidth).
  double message_ms(std::int64_t bytes) const;
};

struct CostInputs {
  const DelayModel* straggler = nullptr;  ///< per-shard delay; null: none
  LinkCost link;
  double fail_prob = 0.0;     ///< probability a worker is down during one inference
  double deadline_ms = 1000;  ///< an undecodable layer costs this (and the inference is degraded)
  double speed = 1.0;         ///< workers' speed relative to the profiled device
  /// Each rank's own speed, a factor on `speed` (rank 0, the master, runs the
  /// unsplit layers at speeds[0]); empty: every rank at 1.
  std::vector<double> speeds;
  int samples = 4000;         ///< simulated inferences
  std::uint64_t seed = 0;
};

/// One split: `layer` (index in the profile) coded with `code` over n holders.
struct SplitCost {
  std::size_t layer = 0;
  const Code* code = nullptr;
  std::vector<int> ranks;  ///< shard j's rank; empty: n distinct ranks 1..n
};

/// Samples of one layer's time (ms), one per simulated inference, and
/// which of them were degraded (undecodable at the deadline).
struct LayerSamples {
  std::vector<double> ms;
  std::vector<std::uint8_t> degraded;
};
/// The split layer's simulated times with shard j on rank ranks[j] (empty:
/// n distinct ranks 1..n). A rank holding several shards gets the input
/// once, computes them one after another at its speed, and is late (or down)
/// once for all of them. Error naming the layer if the profile has no shard
/// time for the code's k.
LayerSamples simulate_split(const LayerProfile& layer, const Code& code, const CostInputs& inputs,
                            const std::vector<int>& ranks = {});

struct Prediction {
  double mean_ms = 0, p50_ms = 0, p99_ms = 0;
  double throughput_fps = 0;     ///< one frame at a time: 1000 / mean
  double degraded_fraction = 0;  ///< inferences with some layer undecodable
};
/// The whole inference: split layers simulated, the others at their profiled time.
Prediction predict(const Profile& profile, const std::vector<SplitCost>& splits, const CostInputs& inputs);
/// The prediction from per-inference totals and degraded flags.
Prediction summarise(const std::vector<double>& totals_ms, const std::vector<std::uint8_t>& degraded);

}  // namespace cdcnn
