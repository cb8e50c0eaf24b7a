#include "layers/add.hpp"

#include "layers/broadcast.hpp"

namespace cdcnn {

std::unique_ptr<Layer> Add::from_spec(const LayerSpec& spec) { return std::make_unique<Add>(spec.name); }

Shape Add::merged_shape_impl(const std::vector<Shape>& in) const { return broadcast_shape(in, where()); }

Tensor Add::merge_impl(const std::vector<const Tensor*>& xs, const Shape& out_shape) const {
  // Summed left to right, as x0 + x1 + x2 in PyTorch.
  const auto plus = [](float a, float b) { return a + b; };
  Tensor y(out_shape);
  std::size_t i = 1;
  if (xs.size() >= 2 && xs[0]->shape() == out_shape && xs[1]->shape() == out_shape) {
    broadcast_apply(*xs[0], *xs[1], y, plus);  // a residual add: one pass
    i = 2;
  } else {
    broadcast_apply(y, *xs[0], y, [](float, float b) { return b; });
  }
  for (; i < xs.size(); ++i) broadcast_apply(y, *xs[i], y, plus);
  return y;
}

Tensor Add::merge_in_place_impl(const std::vector<const Tensor*>& xs, Tensor&& first, const Shape& out_shape) const {
  if (first.shape() != out_shape) return merge_impl(xs, out_shape);
  // The same sums in the same order as merge_impl, y starting as x0 itself.
  Tensor y = std::move(first);
  for (std::size_t i = 1; i < xs.size(); ++i)
    broadcast_apply(y, *xs[i], y, [](float a, float b) { return a + b; });
  return y;
}

}  // namespace cdcnn
