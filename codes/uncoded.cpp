#include "codes/uncoded.hpp"

#include <algorithm>

namespace cdcnn {

UncodedCode::UncodedCode(int k) : Code(Eigen::MatrixXd::Identity(k, k)) {}

std::unique_ptr<Code> UncodedCode::create(int k, const SpecString& spec) {
  spec.allow_only("");
  return std::make_unique<UncodedCode>(k);
}

bool UncodedCode::decodable(const ShardMask& arrived) const {
  check_mask(arrived, "arrived");
  return std::all_of(arrived.begin(), arrived.end(), [](bool a) { return a; });
}

}  // namespace cdcnn
