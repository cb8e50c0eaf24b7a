// The consistency check behind --check over every arrival pattern and every
// choice of a wrong shard, held against a reference that shares no code
// with it: spare shards by a direct rank test, agreement by least squares
// (the arrived results lie in the column space of the arrived rows of G).
// For MDS codes also against the theory: s spare shards catch a wrong one
// when s ≥ 1 and locate it when s ≥ 2.
#include "codes/shard_check.hpp"

#include <Eigen/QR>
#include <memory>
#include <string>

#include "code_test_util.hpp"
#include "codes/registry.hpp"

namespace cdcnn {
namespace {

constexpr Index kRows = 3, kCols = 5;

/// Least squares: do the results of the shards in `use` fit one set of data
/// blocks? (Residual within 1e-3 of the largest result.)
bool fits(const Eigen::MatrixXd& g, const std::vector<Matrix>& z, const ShardMask& use) {
  std::vector<Eigen::Index> rows;
  for (std::size_t j = 0; j < use.size(); ++j)
    if (use[j]) rows.push_back(static_cast<Eigen::Index>(j));
  const Eigen::MatrixXd a = g(rows, Eigen::all);
  Eigen::MatrixXd b(static_cast<Eigen::Index>(rows.size()), kRows * kCols);
  for (std::size_t r = 0; r < rows.size(); ++r)
    b.row(static_cast<Eigen::Index>(r)) =
        Eigen::Map<const Eigen::VectorXf>(z[static_cast<std::size_t>(rows[r])].data(), kRows * kCols).cast<double>();
  const Eigen::MatrixXd x = a.colPivHouseholderQr().solve(b);
  return (a * x - b).cwiseAbs().maxCoeff() <= 1e-3 * b.cwiseAbs().maxCoeff();
}

ShardMask without(ShardMask mask, int j) {
  mask[static_cast<std::size_t>(j)] = false;
  return mask;
}

/// The reference verdict on the results `z` of the arrived shards.
ShardCheck reference(const Eigen::MatrixXd& g, const std::vector<Matrix>& z, const ShardMask& arrived) {
  const int n = static_cast<int>(arrived.size());
  bool spare = false;
  for (int j = 0; j < n; ++j) spare = spare || (arrived[static_cast<std::size_t>(j)] && test::rank_decodable(g, without(arrived, j)));
  if (!spare) return {CheckResult::unverified, -1};
  if (fits(g, z, arrived)) return {CheckResult::consistent, -1};
  std::vector<int> candidates;
  for (int j = 0; j < n; ++j)
    if (arrived[static_cast<std::size_t>(j)] && test::rank_decodable(g, without(arrived, j)) &&
        fits(g, z, without(arrived, j)))
      candidates.push_back(j);
  if (candidates.size() == 1) return {CheckResult::corrected, candidates[0]};
  return {CheckResult::inconsistent, -1};
}

ShardCheck run_check(const Code& code, const std::vector<Matrix>& z, const ShardMask& arrived) {
  std::vector<std::span<const float>> shards;
  for (std::size_t j = 0; j < z.size(); ++j)
    shards.push_back(arrived[j] ? std::span<const float>(z[j].data(), static_cast<std::size_t>(z[j].size()))
                                : std::span<const float>());
  return check_shards(code, shards);
}

TEST(ShardCheck, EveryArrivalPatternAndWrongShardAgreesWithLeastSquares) {
  for (auto [spec, k] : std::vector<std::pair<std::string, int>>{{"uncoded", 3},
                                                                 {"replication:n=2", 3},
                                                                 {"pairwise", 4},
                                                                 {"sum", 4},
                                                                 {"grouped-sum:g=2", 4},
                                                                 {"mds:r=2", 4},
                                                                 {"mds:r=3", 4}}) {
    const auto code = code_registry().make(spec, k);
    const int n = code->n();
    const bool mds = code->name() == "mds";
    const std::vector<Matrix> z = test::shard_results(*code, test::random_blocks(k, kRows, kCols, 5));
    int located = 0, caught = 0;
    for (std::uint64_t bits = 0; bits < (std::uint64_t{1} << n); ++bits) {
      const ShardMask arrived = test::mask_of(bits, n);
      const int spares = static_cast<int>(std::count(arrived.begin(), arrived.end(), true)) - k;
      SCOPED_TRACE(code->spec() + " arrived " + format_mask(arrived));
      // Honest shards: consistent whenever there is a spare to check with.
      const ShardCheck honest = run_check(*code, z, arrived);
      const ShardCheck want = reference(code->generator(), z, arrived);
      EXPECT_EQ(honest.result, want.result);
      EXPECT_NE(honest.result, CheckResult::corrected);
      EXPECT_EQ(honest.culprit, -1);
      if (mds) {
        EXPECT_EQ(honest.result, spares >= 1 ? CheckResult::consistent : CheckResult::unverified);
      }
      // One wrong shard at a time.
      for (int c = 0; c < n; ++c) {
        if (!arrived[static_cast<std::size_t>(c)]) continue;
        SCOPED_TRACE("shard " + std::to_string(c) + " wrong");
        std::vector<Matrix> wrong = z;
        wrong[static_cast<std::size_t>(c)].array() += 2.0f;
        const ShardCheck got = run_check(*code, wrong, arrived);
        const ShardCheck ref = reference(code->generator(), wrong, arrived);
        EXPECT_EQ(got.result, ref.result);
        EXPECT_EQ(got.culprit, ref.culprit);
        if (got.result == CheckResult::corrected) {
          EXPECT_EQ(got.culprit, c);
        }
        if (mds) {
          EXPECT_EQ(got.result, spares >= 2   ? CheckResult::corrected
                                : spares == 1 ? CheckResult::inconsistent
                                              : CheckResult::unverified);
        }
        located += got.result == CheckResult::corrected;
        caught += got.result == CheckResult::inconsistent;
      }
    }
    // Every code with any redundancy catches some wrong shard; r >= 2 locates some.
    if (n > k) {
      EXPECT_GT(caught + located, 0) << spec;
    }
    if (code->tolerance() >= 2) {
      EXPECT_GT(located, 0) << spec;
    }
  }
}

TEST(ShardCheck, Mds2LocatesWithTwoSparesFlagsWithOneAndCannotSayWithNone) {
  const auto code = code_registry().make("mds:r=2", 4);  // n = 6
  std::vector<Matrix> z = test::shard_results(*code, test::random_blocks(4, kRows, kCols, 9));
  z[3].array() += 2.0f;
  const ShardCheck all = run_check(*code, z, ShardMask(6, true));
  EXPECT_EQ(all.result, CheckResult::corrected);
  EXPECT_EQ(all.culprit, 3);
  EXPECT_EQ(run_check(*code, z, {true, true, true, true, true, false}).result, CheckResult::inconsistent);
  EXPECT_EQ(run_check(*code, z, {true, true, true, true, false, false}).result, CheckResult::unverified);
  EXPECT_EQ(run_check(*code, z, {true, false, false, false, false, false}).result, CheckResult::unverified);
}

TEST(ShardCheck, RejectsWrongCountsAndSizes) {
  const auto code = code_registry().make("sum", 2);
  std::vector<float> a(4, 1.0f), b(4, 2.0f), c(3, 3.0f);
  std::vector<std::span<const float>> two{a, b};
  EXPECT_THROW(check_shards(*code, two), Error);
  std::vector<std::span<const float>> mixed{a, b, c};
  EXPECT_THROW(check_shards(*code, mixed), Error);
}

}  // namespace
}  // namespace cdcnn
