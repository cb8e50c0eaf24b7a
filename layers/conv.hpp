#pragma once
// Convolution over 2 or 3 spatial axes (PyTorch's nn.Conv2d / nn.Conv3d):
// kinds "conv2d" and "conv3d", with stride, padding, dilation and groups.
//
// GEMM view (docs/architecture.md §1): X = lower(x) is the im2col / vol2col unrolling of
// the input, q×P with q = C_in·kd·kh·kw (rows ordered channel, then kernel
// offset, as PyTorch flattens its weight) and P the output positions. W is
// C_out×q; with groups > 1 it is block diagonal over the groups (the zeros
// make the grouped conv one GEMM, so the runtime splits rows of W as for any
// other linear layer). Y = W·X + b is C_out×P row-major, which is the output
// tensor {C_out, ...spatial} as it lies in memory.
//
// multiply() (the runtime's shards) and a grouped conv's forward() do not
// build X whole: they unroll a band of output rows at a time into a
// cache-sized buffer and multiply each band straight into the output with
// Eigen, one GEMM per group on W's diagonal blocks (no multiplying zeros).
// A 1×1, stride-1, unpadded conv multiplies the input itself.
//
// A conv without groups (groups == 1, the common case) runs its own kernel
// in forward() (layers/packed_gemm.hpp): W is packed into panels once, on
// the first forward() (a second copy of W, kept), and the lowering writes
// the input's panels directly, a band of them at a time (several bands are
// the compute threads' tasks; a layer with few output positions is packed
// whole, then cut by rows of W). A stride-1 2-D conv needs no lowering: the
// kernel reads a zero-padded copy of the input in place (shifted_gemm).
// multiply() keeps Eigen's GEMM: it gets a different block of rows (a
// shard) on every call, not worth packing.
//
// A depthwise conv (groups == C_in > 1, C_out = m·C_in: each output channel
// reads one input channel) would be a GEMM per channel of one row times
// kernel-volume rows, which packing overhead dominates. forward() runs it as
// a direct loop instead: each input slice is copied once, zero-padded and
// split by rows into stride phases, so that every kernel tap is one
// multiply-add over the whole output plane at a constant stride, which
// vectorises (a padding or stride too large for that copy takes the GEMM
// path). The GEMM view (lower, multiply) is unchanged, so the runtime splits
// a depthwise conv like any other.
//
// Padding may differ at the two ends of an axis (Window::padding_end): the
// unrolling reads zeros wherever a tap falls outside the input, so only the
// output length depends on the end padding.

#include <array>
#include <mutex>

#include "layers/layer.hpp"
#include "layers/packed_gemm.hpp"
#include "layers/window.hpp"

namespace cdcnn {

class Conv final : public LinearLayer {
 public:
  /// `weight` has PyTorch's shape {C_out, C_in/groups, k...} with 2 or 3
  /// kernel axes; `bias` has C_out entries (zeros for a conv without bias).
  /// `window.kernel` must match the weight's kernel axes.
  Conv(std::string name, const Tensor& weight, Vector bias, Window window, Index groups);
  /// A weightless conv (LinearLayer) whose weight would have `weight_shape`.
  Conv(std::string name, const Shape& weight_shape, Window window, Index groups);
  /// A spec whose 'weight' is unread (LayerSpec::unread) gives a weightless conv.
  static std::unique_ptr<Layer> from_spec(const LayerSpec& spec);

  std::string_view kind() const override { return spatial_rank() == 2 ? "conv2d" : "conv3d"; }
  Shape output_shape(const Shape& in) const override;
  std::int64_t flops(const Shape& in) const override;
  std::int64_t parameter_count() const override;
  LayerSpec spec() const override;
  Matrix lower(const Tensor& x) const override;
  /// w·lower(x) + b without building lower(x) whole: band by band.
  Matrix multiply(const Tensor& x, const Eigen::Ref<const Matrix>& w,
                  const Eigen::Ref<const Vector>& b) const override;
  /// The band of unrolled input each compute thread builds.
  std::int64_t workspace_bytes(const Shape& in) const override;
  std::int64_t forward_retained_bytes() const override;
  std::int64_t forward_workspace_bytes(const Shape& in) const override;

