#pragma once
// `replication:n=N` (N-modular redundancy; 2MR for N=2): every data block is
// held by N shards. G = N stacked copies of I_k, so n = N·k and shard j holds
// block j mod k. Survives any N-1 losses (and more, spread over blocks).
// Decoding is a copy of any arrived replica (done by Code::decode itself).

#include <memory>

#include "codes/code.hpp"
#include "core/spec_string.hpp"

namespace cdcnn {

class ReplicationCode final : public Code {
 public:
  /// copies >= 1 (1 is the uncoded layout); Error if copies·k > 64.
  ReplicationCode(int k, int copies);
  /// Registry factory: "replication:n=N", N defaults to 2.
  static std::unique_ptr<Code> create(int k, const SpecString& spec);

  int copies() const { return copies_; }
  std::string name() const override { return "replication"; }
  std::string spec() const override;
  int tolerance() const override { return copies_ - 1; }
  bool decodable(const ShardMask& arrived) const override;

 private:
  int copies_;
};

}  // namespace cdcnn
