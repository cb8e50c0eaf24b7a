#include "codes/encoding.hpp"

#include "code_test_util.hpp"
#include "codes/registry.hpp"

namespace cdcnn {
namespace {

Matrix random_matrix(Index rows, Index cols, std::uint64_t seed) {
  return test::random_blocks(1, rows, cols, seed)[0];
}

TEST(Encoding, PadsTheLastBlockWithZeroRowsWhenKDoesNotDivideM) {
  auto code = code_registry().make("sum", 4);
  const Matrix w = random_matrix(10, 3, 1);
  const Vector b = random_matrix(10, 1, 2).col(0);
  const EncodedShards enc = encode_layer(*code, w, b);
  EXPECT_EQ(enc.rows_per_block, 3);
  EXPECT_EQ(enc.padded_rows, 12);
  ASSERT_EQ(enc.weights.size(), 5u);
  EXPECT_EQ(enc.weights[0], w.topRows(3));  // systematic shards are exact copies
  EXPECT_EQ(enc.weights[3].topRows(1), w.bottomRows(1));
  EXPECT_TRUE(enc.weights[3].bottomRows(2).isZero());
  EXPECT_TRUE(enc.biases[3].tail(2).isZero());
  // Parity row 2 sums only three real rows (block 3's row 2 is padding).
  EXPECT_NEAR(enc.weights[4](2, 0), w(2, 0) + w(5, 0) + w(8, 0), 1e-6);
  EXPECT_NEAR(enc.biases[4](0), b(0) + b(3) + b(6) + b(9), 1e-6);
}

// One shard at a time, straight into a caller's buffer (the master's weight
// message): the parity's rows are the sums of the blocks' rows, padding included.
TEST(Encoding, EncodesOneShardIntoACallersBuffer) {
  auto code = code_registry().make("sum", 4);
  const Matrix w = random_matrix(10, 3, 1);
  const Vector b = random_matrix(10, 1, 2).col(0);
  std::vector<float> buffer(3 * 3 + 3, -1.0f);
  encode_shard(*code, w, b, 4, MatrixMap(buffer.data(), 3, 3), Eigen::Map<Vector>(buffer.data() + 9, 3));
  for (Index r = 0; r < 3; ++r) {
    for (Index c = 0; c < 3; ++c) {
      double sum = 0;
      for (Index i = 0; i < 4; ++i)
        if (i * 3 + r < 10) sum += w(i * 3 + r, c);
      EXPECT_NEAR(buffer[static_cast<std::size_t>(r * 3 + c)], sum, 1e-5);
    }
    double bias = 0;
    for (Index i = 0; i < 4; ++i)
      if (i * 3 + r < 10) bias += b(i * 3 + r);
    EXPECT_NEAR(buffer[static_cast<std::size_t>(9 + r)], bias, 1e-5);
  }
  Matrix small(2, 3);
  Vector small_b(2);
  EXPECT_THROW(encode_shard(*code, w, b, 0, MatrixMap(small.data(), 2, 3), Eigen::Map<Vector>(small_b.data(), 2)),
               Error);
  EXPECT_THROW(encode_shard(*code, w, b, 5, MatrixMap(buffer.data(), 3, 3), Eigen::Map<Vector>(buffer.data() + 9, 3)),
               Error);
}

TEST(Encoding, RejectsMoreBlocksThanRowsAndMismatchedBias) {
  auto code = code_registry().make("sum", 4);
  EXPECT_THROW(encode_layer(*code, Matrix::Ones(3, 2), Vector::Ones(3)), Error);
  EXPECT_THROW(encode_layer(*code, Matrix::Ones(8, 2), Vector::Ones(7)), Error);
  EXPECT_THROW(rows_per_block(0, 1), Error);
}

// Shard outputs W'_j·X + b'_j, decoded and assembled, equal W·X + b for every
// code and every single loss (and every r-loss set for MDS), with padding.
TEST(Encoding, DecodedShardOutputsEqualTheLayerOutput) {
  for (const char* spec : {"uncoded", "replication:n=2", "pairwise", "sum", "grouped-sum:g=2", "mds:r=2", "mds:r=3"})
    for (auto [m, q, p, k] : {std::tuple<Index, Index, Index, int>{10, 7, 1, 4}, {33, 12, 9, 8}, {64, 20, 5, 2}}) {
      auto code = code_registry().make(spec, k);
      SCOPED_TRACE(code->spec() + " m=" + std::to_string(m) + " k=" + std::to_string(k));
      const Matrix w = random_matrix(m, q, 3), x = random_matrix(q, p, 4);
      const Vector b = random_matrix(m, 1, 5).col(0);
      const Matrix y = (w * x).colwise() + b;
      const EncodedShards enc = encode_layer(*code, w, b);
      std::vector<Matrix> z;
      for (int j = 0; j < code->n(); ++j)
        z.push_back((enc.weights[static_cast<std::size_t>(j)] * x).colwise() + enc.biases[static_cast<std::size_t>(j)]);
      for (int lost = -1; lost < code->n(); ++lost) {
        ShardMask arrived(static_cast<std::size_t>(code->n()), true);
        if (lost >= 0) arrived[static_cast<std::size_t>(lost)] = false;
        if (!code->decodable(arrived)) continue;
        const auto blocks = code->decode(test::arrived_only(z, arrived));
        const Matrix got = assemble_output(blocks, m);
        ASSERT_EQ(got.rows(), m);
        EXPECT_LT((got - y).cwiseAbs().maxCoeff() / y.cwiseAbs().maxCoeff(), 1e-4) << "lost " << lost;
      }
    }
}

TEST(Encoding, AssemblesFromFlatBuffersDroppingPadding) {
  std::vector<float> b0{1, 2, 3, 4}, b1{5, 6, 0, 0};  // 2 rows × 2, last row padding
  std::vector<std::span<const float>> blocks{b0, b1};
  Matrix y(3, 2);
  assemble_output(blocks, 2, MatrixMap(y.data(), 3, 2));
  EXPECT_EQ(y, (Matrix(3, 2) << 1, 2, 3, 4, 5, 6).finished());
  Matrix too_big(5, 2);
  EXPECT_THROW(assemble_output(blocks, 2, MatrixMap(too_big.data(), 5, 2)), Error);
}

TEST(Encoding, AssemblyLeavesABlockAlreadyInPlaceAndCopiesTheOthers) {
  // The master decodes a missing block straight into the output: block 0
  // below is the output's own first rows, block 1 arrived elsewhere.
  Matrix y(3, 2);
  y << 1, 2, 3, 4, -1, -1;
  std::vector<float> b1{5, 6, 0, 0};
  std::vector<std::span<const float>> blocks{std::span<const float>(y.data(), 4), b1};
  assemble_output(blocks, 2, MatrixMap(y.data(), 3, 2));
  EXPECT_EQ(y, (Matrix(3, 2) << 1, 2, 3, 4, 5, 6).finished());
}

}  // namespace
}  // namespace cdcnn
