#include "codes/pairwise.hpp"

#include "code_test_util.hpp"
#include "codes/encoding.hpp"
#include "codes/registry.hpp"

namespace cdcnn {
namespace {

// The paper's worked example (eq. 1): a 2×2 layer split over two devices,
// with a third computing the parity row [w11+w21, w12+w22]. Any one of the
// three outputs lost is recovered by a subtraction.
TEST(PairwiseCode, ReproducesTheSeedsWorkedExample) {
  PairwiseCode code(2);
  ASSERT_EQ(code.n(), 3);
  Matrix w(2, 2);
  w << 1.5f, -2.0f,  // w11 w12
      0.25f, 3.0f;   // w21 w22
  const Vector b = Vector::Zero(2);
  const EncodedShards enc = encode_layer(code, w, b);
  ASSERT_EQ(enc.rows_per_block, 1);
  Matrix parity(1, 2);
  parity << 1.5f + 0.25f, -2.0f + 3.0f;  // w11+w21, w12+w22
  EXPECT_EQ(enc.weights[0], w.row(0));
  EXPECT_EQ(enc.weights[1], w.row(1));
  EXPECT_EQ(enc.weights[2], parity);

  Matrix x(2, 1);
  x << 2.0f, -1.0f;
  const Matrix y = w * x;  // y1 = w11 x1 + w12 x2, y2 = w21 x1 + w22 x2
  std::vector<Matrix> z;
  for (const auto& shard : enc.weights) z.push_back(shard * x);
  for (int lost = 0; lost < 3; ++lost) {
    std::vector<std::optional<Matrix>> arrived(3);
    for (int j = 0; j < 3; ++j)
      if (j != lost) arrived[static_cast<std::size_t>(j)] = z[static_cast<std::size_t>(j)];
    const auto blocks = code.decode(arrived);
    EXPECT_EQ(blocks[0](0, 0), y(0, 0)) << "lost " << lost;
    EXPECT_EQ(blocks[1](0, 0), y(1, 0)) << "lost " << lost;
  }
  // y1 lost: y1 = (y1 + y2) - y2, the paper's subtraction, bit for bit.
  EXPECT_EQ(z[2](0, 0) - z[1](0, 0), y(0, 0));
}

TEST(PairwiseCode, PairsBlocksAndCopiesTheLastWhenKIsOdd) {
  PairwiseCode even(4);
  EXPECT_EQ(even.n(), 6);
  EXPECT_EQ(even.generator().row(4), (Eigen::RowVectorXd(4) << 1, 1, 0, 0).finished());
  EXPECT_EQ(even.generator().row(5), (Eigen::RowVectorXd(4) << 0, 0, 1, 1).finished());
  PairwiseCode odd(5);
  EXPECT_EQ(odd.n(), 8);
  EXPECT_EQ(odd.generator().row(7), (Eigen::RowVectorXd(5) << 0, 0, 0, 0, 1).finished());
}

TEST(PairwiseCode, AgreesWithTheRankTestAndDecodesEveryLossPattern) {
  for (int k = 1; k <= 8; ++k) test::check_every_loss_pattern(PairwiseCode(k));
}

TEST(PairwiseCode, RecoversLayerShapedBlocks) {
  for (int k : {2, 3, 8}) test::check_layer_shaped_blocks(PairwiseCode(k));
}

TEST(PairwiseCode, SurvivesOneLossPerPair) {
  PairwiseCode code(4);
  EXPECT_TRUE(code.decodable({false, true, false, true, true, true}));
  EXPECT_FALSE(code.decodable({false, false, true, true, true, true}));
}

}  // namespace
}  // namespace cdcnn