  Index spatial_rank() const { return static_cast<Index>(window_.rank()); }
  Index in_channels() const { return in_channels_; }
  Index out_channels() const { return rows(); }
  Index groups() const { return groups_; }
  const Window& window() const { return window_; }
  /// The weight in PyTorch's shape {C_out, C_in/groups, k...}.
  Tensor weight_tensor() const;
  /// groups == C_in > 1: each output channel reads one input channel.
  bool is_depthwise() const { return groups_ == in_channels_ && groups_ > 1; }
  /// forward() through Eigen's GEMMs, one per group, whatever the conv: what
  /// forward() does for a grouped conv that is not depthwise. For tests and
  /// the benchmarks of the depthwise and packed kernels against it.
  Tensor forward_gemm(const Tensor& x) const;
  /// Whether forward() runs the packed kernel (layers/packed_gemm.hpp): a conv without groups.
  bool runs_packed_kernel() const { return groups_ == 1; }
  /// Whether it does so with no lowering at all, on a padded copy of the
  /// input (a 2-D conv without groups, stride 1, whose padded input stays small).
  bool runs_shifted_kernel(const Shape& input) const { return runs_packed_kernel() && shifted_fits(geometry(input)); }
  /// Whether forward() on an input of this shape runs the direct depthwise
  /// kernel (a depthwise conv whose padded input copy stays small).
  bool runs_depthwise_kernel(const Shape& input) const { return is_depthwise() && depthwise_fits(geometry(input)); }

 protected:
  Tensor forward_impl(const Tensor& x, const Shape& out_shape) const override;
  /// Writes the output into `spare`'s storage when the element counts match.
  Tensor forward_reusing_impl(const Tensor& x, const Shape& out_shape, Tensor& spare) const override;

 private:
  /// Input and output geometry of one call, as 3 spatial axes (a 2-D conv
  /// gets a leading axis of length 1 with a 1-wide kernel).
  struct Geometry {
    std::array<Index, 3> in, out, kernel, stride, padding, dilation;
    Index channels;  // input channels
    Index positions() const { return out[0] * out[1] * out[2]; }
    Index lines() const { return out[0] * out[1]; }  // output rows (fixed d, h)
  };
  Geometry geometry(const Shape& in) const;
  /// Error unless the weight's kernel axes match the window.
  void check_kernel(const Shape& weight_shape) const;
  /// Unrolls input channels [c0, c1) for output lines [line0, line1) into
  /// `dst` (row stride `ld`), rows ordered channel, then kernel offset.
  void im2col(const float* x, const Geometry& g, Index c0, Index c1, Index line0, Index line1, float* dst,
              Index ld) const;
  bool is_pointwise() const;
  /// Writes columns [p0, p0 + panel_columns()) of lower(x) as one panel of
  /// packed_gemm.hpp (q rows of panel_columns() floats; zeros past the last
  /// output position).
  void pack_panel(const float* x, const Geometry& g, Index p0, float* dst) const;
  /// y (already the bias, C_out×positions) += W·lower(x) by the packed kernel.
  void packed_gemm(const float* x, const Geometry& g, float* y) const;
  bool shifted_fits(const Geometry& g) const;
  /// The same for a stride-1 2-D conv: over a zero-padded copy of x, row
  /// (c, kh, kw) of lower(x) is the copy shifted by c·plane + kh·dh·Wp + kw·dw
  /// if outputs are computed Wp wide (the columns past OW are discarded), so
  /// the kernel reads the copy in place (multiply_shifted).
  void shifted_gemm(const float* x, const Geometry& g, float* y) const;
  const PackedRows& packed_weight() const;
  /// y (already the bias, C_out×positions) += the depthwise conv of x, by direct loops.
  void depthwise(const float* x, const Geometry& g, float* y) const;
  /// Whether depthwise()'s padded copy of one input slice stays within a few
  /// times the input and output (not so for a padding or stride near 2^31:
  /// those take the GEMM path, which needs no padded copy).
  bool depthwise_fits(const Geometry& g) const;
  /// y (already the bias) += the conv of x by one GEMM per group.
  void grouped_gemm(const Tensor& x, const Geometry& g, MatrixMap y) const;
  /// The output tensor holding the bias of each channel at every position,
  /// in `storage` (taken, whatever its shape) if it has the output's element
  /// count, in fresh storage otherwise.
  Tensor bias_tensor(const Shape& out_shape, Index positions, Tensor storage = {}) const;
  /// forward_impl with the output in `storage` (as bias_tensor takes it).
  Tensor run(const Tensor& x, const Shape& out_shape, Tensor storage) const;
  using ConstMatrixRef = Eigen::Ref<const Matrix, 0, Eigen::OuterStride<>>;
  using MatrixRef = Eigen::Ref<Matrix, 0, Eigen::OuterStride<>>;
  /// y += w · lower(x) with w block diagonal over `pieces` equal blocks
  /// (the groups; 1 for a shard's rows, whatever the groups): piece p's
  /// rows of y get its block of w times the rows of lower(x) for its input
  /// channels. The unrolled input is built a band of output lines at a time
  /// (or is x itself if pointwise); bands, and row blocks of a layer with
  /// few bands, are the tasks the compute threads share.
  void accumulate(const Tensor& x, const Geometry& g, Index pieces, ConstMatrixRef w, MatrixRef y) const;

  Window window_;
  Index groups_;
  Index in_channels_;
  Index kernel_volume_;
  // W in panels for the packed kernel, built on the first forward() that
  // needs it (a rank that only computes shards never does).
  mutable std::once_flag packed_once_;
  mutable PackedRows packed_;
};

}  // namespace cdcnn
