#pragma once
// The sum-parity family shared by `sum`, `grouped-sum` and `pairwise`: the k
// data blocks are partitioned into groups and each group gets one parity
// shard equal to the sum of its blocks. G = [I_k; one row of ones per group].
// Shards 0..k-1 are the data blocks, shard k+t is group t's parity.
//
// Decodable iff no group has lost more than one of (its blocks, its parity).
// Fast path: a missing block is its group's parity minus the group's other
// blocks — one subtraction per block, no solve.

#include <vector>

#include "codes/code.hpp"

namespace cdcnn {

class ParityGroupCode : public Code {
 public:
  /// The data blocks of each group (ascending, disjoint, covering 0..k-1).
  const std::vector<std::vector<int>>& groups() const { return groups_; }

  /// Any single loss; two losses in one group are fatal.
  int tolerance() const override { return 1; }
  bool decodable(const ShardMask& arrived) const override;

 protected:
  ParityGroupCode(int k, std::vector<std::vector<int>> groups);

  void decode_impl(const ShardMask& arrived, const std::vector<int>& missing,
                   std::span<const std::span<const float>> shards,
                   std::span<const std::span<float>> data_blocks) const override;

  /// `group_count` contiguous groups of k/group_count blocks (must divide).
  static std::vector<std::vector<int>> contiguous_groups(int k, int group_count);

 private:
  std::vector<std::vector<int>> groups_;
  std::vector<int> group_of_;  ///< group of each data block
};

}  // namespace cdcnn
