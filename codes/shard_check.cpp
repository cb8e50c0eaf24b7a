#include "codes/shard_check.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"

namespace cdcnn {

namespace {

using Shards = std::vector<std::span<const float>>;

/// Decodes from `shards` (a decodable set) and re-encodes: does every one of
/// them agree with the decoded blocks (to 1e-3 of the block's largest value)?
bool consistent(const Code& code, const Shards& shards, std::size_t block) {
  const int n = code.n(), k = code.k();
  std::vector<std::vector<float>> data(static_cast<std::size_t>(k), std::vector<float>(block));
  std::vector<std::span<float>> out(data.begin(), data.end());
  code.decode(shards, out);
  std::vector<double> y(block);
  for (int j = 0; j < n; ++j) {
    const auto& shard = shards[static_cast<std::size_t>(j)];
    if (shard.empty()) continue;
    std::fill(y.begin(), y.end(), 0.0);
    for (int i = 0; i < k; ++i) {
      const double g = code.generator()(j, i);
      if (g != 0.0)
        for (std::size_t t = 0; t < y.size(); ++t) y[t] += g * data[static_cast<std::size_t>(i)][t];
    }
    double scale = 0.0, diff = 0.0;
    for (std::size_t t = 0; t < y.size(); ++t) {
      scale = std::max({scale, std::abs(y[t]), std::abs(static_cast<double>(shard[t]))});
      diff = std::max(diff, std::abs(y[t] - shard[t]));
    }
    if (!(diff <= 1e-3 * scale + 1e-30)) return false;
  }
  return true;
}

}  // namespace

ShardCheck check_shards(const Code& code, std::span<const std::span<const float>> shards) {
  const int n = code.n();
  require(static_cast<int>(shards.size()) == n, "code '", code.spec(), "': ", shards.size(),
          " shard buffers to check, expected n=", n);
  const Shards given(shards.begin(), shards.end());
  const ShardMask arrived = arrived_shards(given);
  std::size_t block = 0;
  for (const auto& s : given)
    if (!s.empty()) {
      if (block == 0) block = s.size();
      require(s.size() == block, "code '", code.spec(), "': shards of ", s.size(), " and ", block, " values");
    }
  // The arrived shards without shard j, if they are still decodable.
  auto without = [&](int j) {
    Shards rest = given;
    rest[static_cast<std::size_t>(j)] = {};
    return rest;
  };
  bool spare = false;
  for (int j = 0; j < n && !spare; ++j)
    if (arrived[static_cast<std::size_t>(j)]) spare = code.decodable(arrived_shards(without(j)));
  if (!spare) return {CheckResult::unverified, -1};
  if (consistent(code, given, block)) return {CheckResult::consistent, -1};
  // Locate: the one shard without which the others agree.
  int culprit = -1, candidates = 0;
  for (int j = 0; j < n; ++j) {
    if (!arrived[static_cast<std::size_t>(j)]) continue;
    const Shards rest = without(j);
    if (code.decodable(arrived_shards(rest)) && consistent(code, rest, block)) {
      culprit = j;
      ++candidates;
    }
  }
  if (candidates == 1) return {CheckResult::corrected, culprit};
  return {CheckResult::inconsistent, -1};
}

}  // namespace cdcnn
