#include "codes/parity_groups.hpp"

#include <functional>
#include <string>

#include "code_test_util.hpp"

namespace cdcnn {
namespace {

/// A parity-group code built from any groups, for testing the base class.
class GroupsCode final : public ParityGroupCode {
 public:
  GroupsCode(int k, std::vector<std::vector<int>> groups) : ParityGroupCode(k, std::move(groups)) {}
  using ParityGroupCode::contiguous_groups;
  std::string name() const override { return "groups"; }
  std::string spec() const override { return "groups"; }
};

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ParityGroupCode, DecodesEveryLossPatternOfUnevenGroups) {
  GroupsCode code(5, {{0, 3}, {1, 2, 4}});
  EXPECT_EQ(code.n(), 7);
  EXPECT_EQ(code.generator().row(6), (Eigen::RowVectorXd(5) << 0, 1, 1, 0, 1).finished());
  test::check_every_loss_pattern(code);
}

TEST(ParityGroupCode, RefusesGroupsThatDoNotPartitionTheBlocksBeforeBuildingAnything) {
  // Block 2^30 used to be written into the generator before it was checked.
  EXPECT_EQ(error_of([] { GroupsCode(2, {{0, 1 << 30}}); }),
            "parity groups must partition the k=2 blocks (block 1073741824 is out of range or in two groups)");
  EXPECT_EQ(error_of([] { GroupsCode(2, {{-1, 0}}); }),
            "parity groups must partition the k=2 blocks (block -1 is out of range or in two groups)");
  EXPECT_EQ(error_of([] { GroupsCode(3, {{0, 1}, {1, 2}}); }),
            "parity groups must partition the k=3 blocks (block 1 is out of range or in two groups)");
  EXPECT_EQ(error_of([] { GroupsCode(3, {{0}, {2}}); }),
            "parity groups must cover all k=3 blocks (block 1 is in none)");
  EXPECT_EQ(error_of([] { GroupsCode(0, {}); }), "k must be at least 1, got 0");
  // A (2^30 + 1) x 2^30 generator was allocated before n was checked.
  EXPECT_EQ(error_of([] { GroupsCode(1 << 30, {}); }),
            "a code needs k <= n <= 64 shards, got n=1073741824 for k=1073741824");
}

TEST(ParityGroupCode, ContiguousGroupsNeedACountThatDividesK) {
  EXPECT_EQ(GroupsCode::contiguous_groups(6, 3), (std::vector<std::vector<int>>{{0, 1}, {2, 3}, {4, 5}}));
  // 0 groups divided by zero; 4 groups of 6 blocks wrote past the last group.
  for (int g : {0, 4, 7, -1})
    EXPECT_EQ(error_of([g] { GroupsCode::contiguous_groups(6, g); }),
              "parity groups: " + std::to_string(g) + " groups must divide k=6 (1 <= groups <= k)")
        << g;
}

}  // namespace
}  // namespace cdcnn
