#pragma once
// `pairwise` (the paper's eq. 1–2): blocks are paired (1,2), (3,4), ... and
// each pair gets a parity shard whose row r is row r of block 2i-1 plus row r
// of block 2i. With k=2 and one row per block this is the paper's worked
// example: shards w11 w12 | w21 w22 | w11+w21 w12+w22.
//
// n = k + ceil(k/2). Shard k+i is the parity of blocks 2i and 2i+1 (0-based).
// Odd k: the last block pairs with a zero block, so its parity shard is a
// plain copy of it (a replica; decoding it is a copy). Survives any one loss,
// and one loss per pair.

#include <memory>

#include "codes/parity_groups.hpp"
#include "core/spec_string.hpp"

namespace cdcnn {

class PairwiseCode final : public ParityGroupCode {
 public:
  explicit PairwiseCode(int k);
  /// Registry factory: "pairwise" takes no parameters.
  static std::unique_ptr<Code> create(int k, const SpecString& spec);

  std::string name() const override { return "pairwise"; }
  std::string spec() const override { return "pairwise"; }
};

}  // namespace cdcnn
