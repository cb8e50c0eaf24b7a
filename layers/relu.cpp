#include "layers/relu.hpp"

#include "core/parallel.hpp"

namespace cdcnn {

std::unique_ptr<Layer> Relu::from_spec(const LayerSpec& spec) { return std::make_unique<Relu>(spec.name); }

Tensor Relu::forward_impl(const Tensor& x, const Shape& out_shape) const {
  Tensor y(out_shape);
  const float* in = x.data();
  float* out = y.data();
  parallel_ranges(x.numel(), kMinElementwiseRange, [&](Index begin, Index end) {
    for (Index i = begin; i < end; ++i) out[i] = in[i] < 0.0f ? 0.0f : in[i];  // keeps NaN
  });
  return y;
}

}  // namespace cdcnn
