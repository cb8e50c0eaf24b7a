#pragma once
// Softmax over dimension 0 (PyTorch's nn.Softmax(dim=1) on a batch of one):
// kind "softmax". For a {F} input, the F class scores; for {C, ...}, each
// position's C channels. Numerically stable: the maximum is subtracted first.

#include "layers/layer.hpp"

namespace cdcnn {

class Softmax final : public Layer {
 public:
  using Layer::Layer;
  static std::unique_ptr<Layer> from_spec(const LayerSpec& spec);

  std::string_view kind() const override { return "softmax"; }
  Shape output_shape(const Shape& in) const override;
  /// Subtract, exponentiate, add and divide: 4 per element.
  std::int64_t flops(const Shape& in) const override { return 4 * numel(in); }
  LayerSpec spec() const override { return {.kind = "softmax", .name = name()}; }

 protected:
  Tensor forward_impl(const Tensor& x, const Shape& out_shape) const override;
};

}  // namespace cdcnn
