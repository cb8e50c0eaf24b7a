#include "codes/sum.hpp"

#include "code_test_util.hpp"
#include "codes/registry.hpp"

namespace cdcnn {
namespace {

TEST(SumCode, IsTheIdentityOverARowOfOnes) {
  SumCode code(4);
  EXPECT_EQ(code.n(), 5);
  EXPECT_EQ(code.generator().topRows(4), Eigen::MatrixXd::Identity(4, 4));
  EXPECT_EQ(code.generator().row(4), Eigen::RowVectorXd::Ones(4));
  EXPECT_EQ(code.tolerance(), 1);
}

TEST(SumCode, AgreesWithTheRankTestAndDecodesEveryLossPattern) {
  for (int k = 1; k <= 8; ++k) test::check_every_loss_pattern(SumCode(k));
}

TEST(SumCode, RecoversLayerShapedBlocks) {
  for (int k : {1, 2, 4, 8}) test::check_layer_shaped_blocks(SumCode(k));
}

TEST(SumCode, RecoversAMissingBlockAsParityMinusTheOthersExactly) {
  // Small integers: the subtraction is exact, so equality is exact.
  SumCode code(3);
  std::vector<std::optional<Matrix>> shards(4);
  Matrix a(1, 2), b(1, 2), c(1, 2), p(1, 2);
  a << 1, 2;
  b << 3, 4;
  c << 5, 6;
  p = a + b + c;
  shards[0] = a;
  shards[2] = c;
  shards[3] = p;
  const auto blocks = code.decode(shards);
  EXPECT_EQ(blocks[1], b);
  EXPECT_EQ(blocks[0], a);
}

TEST(SumCode, RefusesTwoLosses) {
  SumCode code(3);
  std::vector<std::optional<Matrix>> shards(4, Matrix::Ones(2, 2));
  shards[0].reset();
  shards[1].reset();
  try {
    code.decode(shards);
    FAIL() << "decoded an undecodable set";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "code 'sum' (n=4, k=3): shards {2,3} arrived, which do not determine all data blocks; refusing to decode");
  }
}

TEST(SumCode, TakesNoParameters) {
  EXPECT_EQ(code_registry().make("sum", 5)->spec(), "sum");
  EXPECT_THROW(code_registry().make("sum:g=2", 5), Error);
}

}  // namespace
}  // namespace cdcnn
