#pragma once
// Mul: kind "mul", the elementwise product of exactly two inputs with numpy
// broadcasting (layers/broadcast.hpp): squeeze-excite's per-channel scale,
// x {C,H,W} × s {C,1,1} (torchvision's `scale * input`, ONNX's Mul). No
// attributes.

#include "layers/merge.hpp"

namespace cdcnn {

class Mul final : public MergeLayer {
 public:
  using MergeLayer::MergeLayer;
  static std::unique_ptr<Layer> from_spec(const LayerSpec& spec);

  std::string_view kind() const override { return "mul"; }
  std::size_t max_inputs() const override { return 2; }
  LayerSpec spec() const override { return {.kind = "mul", .name = name()}; }

 protected:
  Shape merged_shape_impl(const std::vector<Shape>& in) const override;
  Tensor merge_impl(const std::vector<const Tensor*>& xs, const Shape& out_shape) const override;
};

}  // namespace cdcnn
