#include "codes/uncoded.hpp"

#include "code_test_util.hpp"
#include "codes/registry.hpp"

namespace cdcnn {
namespace {

TEST(UncodedCode, IsTheIdentityAndNeedsEveryShard) {
  for (int k = 1; k <= 8; ++k) {
    UncodedCode code(k);
    EXPECT_EQ(code.n(), k);
    EXPECT_EQ(code.generator(), Eigen::MatrixXd::Identity(k, k));
    EXPECT_EQ(code.tolerance(), 0);
    EXPECT_TRUE(code.systematic());
    test::check_every_loss_pattern(code);
  }
}

TEST(UncodedCode, DecodesLayerShapedBlocksByCopying) {
  for (int k : {1, 4, 8}) test::check_layer_shaped_blocks(UncodedCode(k));
}

TEST(UncodedCode, LeavesBlocksReceivedInPlaceUntouched) {
  UncodedCode code(2);
  std::vector<float> a{1, 2}, b{3, 4};
  std::vector<std::span<const float>> shards{a, b};
  std::vector<std::span<float>> blocks{a, b};
  code.decode(shards, blocks);
  EXPECT_EQ(a, (std::vector<float>{1, 2}));
  EXPECT_EQ(b, (std::vector<float>{3, 4}));
}

TEST(UncodedCode, TakesNoParameters) {
  EXPECT_EQ(code_registry().make("uncoded", 3)->spec(), "uncoded");
  EXPECT_THROW(code_registry().make("uncoded:r=1", 3), Error);
}

}  // namespace
}  // namespace cdcnn
