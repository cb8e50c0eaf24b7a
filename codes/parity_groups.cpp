#include "codes/parity_groups.hpp"

#include "core/error.hpp"

namespace cdcnn {

namespace {

/// Error unless `groups` partition the blocks 0..k-1. Runs before anything is
/// built from the groups: they index the generator and group_of_.
void check_partition(int k, const std::vector<std::vector<int>>& groups) {
  require(k >= 1, "k must be at least 1, got ", k);
  require(static_cast<std::size_t>(k) + groups.size() <= static_cast<std::size_t>(Code::kMaxShards),
          "a code needs k <= n <= ", Code::kMaxShards, " shards, got n=", static_cast<std::size_t>(k) + groups.size(),
          " for k=", k);
  std::vector<bool> seen(static_cast<std::size_t>(k), false);
  for (const auto& group : groups)
    for (int i : group) {
      require(i >= 0 && i < k && !seen[static_cast<std::size_t>(i)], "parity groups must partition the k=", k,
              " blocks (block ", i, " is out of range or in two groups)");
      seen[static_cast<std::size_t>(i)] = true;
    }
  for (int i = 0; i < k; ++i)
    require(seen[static_cast<std::size_t>(i)], "parity groups must cover all k=", k, " blocks (block ", i,
            " is in none)");
}

Eigen::MatrixXd group_generator(int k, const std::vector<std::vector<int>>& groups) {
  check_partition(k, groups);
  const auto g = static_cast<Eigen::Index>(groups.size());
  Eigen::MatrixXd generator = Eigen::MatrixXd::Zero(k + g, k);
  generator.topRows(k).setIdentity();
  for (Eigen::Index t = 0; t < g; ++t)
    for (int i : groups[static_cast<std::size_t>(t)]) generator(k + t, i) = 1.0;
  return generator;
}

}  // namespace

ParityGroupCode::ParityGroupCode(int k, std::vector<std::vector<int>> groups)
    : Code(group_generator(k, groups)), groups_(std::move(groups)), group_of_(static_cast<std::size_t>(k), -1) {
  // group_generator() has checked that the groups partition 0..k-1.
  for (std::size_t t = 0; t < groups_.size(); ++t)
    for (int i : groups_[t]) group_of_[static_cast<std::size_t>(i)] = static_cast<int>(t);
}

std::vector<std::vector<int>> ParityGroupCode::contiguous_groups(int k, int group_count) {
  require(k >= 1 && group_count >= 1 && group_count <= k && k % group_count == 0, "parity groups: ", group_count,
          " groups must divide k=", k, " (1 <= groups <= k)");
  std::vector<std::vector<int>> groups(static_cast<std::size_t>(group_count));
  const int size = k / group_count;
  for (int i = 0; i < k; ++i) groups[static_cast<std::size_t>(i / size)].push_back(i);
  return groups;
}

bool ParityGroupCode::decodable(const ShardMask& arrived) const {
  check_mask(arrived, "arrived");
  for (std::size_t t = 0; t < groups_.size(); ++t) {
    int lost = arrived[static_cast<std::size_t>(k()) + t] ? 0 : 1;
    for (int i : groups_[t]) lost += arrived[static_cast<std::size_t>(i)] ? 0 : 1;
    // Losing only the parity is harmless; otherwise one loss at most.
    if (lost > 1) return false;
  }
  return true;
}

void ParityGroupCode::decode_impl(const ShardMask& arrived, const std::vector<int>& missing,
                                  std::span<const std::span<const float>> shards,
                                  std::span<const std::span<float>> data_blocks) const {
  std::vector<const float*> sources;
  std::vector<float> coefficients;
  for (int i : missing) {
    const int t = group_of_[static_cast<std::size_t>(i)];
    // Y_i = parity − Σ (the group's other blocks), in one pass.
    sources.assign({shards[static_cast<std::size_t>(k() + t)].data()});
    coefficients.assign({1.0f});
    for (int other : groups_[static_cast<std::size_t>(t)])
      if (other != i) {
        sources.push_back(data_blocks[static_cast<std::size_t>(other)].data());
        coefficients.push_back(-1.0f);
      }
    combine(data_blocks[static_cast<std::size_t>(i)], sources, coefficients);
  }
}

}  // namespace cdcnn
