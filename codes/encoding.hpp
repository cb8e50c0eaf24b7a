#pragma once
// Offline encoding of one linear layer (docs/architecture.md §1), pure math, no files.
//
// A layer's GEMM view is Y = W·X + b with W m×q. Its m rows are cut into k
// row blocks of rows_per_block = ceil(m/k) rows; the rows past m are zero
// padding (zero weights, zero bias) up to padded_rows = k·rows_per_block, so
// the last block — for some (m, k) the last few, e.g. m=33, k=8 gives
// 8 blocks of 5 rows, the last one all padding — is padded. Shard
// j of the code gets W'_j = Σ_i G[j,i]·W_i and b'_j = Σ_i G[j,i]·b_i
// (accumulated in double, stored as float) and computes
// Z_j = W'_j·X + b'_j (rows_per_block × P). Code::decode turns the arrived
// Z_j into the k output blocks Y_i, and assemble_output() stacks them back
// into Y, dropping the padding rows.

#include <span>
#include <vector>

#include "codes/code.hpp"
#include "core/tensor.hpp"

namespace cdcnn {

/// Every shard's weights and bias of one layer under one code: the output of
/// encode_layer, in memory (the coded-weight file stores them; io/coded_file.hpp).
struct EncodedShards {
  Index rows = 0;               ///< m, the layer's output rows
  Index cols = 0;               ///< q, the layer's inner dimension
  Index rows_per_block = 0;     ///< ceil(m/k)
  Index padded_rows = 0;        ///< k·rows_per_block ≥ m
  std::vector<Matrix> weights;  ///< n shards, each rows_per_block × q
  std::vector<Vector> biases;   ///< n shards, each rows_per_block
};

/// ceil(rows/k): the rows of every block when `rows` are split k ways.
/// Error unless rows ≥ 1 and 1 ≤ k ≤ rows.
Index rows_per_block(Index rows, int k);

/// Every shard's weights and bias for `code`. Error if bias.size() != m or
/// code.k() > m. Systematic shards are exact copies of the row blocks.
EncodedShards encode_layer(const Code& code, const Eigen::Ref<const Matrix>& weight,
                           const Eigen::Ref<const Vector>& bias);
/// Shard j of encode_layer alone, written into `w` (rows_per_block×q) and `b`
/// (rows_per_block) — e.g. straight into a message buffer, so that a sender
/// holds one shard at a time, not the layer's n. Error for a j out of range
/// or blocks of the wrong size.
void encode_shard(const Code& code, const Eigen::Ref<const Matrix>& weight, const Eigen::Ref<const Vector>& bias, int j,
                  MatrixMap w, Eigen::Map<Vector> b);

/// Stacks k decoded output blocks (each rows_per_block × P, row-major flat
/// buffers as Code::decode fills them) into `out` (rows × P), dropping the
/// padding rows. A block that already is its place in `out` (decoded
/// straight into the output) is left as it is. Error if the sizes do not fit.
void assemble_output(std::span<const std::span<const float>> data_blocks, Index rows_per_block, MatrixMap out);

/// The same for matrices; returns Y (rows × P).
Matrix assemble_output(std::span<const Matrix> data_blocks, Index rows);

}  // namespace cdcnn
