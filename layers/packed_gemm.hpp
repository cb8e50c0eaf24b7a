#pragma once
// The GEMM kernel of Conv::forward for convs without groups: Y += W·X with W
// packed once per layer and X packed by the caller straight from the input
// (Conv's lowering writes panels, no im2col matrix in between).
//
// Why not Eigen's GEMM there: Eigen repacks W on every call (and, with the
// output cut into bands, once per band), which costs a deep layer with few
// output positions (ResNet's 7×7 stages: W is 9 MB, P = 49) a fifth of its
// time; and it packs the unrolled input again after im2col wrote it.
//
// Layout. W (m×q) is cut into panels of kPanelRows rows, stored k-major:
// panel i holds W[i·R + r, k] at [k·R + r] (rows past m are zeros), and the
// steps of k are cut into blocks of depth_block(), each block holding every
// panel's part of it in turn (the kernel walks W block by block). X (q×n)
// is cut into panels of panel_columns() columns, stored k-major too: panel j
// holds X[k, j·N + c] at [k·N + c] (columns past n are zeros). A tile of Y,
// R rows × N columns, is then R·N/lanes vector accumulators fed by one
// contiguous stream of each panel: every step of k loads N floats of X and
// broadcasts R floats of W. Each element of Y is summed over k in order, in
// one accumulator, whatever the tiling or the thread: results do not depend
// on how the work is cut into tasks.

#include <algorithm>
#include <vector>

#include <Eigen/Core>

#include "core/tensor.hpp"

namespace cdcnn {

/// Rows of W per panel (the broadcast side of the tile).
inline constexpr Index kPanelRows = 8;
/// Columns of X per panel: two SIMD vectors of floats (32 with AVX-512, 16
/// with AVX2, 8 with NEON/SSE).
Index panel_columns();

/// Steps of k the kernel takes per pass over the tiles (and W's packing block).
Index depth_block();

/// W packed in panels of kPanelRows rows (see the file comment).
class PackedRows {
 public:
  PackedRows() = default;
  explicit PackedRows(const Eigen::Ref<const Matrix, 0, Eigen::OuterStride<>>& w);
  Index rows() const { return rows_; }
  Index depth() const { return depth_; }
  Index panels() const { return (rows_ + kPanelRows - 1) / kPanelRows; }
  /// Panel i's part of the block of k that starts at k0 (a multiple of depth_block()).
  const float* block(Index k0, Index i) const { return data_.data() + offset(k0, i); }
  bool empty() const { return rows_ == 0; }

 private:
  Index offset(Index k0, Index i) const {
    return k0 * kPanelRows * panels() + i * std::min(depth_block(), depth_ - k0) * kPanelRows;
  }
  Index rows_ = 0, depth_ = 0;
  std::vector<float, Eigen::aligned_allocator<float>> data_;
};

/// y[r, c] += Σ_k W[r, k]·X[k, c] for the rows of W's panels [panel0, panel1)
/// and the columns of X's panels `x_panels` (consecutive panels of
/// w.depth()×panel_columns() floats each) covering `columns` columns, which
/// start at y's column 0. `y` points at row panel0·kPanelRows, row stride ldy.
void multiply_packed(const PackedRows& w, Index panel0, Index panel1, const float* x_panels, Index columns, float* y,
                     Index ldy);

/// The same product with X read in place: X[k, c] = x[offsets[k] + c]. A
/// stride-1 conv over a zero-padded copy of its input is such a product
/// (Conv::shifted_gemm): each tap's row of X is the input shifted. Reads
/// x[offsets[k] + c] for c up to `columns` rounded up to whole panels.
void multiply_shifted(const PackedRows& w, Index panel0, Index panel1, const float* x, const Index* offsets,
                      Index columns, float* y, Index ldy);

}  // namespace cdcnn
