#include "codes/encoding.hpp"

#include <cstring>

#include "core/error.hpp"

namespace cdcnn {

Index rows_per_block(Index rows, int k) {
  require(rows >= 1, "encoding: a layer needs at least one output row, got ", rows);
  require(k >= 1 && k <= rows, "encoding: cannot split ", rows, " output rows ", k, " ways (need 1 <= k <= rows)");
  return (rows + k - 1) / k;
}

EncodedShards encode_layer(const Code& code, const Eigen::Ref<const Matrix>& weight,
                           const Eigen::Ref<const Vector>& bias) {
  require(bias.size() == weight.rows(), "encoding: bias has ", bias.size(), " entries, weight has ", weight.rows(),
          " rows");
  EncodedShards out;
  out.rows = weight.rows();
  out.cols = weight.cols();
  out.rows_per_block = rows_per_block(out.rows, code.k());
  out.padded_rows = out.rows_per_block * code.k();
  for (int j = 0; j < code.n(); ++j) {
    Matrix w(out.rows_per_block, out.cols);
    Vector b(out.rows_per_block);
    encode_shard(code, weight, bias, j, MatrixMap(w.data(), w.rows(), w.cols()), Eigen::Map<Vector>(b.data(), b.size()));
    out.weights.push_back(std::move(w));
    out.biases.push_back(std::move(b));
  }
  return out;
}

void encode_shard(const Code& code, const Eigen::Ref<const Matrix>& weight, const Eigen::Ref<const Vector>& bias, int j,
                  MatrixMap w, Eigen::Map<Vector> b) {
  const Index m = weight.rows(), q = weight.cols();
  require(bias.size() == m, "encoding: bias has ", bias.size(), " entries, weight has ", m, " rows");
  const Index rpb = rows_per_block(m, code.k());
  require(j >= 0 && j < code.n(), "encoding: no shard ", j, " in a code of ", code.n(), " shards");
  require(w.rows() == rpb && w.cols() == q && b.size() == rpb, "encoding: shard ", j, " needs a ", rpb, "x", q,
          " weight block and ", rpb, " biases, got ", w.rows(), "x", w.cols(), " and ", b.size());
  const Eigen::MatrixXd& g = code.generator();
  // Row r of block i is row i·rpb + r of W, or a zero padding row past m.
  auto valid_rows = [&](int i) { return std::max<Index>(0, std::min<Index>(rpb, m - i * rpb)); };
  w.setZero();
  b.setZero();
  // A verbatim row (systematic shard or replica) is a copy, bit for bit.
  int unit = -1, nonzero = 0;
  for (int i = 0; i < code.k(); ++i)
    if (g(j, i) != 0.0) ++nonzero, unit = (g(j, i) == 1.0 ? i : -2);
  if (nonzero == 1 && unit >= 0) {
    const Index v = valid_rows(unit);
    w.topRows(v) = weight.middleRows(unit * rpb, v);
    b.head(v) = bias.segment(unit * rpb, v);
    return;
  }
  Eigen::RowVectorXd acc(q);
  for (Index r = 0; r < rpb; ++r) {
    acc.setZero();
    double bias_acc = 0.0;
    for (int i = 0; i < code.k(); ++i) {
      if (g(j, i) == 0.0 || r >= valid_rows(i)) continue;
      acc += g(j, i) * weight.row(i * rpb + r).cast<double>();
      bias_acc += g(j, i) * static_cast<double>(bias(i * rpb + r));
    }
    w.row(r) = acc.cast<float>();
    b(r) = static_cast<float>(bias_acc);
  }
}

void assemble_output(std::span<const std::span<const float>> data_blocks, Index rows_per_block, MatrixMap out) {
  const Index k = static_cast<Index>(data_blocks.size()), m = out.rows(), p = out.cols();
  require(k >= 1 && rows_per_block >= 1 && m >= 1 && m <= k * rows_per_block,
          "assemble: ", k, " blocks of ", rows_per_block, " rows cannot make ", m, " output rows");
  for (Index i = 0; i < k; ++i) {
    const auto& block = data_blocks[static_cast<std::size_t>(i)];
    require(static_cast<Index>(block.size()) == rows_per_block * p, "assemble: block ", i, " has ", block.size(),
            " values, expected ", rows_per_block, "x", p);
    const Index v = std::max<Index>(0, std::min(rows_per_block, m - i * rows_per_block));
    float* to = out.data() + i * rows_per_block * p;
    if (v == 0 || to == block.data()) continue;
    std::memcpy(to, block.data(), static_cast<std::size_t>(v * p) * sizeof(float));
  }
}

Matrix assemble_output(std::span<const Matrix> data_blocks, Index rows) {
  require(!data_blocks.empty(), "assemble: no blocks");
  const Index rpb = data_blocks[0].rows(), p = data_blocks[0].cols();
  std::vector<std::span<const float>> spans;
  for (const auto& b : data_blocks) {
    require(b.rows() == rpb && b.cols() == p, "assemble: blocks differ in shape (", b.rows(), "x", b.cols(), " vs ",
            rpb, "x", p, ")");
    spans.emplace_back(b.data(), static_cast<std::size_t>(b.size()));
  }
  Matrix y(rows, p);
  assemble_output(spans, rpb, MatrixMap(y.data(), rows, p));
  return y;
}

}  // namespace cdcnn
