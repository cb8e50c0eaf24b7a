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
  const Index m = weight.rows(), q = weight.cols();
  require(bias.size() == m, "encoding: bias has ", bias.size(), " entries, weight has ", m, " rows");
  EncodedShards out;
  out.rows = m;
  out.cols = q;
  out.rows_per_block = rows_per_block(m, code.k());
  out.padded_rows = out.rows_per_block * code.k();
  const Index rpb = out.rows_per_block;
  const Eigen::MatrixXd& g = code.generator();
  // Row r of block i is row i·rpb + r of W, or a zero padding row past m.
  auto valid_rows = [&](int i) { return std::max<Index>(0, std::min<Index>(rpb, m - i * rpb)); };

  Eigen::RowVectorXd acc(q);
  for (int j = 0; j < code.n(); ++j) {
    Matrix w = Matrix::Zero(rpb, q);
    Vector b = Vector::Zero(rpb);
    // A verbatim row (systematic shard or replica) is a copy, bit for bit.
    int unit = -1, nonzero = 0;
    for (int i = 0; i < code.k(); ++i)
      if (g(j, i) != 0.0) ++nonzero, unit = (g(j, i) == 1.0 ? i : -2);
    if (nonzero == 1 && unit >= 0) {
      const Index v = valid_rows(unit);
      w.topRows(v) = weight.middleRows(unit * rpb, v);
      b.head(v) = bias.segment(unit * rpb, v);
    } else {
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
    out.weights.push_back(std::move(w));
    out.biases.push_back(std::move(b));
  }
  return out;
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
