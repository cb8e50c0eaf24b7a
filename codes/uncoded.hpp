#pragma once
// `uncoded`: G = I_k, n = k. Every shard is needed; nothing to decode. The
// baseline every other code is compared against, on the same code path.

#include <memory>

#include "codes/code.hpp"
#include "core/spec_string.hpp"

namespace cdcnn {

class UncodedCode final : public Code {
 public:
  explicit UncodedCode(int k);
  /// Registry factory: "uncoded" takes no parameters.
  static std::unique_ptr<Code> create(int k, const SpecString& spec);

  std::string name() const override { return "uncoded"; }
  std::string spec() const override { return "uncoded"; }
  int tolerance() const override { return 0; }
  bool decodable(const ShardMask& arrived) const override;
};

}  // namespace cdcnn
