#pragma once
// `grouped-sum:g=G`: the k blocks are cut into G contiguous groups of k/G
// (G must divide k) and each group gets a sum parity — the paper's "summation
// of some rows instead of all of them". n = k+G; shard k+t is group t's
// parity. Survives any one loss, and one loss per group. g=1 is `sum`; g=k
// is 2-way replication.

#include <memory>

#include "codes/parity_groups.hpp"
#include "core/spec_string.hpp"

namespace cdcnn {

class GroupedSumCode final : public ParityGroupCode {
 public:
  /// Error unless 1 <= g <= k and g divides k.
  GroupedSumCode(int k, int g);
  /// Registry factory: "grouped-sum:g=G", G defaults to 2.
  static std::unique_ptr<Code> create(int k, const SpecString& spec);

  int group_count() const { return static_cast<int>(groups().size()); }
  std::string name() const override { return "grouped-sum"; }
  std::string spec() const override;
};

}  // namespace cdcnn
