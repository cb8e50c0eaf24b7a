#pragma once
// numpy's (and ONNX's multidirectional) broadcasting for the elementwise
// merge layers, add and mul: shapes are aligned on their last dimension, and
// along each dimension the sizes are equal or one of them is 1. Squeeze-
// excite's {C,H,W} × {C,1,1} is the case that matters; equal shapes (a
// residual add) take a plain loop.

#include <string>
#include <vector>

#include "core/parallel.hpp"
#include "core/tensor.hpp"

namespace cdcnn {

/// The shape every one of `shapes` broadcasts to; Error starting with `where`
/// naming the two shapes that do not.
Shape broadcast_shape(const std::vector<Shape>& shapes, const std::string& where);

/// out[i] = op(a[i'], b[i'']) over out's elements, a and b read at the index
/// they broadcast from. out's shape must be broadcast_shape({a, b}); out may
/// be a (in place), never b unless b has out's shape too.
template <class Op>
void broadcast_apply(const Tensor& a, const Tensor& b, Tensor& out, Op op);

namespace detail {
/// Strides of `in` (rank ≤ out's rank) in out's index space: 0 along a
/// broadcast dimension.
std::vector<Index> broadcast_strides(const Shape& in, const Shape& out);
}  // namespace detail

template <class Op>
void broadcast_apply(const Tensor& a, const Tensor& b, Tensor& out, Op op) {
  const float* pa = a.data();
  const float* pb = b.data();
  float* po = out.data();
  const Index n = out.numel();
  if (a.shape() == out.shape() && b.shape() == out.shape()) {
    parallel_ranges(n, kMinElementwiseRange, [&](Index begin, Index end) {
      for (Index i = begin; i < end; ++i) po[i] = op(pa[i], pb[i]);
    });
    return;
  }
  const Shape& shape = out.shape();
  const std::vector<Index> sa = detail::broadcast_strides(a.shape(), shape);
  const std::vector<Index> sb = detail::broadcast_strides(b.shape(), shape);
  const std::size_t rank = shape.size();
  const Index inner = rank ? shape.back() : 1;
  const Index ia = rank ? sa.back() : 0, ib = rank ? sb.back() : 0;
  std::vector<Index> counter(rank, 0);
  Index oa = 0, ob = 0;
  for (Index start = 0; start < n; start += inner) {
    for (Index j = 0; j < inner; ++j) po[start + j] = op(pa[oa + j * ia], pb[ob + j * ib]);
    // Advance the multi-index over every dimension but the last.
    for (std::size_t d = rank - 1; d-- > 0;) {
      oa += sa[d];
      ob += sb[d];
      if (++counter[d] < shape[d]) break;
      oa -= sa[d] * shape[d];
      ob -= sb[d] * shape[d];
      counter[d] = 0;
    }
  }
}

}  // namespace cdcnn
