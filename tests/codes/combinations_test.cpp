#include "codes/combinations.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <vector>

namespace cdcnn {
namespace {

std::int64_t binomial(int n, int k) {
  std::int64_t c = 1;
  for (int i = 0; i < k; ++i) c = c * (n - i) / (i + 1);
  return c;
}

TEST(Combinations, VisitsEachOfTheBinomialManySubsetsOnceInLexicographicOrder) {
  for (int n = 0; n <= 10; ++n)
    for (int k = 0; k <= n; ++k) {
      SCOPED_TRACE(testing::Message() << "n=" << n << " k=" << k);
      std::vector<std::vector<int>> seen;
      const bool finished = for_each_combination(n, k, [&](std::span<const int> pick) {
        seen.emplace_back(pick.begin(), pick.end());
      });
      EXPECT_TRUE(finished);
      ASSERT_EQ(static_cast<std::int64_t>(seen.size()), binomial(n, k));
      for (const auto& pick : seen) {
        ASSERT_EQ(static_cast<int>(pick.size()), k);
        for (std::size_t i = 0; i < pick.size(); ++i) {
          EXPECT_GE(pick[i], 0);
          EXPECT_LT(pick[i], n);
          if (i > 0) {
            EXPECT_LT(pick[i - 1], pick[i]);  // ascending, so distinct
          }
        }
      }
      for (std::size_t s = 1; s < seen.size(); ++s) EXPECT_LT(seen[s - 1], seen[s]);  // strictly: no repeats
    }
}

TEST(Combinations, SmallCaseInFull) {
  std::vector<std::vector<int>> seen;
  for_each_combination(4, 2, [&](std::span<const int> pick) { seen.emplace_back(pick.begin(), pick.end()); });
  const std::vector<std::vector<int>> want = {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}};
  EXPECT_EQ(seen, want);
}

TEST(Combinations, ZeroOfAnythingIsOneEmptySubsetAndTooManyIsNone) {
  int calls = 0;
  for_each_combination(3, 0, [&](std::span<const int> pick) {
    EXPECT_TRUE(pick.empty());
    ++calls;
  });
  EXPECT_EQ(calls, 1);
  calls = 0;
  for_each_combination(3, 4, [&](std::span<const int>) { ++calls; });
  for_each_combination(3, -1, [&](std::span<const int>) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(Combinations, AVisitorReturningFalseStopsTheWalk) {
  std::vector<int> firsts;
  const bool finished = for_each_combination(5, 3, [&](std::span<const int> pick) {
    firsts.push_back(pick[2]);
    return firsts.size() < 4;
  });
  EXPECT_FALSE(finished);
  EXPECT_EQ(firsts, (std::vector<int>{2, 3, 4, 3}));  // {0,1,2} {0,1,3} {0,1,4} {0,2,3}, then stopped
  EXPECT_TRUE(for_each_combination(5, 3, [](std::span<const int>) { return true; }));
}

}  // namespace
}  // namespace cdcnn
