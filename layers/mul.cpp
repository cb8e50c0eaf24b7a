#include "layers/mul.hpp"

#include "layers/broadcast.hpp"

namespace cdcnn {

std::unique_ptr<Layer> Mul::from_spec(const LayerSpec& spec) { return std::make_unique<Mul>(spec.name); }

Shape Mul::merged_shape_impl(const std::vector<Shape>& in) const { return broadcast_shape(in, where()); }

Tensor Mul::merge_impl(const std::vector<const Tensor*>& xs, const Shape& out_shape) const {
  Tensor y(out_shape);
  broadcast_apply(*xs[0], *xs[1], y, [](float a, float b) { return a * b; });
  return y;
}

}  // namespace cdcnn
