#include "layers/relu.hpp"

#include "core/parallel.hpp"

namespace cdcnn {

std::unique_ptr<Layer> Relu::from_spec(const LayerSpec& spec) { return std::make_unique<Relu>(spec.name); }

namespace {

// out[i] = max(in[i], 0), in and out the same array or disjoint.
void relu(const float* in, float* out, Index n) {
  parallel_ranges(n, kMinElementwiseRange, [&](Index begin, Index end) {
    for (Index i = begin; i < end; ++i) out[i] = in[i] < 0.0f ? 0.0f : in[i];  // keeps NaN
  });
}

}  // namespace

Tensor Relu::forward_impl(const Tensor& x, const Shape& out_shape) const {
  Tensor y(out_shape);
  relu(x.data(), y.data(), x.numel());
  return y;
}

Tensor Relu::forward_in_place_impl(Tensor&& x, const Shape& /*out_shape*/, Tensor& /*spare*/) const {
  relu(x.data(), x.data(), x.numel());
  return std::move(x);
}

}  // namespace cdcnn
