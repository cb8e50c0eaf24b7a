#pragma once
// Adaptive average pooling to a fixed output size over 2 spatial axes
// (PyTorch's nn.AdaptiveAvgPool2d): kind "adaptiveavgpool2d". Output cell i
// of an axis averages input [floor(i·in/out), ceil((i+1)·in/out)).

#include "layers/layer.hpp"

namespace cdcnn {

class AdaptiveAvgPool final : public Layer {
 public:
  AdaptiveAvgPool(std::string name, Index out_h, Index out_w);
  static std::unique_ptr<Layer> from_spec(const LayerSpec& spec);

  std::string_view kind() const override { return "adaptiveavgpool2d"; }
  Shape output_shape(const Shape& in) const override;
  std::int64_t flops(const Shape& in) const override;
  LayerSpec spec() const override;

 protected:
  Tensor forward_impl(const Tensor& x, const Shape& out_shape) const override;

 private:
  Index out_h_, out_w_;
};

}  // namespace cdcnn
