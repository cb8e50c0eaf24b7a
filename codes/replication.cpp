#include "codes/replication.hpp"

#include "core/error.hpp"

namespace cdcnn {

namespace {

Eigen::MatrixXd stacked_identities(int k, int copies) {
  require(k >= 1, "replication: k must be at least 1, got ", k);
  require(copies >= 1, "replication: n (copies of each block) must be at least 1, got ", copies);
  require(static_cast<long long>(copies) * k <= Code::kMaxShards, "replication: n=", copies, " copies of k=", k,
          " blocks is ", static_cast<long long>(copies) * k, " shards, more than ", Code::kMaxShards);
  Eigen::MatrixXd g(static_cast<Eigen::Index>(copies) * k, k);
  for (int c = 0; c < copies; ++c) g.middleRows(static_cast<Eigen::Index>(c) * k, k).setIdentity();
  return g;
}

}  // namespace

ReplicationCode::ReplicationCode(int k, int copies) : Code(stacked_identities(k, copies)), copies_(copies) {}

std::unique_ptr<Code> ReplicationCode::create(int k, const SpecString& spec) {
  spec.allow_only("n");
  const long long copies = spec.integer("n", 2);
  require(copies >= 1 && copies <= Code::kMaxShards, "replication: n (copies of each block) must be in 1..",
          Code::kMaxShards, ", got ", copies);
  return std::make_unique<ReplicationCode>(k, static_cast<int>(copies));
}

std::string ReplicationCode::spec() const { return cat("replication:n=", copies_); }

bool ReplicationCode::decodable(const ShardMask& arrived) const {
  check_mask(arrived, "arrived");
  for (int i = 0; i < k(); ++i) {
    bool held = false;
    for (int c = 0; c < copies_ && !held; ++c) held = arrived[static_cast<std::size_t>(c * k() + i)];
    if (!held) return false;
  }
  return true;
}

}  // namespace cdcnn
