#include "layers/relu.hpp"

namespace cdcnn {

std::unique_ptr<Layer> Relu::from_spec(const LayerSpec& spec) { return std::make_unique<Relu>(spec.name); }

Tensor Relu::forward_impl(const Tensor& x, const Shape& out_shape) const {
  Tensor y = x;
  for (float& v : y.values()) v = v < 0.0f ? 0.0f : v;  // keeps NaN
  return y;
}

}  // namespace cdcnn
