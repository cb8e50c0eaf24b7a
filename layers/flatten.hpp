#pragma once
// Flatten (PyTorch's nn.Flatten on a batch of one): kind "flatten", any
// input of rank ≥ 1 becomes a {numel} vector in C order. No copy of values
// beyond the one forward() returns.

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
};

}  // namespace cdcnn
