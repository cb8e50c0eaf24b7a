#include "codes/pairwise.hpp"

#include "core/error.hpp"

namespace cdcnn {

namespace {

std::vector<std::vector<int>> pairs(int k) {
  require(k >= 1, "pairwise: k must be at least 1, got ", k);
  std::vector<std::vector<int>> groups;
  for (int i = 0; i < k; i += 2) groups.push_back(i + 1 < k ? std::vector<int>{i, i + 1} : std::vector<int>{i});
  return groups;
}

}  // namespace

PairwiseCode::PairwiseCode(int k) : ParityGroupCode(k, pairs(k)) {}

std::unique_ptr<Code> PairwiseCode::create(int k, const SpecString& spec) {
  spec.allow_only("");
  return std::make_unique<PairwiseCode>(k);
}

}  // namespace cdcnn
