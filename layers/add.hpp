#pragma once
// Add: kind "add", the elementwise sum of two or more inputs with numpy
// broadcasting (layers/broadcast.hpp) — the join of a residual block
// (torchvision's `out += identity`, ONNX's Add). No attributes.

#include "layers/merge.hpp"

namespace cdcnn {

class Add final : public MergeLayer {
 public:
  using MergeLayer::MergeLayer;
  static std::unique_ptr<Layer> from_spec(const LayerSpec& spec);

  std::string_view kind() const override { return "add"; }
  LayerSpec spec() const override { return {.kind = "add", .name = name()}; }

 protected:
  Shape merged_shape_impl(const std::vector<Shape>& in) const override;
  Tensor merge_impl(const std::vector<const Tensor*>& xs, const Shape& out_shape) const override;
  /// Sums into the first input when the output has its shape (a residual add).
  Tensor merge_in_place_impl(const std::vector<const Tensor*>& xs, Tensor&& first,
                             const Shape& out_shape) const override;
};

}  // namespace cdcnn
