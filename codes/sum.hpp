#pragma once
// `sum`: one parity over all k blocks (a single parity check). n = k+1,
// G = [I_k; 1 1 ... 1]. Survives any one loss; a missing block is the parity
// minus the other k-1 blocks. With k=1 the parity is a copy.

#include <memory>

#include "codes/parity_groups.hpp"
#include "core/spec_string.hpp"

namespace cdcnn {

class SumCode final : public ParityGroupCode {
 public:
  explicit SumCode(int k);
  /// Registry factory: "sum" takes no parameters.
  static std::unique_ptr<Code> create(int k, const SpecString& spec);

  std::string name() const override { return "sum"; }
  std::string spec() const override { return "sum"; }
};

}  // namespace cdcnn
