#pragma once
// ReLU (PyTorch's nn.ReLU): kind "relu", max(x, 0) elementwise on any shape.
// NaN stays NaN, as in PyTorch.

#include "layers/layer.hpp"

namespace cdcnn {

class Relu final : public Layer {
 public:
  using Layer::Layer;
  static std::unique_ptr<Layer> from_spec(const LayerSpec& spec);

  std::string_view kind() const override { return "relu"; }
  Shape output_shape(const Shape& in) const override { return in; }
  std::int64_t flops(const Shape& in) const override { return numel(in); }
  LayerSpec spec() const override { return {.kind = "relu", .name = name()}; }

 protected:
  Tensor forward_impl(const Tensor& x, const Shape& out_shape) const override;
  Tensor forward_in_place_impl(Tensor&& x, const Shape& out_shape, Tensor& spare) const override;
};

}  // namespace cdcnn
