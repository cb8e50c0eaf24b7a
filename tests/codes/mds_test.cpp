#include "codes/mds.hpp"

#include <chrono>

#include "code_test_util.hpp"
#include "codes/conditioning.hpp"
#include "codes/registry.hpp"

namespace cdcnn {
namespace {

TEST(MdsCode, AnyKShardsDecodeForEveryRUpToFour) {
  for (int k = 1; k <= 8; ++k)
    for (int r = 1; r <= 4; ++r) {
      MdsCode code(k, r);
      EXPECT_EQ(code.n(), k + r);
      EXPECT_EQ(code.tolerance(), r);
      EXPECT_TRUE(code.systematic());
      EXPECT_EQ(code.spec(), "mds:r=" + std::to_string(r));
      test::check_every_loss_pattern(code);
    }
}

TEST(MdsCode, RecoversLayerShapedBlocks) {
  for (auto [k, r] : {std::pair{2, 1}, {4, 2}, {8, 2}, {8, 4}}) test::check_layer_shaped_blocks(MdsCode(k, r));
}

// The stored worst condition numbers (the README's table) are what the
// parity blocks really give, and every square system is nonsingular.
TEST(MdsCode, StoredWorstConditionNumbersAreExactForKUpToTwelve) {
  for (int k = 1; k <= 12; ++k)
    for (int r = 1; r <= 4; ++r) {
      auto stored = mds_table_parity(k, r);
      ASSERT_TRUE(stored.has_value()) << k << "," << r;
      Eigen::MatrixXd g(k + r, k);
      g.topRows(k).setIdentity();
      g.bottomRows(r) = stored->first;
      const double worst = worst_condition_number(g, [k](const ShardMask& m) {
        return std::count(m.begin(), m.end(), true) >= k;
      });
      EXPECT_NEAR(worst, stored->second, 1e-4 * stored->second) << "k=" << k << " r=" << r;
    }
}

TEST(MdsCode, RefusesAnRTooLargeForAWellConditionedCode) {
  try {
    code_registry().make("mds:r=4", 12);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mds: r=4 is too large for a well-conditioned real code with k=12"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(code_registry().make("mds:r=30", 8), Error);
  EXPECT_THROW(code_registry().make("mds:r=0", 8), Error);
  EXPECT_THROW(code_registry().make("mds:r=-1", 8), Error);
}

TEST(MdsCode, BeyondTheTableUsesACertifiedSeededConstruction) {
  MdsCode code(16, 1);
  EXPECT_LE(code.worst_condition(), MdsCode::kMaxWorstCondition);
  EXPECT_NEAR(worst_condition_number(code), code.worst_condition(), 1e-6 * code.worst_condition());
  MdsCode again(16, 1);
  EXPECT_EQ(code.generator(), again.generator());
  test::check_layer_shaped_blocks(code);
}

// Found by fuzz_spec: "mds:r=5" with k=12 spent 13 s (1.8 s in a release
// build) certifying random parity blocks, k=22 with r=4 23 s. What would take
// more than about a second is refused before any work.
TEST(MdsCode, RefusesAtOnceWhatWouldTakeLongToCertify) {
  for (auto [k, r] : {std::pair{12, 5}, {22, 4}, {40, 2}}) {
    const auto start = std::chrono::steady_clock::now();
    try {
      code_registry().make("mds:r=" + std::to_string(r), k);
      ADD_FAILURE() << "k=" << k << " r=" << r << " was built";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("too many to certify"), std::string::npos) << e.what();
    }
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 0.5);
  }
  EXPECT_EQ(code_registry().make("mds:r=3", 13)->n(), 16);  // beyond the table, still certified
}

TEST(MdsCode, DefaultsToTwoParities) { EXPECT_EQ(code_registry().make("mds", 4)->spec(), "mds:r=2"); }

}  // namespace
}  // namespace cdcnn
