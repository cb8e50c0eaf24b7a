#include "layers/concat.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace cdcnn {

std::unique_ptr<Layer> Concat::from_spec(const LayerSpec& spec) {
  return std::make_unique<Concat>(spec.name, spec.int_value("axis", 0));
}

LayerSpec Concat::spec() const { return {.kind = "concat", .name = name(), .ints = {{"axis", {axis_}}}}; }

std::size_t Concat::axis_for(std::size_t rank) const {
  const Index r = static_cast<Index>(rank);
  require(axis_ >= -r && axis_ < r, where(), ": axis ", axis_, " is out of range for inputs of rank ", rank,
          " (batch is not a dimension: PyTorch's dim 1 is axis 0)");
  return static_cast<std::size_t>(axis_ < 0 ? axis_ + r : axis_);
}

Shape Concat::merged_shape_impl(const std::vector<Shape>& in) const {
  const std::size_t axis = axis_for(in[0].size());
  Shape out = in[0];
  for (std::size_t i = 1; i < in.size(); ++i) {
    Shape a = in[0], b = in[i];
    bool fits = a.size() == b.size();
    if (fits) {
      a[axis] = b[axis] = 0;
      fits = a == b;
    }
    require(fits, where(), ": input ", i, " has shape ", to_string(in[i]), ", which cannot join ", to_string(in[0]),
            " along axis ", axis, " (every other dimension must match)");
    out[axis] += in[i][axis];
  }
  return out;
}

Tensor Concat::merge_impl(const std::vector<const Tensor*>& xs, const Shape& out_shape) const {
  const std::size_t axis = axis_for(out_shape.size());
  Index outer = 1, inner = 1;
  for (std::size_t d = 0; d < axis; ++d) outer *= out_shape[d];
  for (std::size_t d = axis + 1; d < out_shape.size(); ++d) inner *= out_shape[d];
  Tensor y(out_shape);
  float* dst = y.data();
  for (Index o = 0; o < outer; ++o)
    for (const Tensor* x : xs) {
      const Index chunk = x->shape()[axis] * inner;
      dst = std::copy_n(x->data() + o * chunk, chunk, dst);
    }
  return y;
}

}  // namespace cdcnn
