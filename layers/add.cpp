#include "layers/add.hpp"

#include "layers/broadcast.hpp"

namespace cdcnn {

std::unique_ptr<Layer> Add::from_spec(const LayerSpec& spec) { return std::make_unique<Add>(spec.name); }

Shape Add::merged_shape_impl(const std::vector<Shape>& in) const { return broadcast_shape(in, where()); }

Tensor Add::merge_impl(const std::vector<const Tensor*>& xs, const Shape& out_shape) const {
  // Summed left to right, as x0 + x1 + x2 in PyTorch.
  Tensor y(out_shape);
  broadcast_apply(y, *xs[0], y, [](float, float b) { return b; });
  for (std::size_t i = 1; i < xs.size(); ++i) broadcast_apply(y, *xs[i], y, [](float a, float b) { return a + b; });
  return y;
}

}  // namespace cdcnn
