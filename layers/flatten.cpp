#include "layers/flatten.hpp"

#include "core/error.hpp"

namespace cdcnn {

std::unique_ptr<Layer> Flatten::from_spec(const LayerSpec& spec) { return std::make_unique<Flatten>(spec.name); }

Shape Flatten::output_shape(const Shape& in) const {
  require(!in.empty(), where(), ": expects an input of rank at least 1, got a scalar");
  return {numel(in)};
}

Tensor Flatten::forward_impl(const Tensor& x, const Shape& out_shape) const { return x.reshaped(out_shape); }

Tensor Flatten::forward_in_place_impl(Tensor&& x, const Shape& out_shape, Tensor& /*spare*/) const {
  return std::move(x).reshaped(out_shape);
}

}  // namespace cdcnn
