#include "layers/packed_gemm.hpp"

#include <algorithm>

namespace cdcnn {

namespace {

// Eigen's SIMD vector of floats for the target (-march=native: 16 lanes with
// AVX-512), so the kernel is portable to NEON and SSE as Eigen is.
using Packet = Eigen::internal::packet_traits<float>::type;
constexpr Index kLanes = Eigen::internal::packet_traits<float>::size;
constexpr Index kVectors = 2;  // vectors of X per panel: 8×2 accumulators
constexpr Index kColumns = kVectors * kLanes;
constexpr Index kRows = kPanelRows;
constexpr Index kDepthBlock = 256;

// One tile: rows [0, rows) × columns [0, columns) of y += the product of a
// W panel and an X panel over `depth` steps of k.
// X's row k is at x + k·kColumns (a packed panel) or, with `offsets`, at
// x + offsets[k] (rows of the input itself, multiply_shifted).
template <bool kShifted>
void tile(const float* __restrict w, const float* __restrict x, const Index* __restrict offsets, Index depth,
          float* __restrict y, Index ldy, Index rows, Index columns) {
  using namespace Eigen::internal;
  Packet acc[kRows][kVectors];
  for (Index r = 0; r < kRows; ++r)
    for (Index v = 0; v < kVectors; ++v) acc[r][v] = pset1<Packet>(0.0f);
  for (Index k = 0; k < depth; ++k, w += kRows) {
    const float* xk = kShifted ? x + offsets[k] : x + k * kColumns;
    Packet xv[kVectors];
    for (Index v = 0; v < kVectors; ++v) xv[v] = ploadu<Packet>(xk + v * kLanes);
    for (Index r = 0; r < kRows; ++r) {
      const Packet wr = pset1<Packet>(w[r]);
      for (Index v = 0; v < kVectors; ++v) acc[r][v] = pmadd(wr, xv[v], acc[r][v]);
    }
  }
  if (rows == kRows && columns == kColumns) {
    for (Index r = 0; r < kRows; ++r)
      for (Index v = 0; v < kVectors; ++v) {
        float* out = y + r * ldy + v * kLanes;
        pstoreu(out, padd(ploadu<Packet>(out), acc[r][v]));
      }
    return;
  }
  alignas(64) float part[kRows][kColumns];
  for (Index r = 0; r < kRows; ++r)
    for (Index v = 0; v < kVectors; ++v) pstoreu(part[r] + v * kLanes, acc[r][v]);
  for (Index r = 0; r < rows; ++r)
    for (Index c = 0; c < columns; ++c) y[r * ldy + c] += part[r][c];
}

}  // namespace

Index panel_columns() { return kColumns; }

Index depth_block() { return kDepthBlock; }

PackedRows::PackedRows(const Eigen::Ref<const Matrix, 0, Eigen::OuterStride<>>& w)
    : rows_(w.rows()), depth_(w.cols()), data_(static_cast<std::size_t>(panels() * depth_ * kRows), 0.0f) {
  for (Index k0 = 0; k0 < depth_; k0 += kDepthBlock) {
    const Index depth = std::min(kDepthBlock, depth_ - k0);
    for (Index i = 0; i < panels(); ++i) {
      float* p = data_.data() + offset(k0, i);
      for (Index r = 0; r < kRows && i * kRows + r < rows_; ++r) {
        const float* row = w.row(i * kRows + r).data() + k0;
        for (Index k = 0; k < depth; ++k) p[k * kRows + r] = row[k];
      }
    }
  }
}

void multiply_packed(const PackedRows& w, Index panel0, Index panel1, const float* x_panels, Index columns, float* y,
                     Index ldy) {
  const Index q = w.depth();
  // Steps of k in blocks of depth_block(): a block of every X panel stays in
  // the L2 cache while each W panel's block (8 KiB) is used on all of them
  // from L1, so W streams from memory once, in order (a deep layer's W is
  // 9 MB), and X from L2. Y's tiles take one partial sum per block, in block
  // order.
  for (Index k0 = 0; k0 < q; k0 += kDepthBlock) {
    const Index depth = std::min(kDepthBlock, q - k0);
    for (Index i = panel0; i < panel1; ++i) {
      const Index nr = std::min(kRows, w.rows() - i * kRows);
      const float* wk = w.block(k0, i);
      for (Index c0 = 0; c0 < columns; c0 += kColumns) {
        const float* xk = x_panels + (c0 / kColumns) * q * kColumns + k0 * kColumns;
        tile<false>(wk, xk, nullptr, depth, y + (i - panel0) * kRows * ldy + c0, ldy, nr, std::min(kColumns, columns - c0));
      }
    }
  }
}

void multiply_shifted(const PackedRows& w, Index panel0, Index panel1, const float* x, const Index* offsets,
                      Index columns, float* y, Index ldy) {
  const Index q = w.depth();
  for (Index k0 = 0; k0 < q; k0 += kDepthBlock) {
    const Index depth = std::min(kDepthBlock, q - k0);
    for (Index i = panel0; i < panel1; ++i) {
      const Index nr = std::min(kRows, w.rows() - i * kRows);
      for (Index c0 = 0; c0 < columns; c0 += kColumns)
        tile<true>(w.block(k0, i), x + c0, offsets + k0, depth, y + (i - panel0) * kRows * ldy + c0, ldy, nr,
             std::min(kColumns, columns - c0));
    }
  }
}

}  // namespace cdcnn
