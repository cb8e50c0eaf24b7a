#include "codes/sum.hpp"

#include "core/error.hpp"

namespace cdcnn {

SumCode::SumCode(int k) : ParityGroupCode(k, contiguous_groups(k, 1)) {}

std::unique_ptr<Code> SumCode::create(int k, const SpecString& spec) {
  spec.allow_only("");
  require(k >= 1, "sum: k must be at least 1, got ", k);
  return std::make_unique<SumCode>(k);
}

}  // namespace cdcnn
