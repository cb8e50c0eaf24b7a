#pragma once
// `mds:r=R`: a systematic real MDS code. n = k+R, G = [I_k; P] with P an R×k
// parity block; ANY k of the n shards suffice (tolerance R).
//
// Real-valued MDS codes are numerically fragile: with a real Vandermonde
// parity block the worst-case decoding system is ill-conditioned already at
// k=8, R=3 (condition numbers in the 1e4–1e17 range). cdcnn therefore uses
// parity blocks found by an offline search (codes/tools/search_mds_parity.py)
// that minimises the worst condition number over *all* decodable k-shard
// systems (see codes/conditioning.hpp for the exact figure). Every square
// submatrix of P is nonsingular, which is the MDS property, and the worst
// condition number is stored with each block and re-verified by the tests.
// For k <= 12, R <= 4 these tables are used; beyond them P is the best of 8
// seeded Gaussian draws, certified at construction by examining every
// decodable system (only when there are at most 20000 of them and their
// count times k^3 is at most 1e7, so that this takes at most about 1 s).
//
// A code whose worst condition number exceeds kMaxWorstCondition (1000:
// float32 rounding of ~6e-8 could then grow to ~1e-4, the project's
// accuracy bound) or that cannot be certified is refused with an Error:
// "r too large for a well-conditioned code".

#include <memory>

#include "codes/code.hpp"
#include "core/spec_string.hpp"

namespace cdcnn {

class MdsCode final : public Code {
 public:
  static constexpr double kMaxWorstCondition = 1000.0;

  /// Error if r < 1, or the code would not be well conditioned (see above).
  MdsCode(int k, int r);
  /// Registry factory: "mds:r=R", R defaults to 2.
  static std::unique_ptr<Code> create(int k, const SpecString& spec);

  int r() const { return n() - k(); }
  /// The certified worst condition number over all decodable systems.
  double worst_condition() const { return worst_condition_; }

  std::string name() const override { return "mds"; }
  std::string spec() const override;
  int tolerance() const override { return r(); }
  /// Any k arrived shards.
  bool decodable(const ShardMask& arrived) const override;

 private:
  MdsCode(int k, int r, std::pair<Eigen::MatrixXd, double> construction);
  double worst_condition_;
};

/// The stored parity block for (k, r) and its worst condition number, if
/// k <= 12 and r <= 4 (the offline-searched table); nullopt otherwise.
std::optional<std::pair<Eigen::MatrixXd, double>> mds_table_parity(int k, int r);

}  // namespace cdcnn
