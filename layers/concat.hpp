#pragma once
// Concat: kind "concat", two or more inputs joined along integer attribute
// `axis` (default 0, the channels: batch is never stored, so PyTorch's and
// ONNX's axis 1 is axis 0 here; a negative axis counts from the end). Every
// other dimension must match — Inception's and SqueezeNet's branches, and
// DenseNet's growing feature maps.

#include "layers/merge.hpp"

namespace cdcnn {

class Concat final : public MergeLayer {
 public:
  Concat(std::string name, Index axis) : MergeLayer(std::move(name)), axis_(axis) {}
  static std::unique_ptr<Layer> from_spec(const LayerSpec& spec);

  std::string_view kind() const override { return "concat"; }
  /// Copies only.
  std::int64_t flops(const Shape&) const override { return 0; }
  LayerSpec spec() const override;

 protected:
  Shape merged_shape_impl(const std::vector<Shape>& in) const override;
  Tensor merge_impl(const std::vector<const Tensor*>& xs, const Shape& out_shape) const override;

 private:
  /// axis_ resolved against rank (Error naming the layer if out of range).
  std::size_t axis_for(std::size_t rank) const;
  Index axis_;
};

}  // namespace cdcnn
