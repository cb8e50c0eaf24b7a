#include "plan/cost_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.hpp"
#include "core/percentile.hpp"
#include "core/rng.hpp"

namespace cdcnn {

DecodableSets::DecodableSets(const Code& code) : n_(code.n()) {
  require(n_ <= 20, "code ", code.spec(), ": n = ", n_, " shards is too many to enumerate (at most 20)");
  const std::uint32_t sets = 1u << n_;
  decodable_.assign(sets, false);
  counts_.assign(static_cast<std::size_t>(n_) + 1, 0);
  ShardMask arrived(static_cast<std::size_t>(n_));
  for (std::uint32_t s = 0; s < sets; ++s) {
    int m = 0;
    for (int j = 0; j < n_; ++j) {
      arrived[static_cast<std::size_t>(j)] = (s >> j) & 1u;
      m += static_cast<int>((s >> j) & 1u);
    }
    if (m < code.k() || !code.decodable(arrived)) continue;
    decodable_[s] = true;
    ++counts_[static_cast<std::size_t>(m)];
  }
}

double decodable_probability(const std::vector<std::int64_t>& counts, double p) {
  const int n = static_cast<int>(counts.size()) - 1;
  double total = 0;
  for (int m = 0; m <= n; ++m)
    total += static_cast<double>(counts[static_cast<std::size_t>(m)]) * std::pow(p, m) * std::pow(1 - p, n - m);
  return total;
}

double first_decodable_quantile(const std::vector<std::int64_t>& counts, const DelayModel& delay, double q) {
  require(q > 0 && q < 1, "quantile ", q, " is not in (0, 1)");
  require(decodable_probability(counts, 1.0) > 0.5, "the code does not decode even from every shard");
  // P(decodable | each arrived w.p. p) rises with p: the p where it is q...
  double lo = 0, hi = 1;
  for (int i = 0; i < 60; ++i) {
    const double mid = (lo + hi) / 2;
    (decodable_probability(counts, mid) < q ? lo : hi) = mid;
  }
  // ...then the t where F(t) = p (F rises; bracket it first).
  const double p = hi;
  double t_lo = 0, t_hi = 1;
  while (delay.cdf(t_hi) < p && t_hi < 1e12) t_hi *= 2;
  for (int i = 0; i < 200 && t_hi - t_lo > 1e-9 * std::max(1.0, t_hi); ++i) {
    const double mid = (t_lo + t_hi) / 2;
    (delay.cdf(mid) < p ? t_lo : t_hi) = mid;
  }
  return t_hi;
}

double LinkCost::message_ms(std::int64_t bytes) const {
  return latency_ms + (bandwidth_MBps > 0 ? static_cast<double>(bytes) / (bandwidth_MBps * 1e3) : 0.0);
}

LayerSamples simulate_split(const LayerProfile& layer, const Code& code, const CostInputs& in,
                            const std::vector<int>& ranks) {
  const ShardProfile& shard = layer.shard(code.k());
  require(in.samples >= 1 && in.speed > 0 && in.fail_prob >= 0 && in.fail_prob < 1, "cost model: bad inputs");
  const int n = code.n();
  require(ranks.empty() || static_cast<int>(ranks.size()) == n, "cost model: layer '", layer.name, "' has ", n,
          " shards but ", ranks.size(), " ranks");
  const DecodableSets sets(code);
  // The holders in the order the master sends to them (by their first
  // shard), and each shard's place in its holder's queue.
  std::vector<int> holder_of(static_cast<std::size_t>(n)), queue_place(static_cast<std::size_t>(n));
  std::vector<int> holder_rank;
  std::vector<int> held;
  for (int j = 0; j < n; ++j) {
    const int rank = ranks.empty() ? j + 1 : ranks[static_cast<std::size_t>(j)];
    const auto it = std::find(holder_rank.begin(), holder_rank.end(), rank);
    const auto h = static_cast<std::size_t>(it - holder_rank.begin());
    if (it == holder_rank.end()) {
      holder_rank.push_back(rank);
      held.push_back(0);
    }
    holder_of[static_cast<std::size_t>(j)] = static_cast<int>(h);
    queue_place[static_cast<std::size_t>(j)] = ++held[h];
  }
  std::vector<double> compute_ms(holder_rank.size());
  for (std::size_t h = 0; h < holder_rank.size(); ++h) {
    const auto r = static_cast<std::size_t>(holder_rank[h]);
    const double own = in.speeds.empty() ? 1.0 : r < in.speeds.size() ? in.speeds[r] : 0.0;
    require(own > 0, "cost model: rank ", r, " has no speed");
    compute_ms[h] = shard.ms / (in.speed * own);
  }
  const double input_ms = in.link.message_ms(layer.input_bytes);
  const double result_ms = in.link.message_ms(shard.result_bytes);
  // The seed mixes the layer and code in, so that different choices for one
  // layer see different (but reproducible) delays.
  Rng rng = Rng(in.seed).fork(std::hash<std::string>{}(layer.name + "/" + code.spec()) ^ static_cast<std::uint64_t>(code.k()));
  LayerSamples out;
  out.ms.resize(static_cast<std::size_t>(in.samples));
  out.degraded.resize(static_cast<std::size_t>(in.samples), 0);
  std::vector<double> ready(holder_rank.size());  // when the holder starts computing, after its delay; inf: down
  std::vector<std::pair<double, int>> arrivals(static_cast<std::size_t>(n));
  for (int s = 0; s < in.samples; ++s) {
    for (std::size_t h = 0; h < holder_rank.size(); ++h) {
      // Inputs leave the master one after another over its link.
      const double sent = static_cast<double>(h + 1) * (input_ms - in.link.latency_ms) + in.link.latency_ms;
      const double delay = in.straggler ? in.straggler->sample_ms(rng) : 0.0;
      const bool down = in.fail_prob > 0 && rng.uniform() < in.fail_prob;
      ready[h] = down ? std::numeric_limits<double>::infinity() : sent + delay;
    }
    for (int j = 0; j < n; ++j) {
      const auto h = static_cast<std::size_t>(holder_of[static_cast<std::size_t>(j)]);
      arrivals[static_cast<std::size_t>(j)] = {
          ready[h] + queue_place[static_cast<std::size_t>(j)] * compute_ms[h] + result_ms, j};
    }
    std::sort(arrivals.begin(), arrivals.end());
    double done = std::numeric_limits<double>::infinity();
    std::uint32_t mask = 0;
    for (const auto& [t, j] : arrivals) {
      if (!std::isfinite(t)) break;
      mask |= 1u << j;
      if (sets.decodable(mask)) {
        done = t;
        break;
      }
    }
    if (!(done <= in.deadline_ms)) {
      done = in.deadline_ms;
      out.degraded[static_cast<std::size_t>(s)] = 1;
    }
    out.ms[static_cast<std::size_t>(s)] = done;
  }
  return out;
}

Prediction summarise(const std::vector<double>& totals_ms, const std::vector<std::uint8_t>& degraded) {
  require(!totals_ms.empty(), "cost model: no samples");
  Prediction p;
  p.mean_ms = std::accumulate(totals_ms.begin(), totals_ms.end(), 0.0) / static_cast<double>(totals_ms.size());
  p.p50_ms = percentile(totals_ms, 50);
  p.p99_ms = percentile(totals_ms, 99);
  p.throughput_fps = p.mean_ms > 0 ? 1e3 / p.mean_ms : 0.0;
  p.degraded_fraction =
      static_cast<double>(std::count(degraded.begin(), degraded.end(), 1)) / static_cast<double>(totals_ms.size());
  return p;
}

Prediction predict(const Profile& profile, const std::vector<SplitCost>& splits, const CostInputs& inputs) {
  double fixed = 0;
  for (std::size_t i = 0; i < profile.layers.size(); ++i) {
    const bool split = std::any_of(splits.begin(), splits.end(), [&](const SplitCost& s) { return s.layer == i; });
    if (!split) fixed += profile.layers[i].ms;
  }
  if (!inputs.speeds.empty()) fixed /= inputs.speeds[0];  // the master's own speed
  std::vector<double> totals(static_cast<std::size_t>(inputs.samples), fixed);
  std::vector<std::uint8_t> degraded(totals.size(), 0);
  for (const SplitCost& s : splits) {
    require(s.layer < profile.layers.size() && s.code, "cost model: split of layer ", s.layer, " is not in the profile");
    const LayerSamples l = simulate_split(profile.layers[s.layer], *s.code, inputs, s.ranks);
    for (std::size_t i = 0; i < totals.size(); ++i) {
      totals[i] += l.ms[i];
      degraded[i] |= l.degraded[i];
    }
  }
  return summarise(totals, degraded);
}

}  // namespace cdcnn
