#include "plan/shard_placement.hpp"

#include <algorithm>
#include <cmath>

#include "codes/combinations.hpp"
#include "core/error.hpp"

namespace cdcnn {

std::vector<int> place_shards(int n, const std::vector<double>& speeds, int offset) {
  const int workers = static_cast<int>(speeds.size()) - 1;
  require(workers >= 1, "placing shards: no worker");
  const double slowest = *std::min_element(speeds.begin() + 1, speeds.end());
  require(slowest > 0, "placing shards: every speed must be positive");
  std::vector<int> capacity(static_cast<std::size_t>(workers) + 1, 0), held(capacity.size(), 0);
  int total = 0;
  for (int r = 1; r <= workers; ++r) {
    // The small tolerance keeps a speed of exactly 2× from rounding to 1.
    capacity[static_cast<std::size_t>(r)] = std::max(1, static_cast<int>(std::floor(speeds[r] / slowest + 1e-9)));
    total += capacity[static_cast<std::size_t>(r)];
  }
  if (total < n) return {};
  std::vector<int> ranks;
  for (int j = 0; j < n; ++j) {
    int best = 0;
    double best_finish = 0;
    for (int i = 0; i < workers; ++i) {
      const int r = 1 + (offset + j + i) % workers;  // round-robin order for the ties
      const auto u = static_cast<std::size_t>(r);
      if (held[u] >= capacity[u]) continue;
      const double finish = (held[u] + 1) / speeds[u];
      if (best == 0 || finish < best_finish) {
        best = r;
        best_finish = finish;
      }
    }
    ++held[static_cast<std::size_t>(best)];
    ranks.push_back(best);
  }
  return ranks;
}

int device_tolerance(const Code& code, const std::vector<int>& ranks) {
  require(static_cast<int>(ranks.size()) == code.n(), "code ", code.spec(), " has ", code.n(), " shards, ",
          ranks.size(), " ranks given");
  std::vector<int> holders(ranks);
  std::sort(holders.begin(), holders.end());
  holders.erase(std::unique(holders.begin(), holders.end()), holders.end());
  const int h = static_cast<int>(holders.size());
  for (int t = 1; t <= h; ++t) {
    const bool all_decodable = for_each_combination(h, t, [&](std::span<const int> failed) {
      ShardMask arrived(ranks.size(), true);
      for (int f : failed)
        for (std::size_t j = 0; j < ranks.size(); ++j)
          if (ranks[j] == holders[static_cast<std::size_t>(f)]) arrived[j] = false;
      return code.decodable(arrived);
    });
    if (!all_decodable) return t - 1;
  }
  return h;
}

}  // namespace cdcnn
