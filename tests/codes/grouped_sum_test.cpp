#include "codes/grouped_sum.hpp"

#include "code_test_util.hpp"
#include "codes/registry.hpp"

namespace cdcnn {
namespace {

TEST(GroupedSumCode, AgreesWithTheRankTestAndDecodesEveryLossPatternForEveryG) {
  for (int k = 1; k <= 8; ++k)
    for (int g = 1; g <= k; ++g)
      if (k % g == 0) {
        GroupedSumCode code(k, g);
        EXPECT_EQ(code.n(), k + g);
        EXPECT_EQ(code.spec(), "grouped-sum:g=" + std::to_string(g));
        test::check_every_loss_pattern(code);
      }
}

TEST(GroupedSumCode, RecoversLayerShapedBlocks) {
  test::check_layer_shaped_blocks(GroupedSumCode(8, 2));
  test::check_layer_shaped_blocks(GroupedSumCode(6, 3));
}

TEST(GroupedSumCode, TellsWhichBlocksAPartialSetAlreadyDetermines) {
  GroupedSumCode code(4, 2);  // groups {0,1} parity 4, {2,3} parity 5
  const ShardMask arrived{true, true, false, false, true, true};
  EXPECT_FALSE(code.decodable(arrived));
  EXPECT_EQ(code.recoverable_blocks(arrived), (ShardMask{true, true, false, false}));
  EXPECT_EQ(code.minimum_to_decode({true, false, false, false}, arrived), (std::vector<int>{0}));
  // Block 1 lost: its group's parity and block 0 suffice, nothing from group 2.
  EXPECT_EQ(code.minimum_to_decode({false, true, false, false}, {true, false, true, true, true, true}),
            (std::vector<int>{0, 4}));
}

TEST(GroupedSumCode, RejectsAGThatDoesNotDivideK) {
  try {
    code_registry().make("grouped-sum:g=3", 4);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "grouped-sum: g=3 must divide k=4 (1 <= g <= k)");
  }
  EXPECT_THROW(code_registry().make("grouped-sum:g=0", 4), Error);
  EXPECT_EQ(code_registry().make("grouped-sum", 4)->spec(), "grouped-sum:g=2");
}

}  // namespace
}  // namespace cdcnn
