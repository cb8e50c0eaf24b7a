#pragma once
// Flatten (PyTorch's nn.Flatten on a batch of one): kind "flatten", any
// input of rank ≥ 1 becomes a {numel} vector in C order. No copy of values
// beyond the one forward() returns (none when given its input to keep).

#include "layers/layer.hpp"

namespace cdcnn {

class Flatten final : public Layer {
 public:
  using Layer::Layer;
  static std::unique_ptr<Layer> from_spec(const LayerSpec& spec);

  std::string_view kind() const override { return "flatten"; }
  Shape output_shape(const Shape& in) const override;
  LayerSpec spec() const override { return {.kind = "flatten", .name = name()}; }

 protected:
  Tensor forward_impl(const Tensor& x, const Shape& out_shape) const override;
  Tensor forward_in_place_impl(Tensor&& x, const Shape& out_shape, Tensor& spare) const override;
};

}  // namespace cdcnn
