#pragma once
// Max pooling over 2 or 3 spatial axes (PyTorch's nn.MaxPool2d / MaxPool3d):
// kinds "maxpool2d" and "maxpool3d". Padding counts as -inf; ceil_mode
// follows PyTorch, including its rule that the last window must start inside
// the input or the left padding. Padding may be at most half the kernel.

#include "layers/layer.hpp"
#include "layers/window.hpp"

namespace cdcnn {

class MaxPool final : public Layer {
 public:
  MaxPool(std::string name, Window window, bool ceil_mode);
  static std::unique_ptr<Layer> from_spec(const LayerSpec& spec);

  std::string_view kind() const override { return window_.rank() == 2 ? "maxpool2d" : "maxpool3d"; }
  Shape output_shape(const Shape& in) const override;
  /// One comparison per window element counts as one operation.
  std::int64_t flops(const Shape& in) const override;
  LayerSpec spec() const override;

  const Window& window() const { return window_; }
  bool ceil_mode() const { return ceil_mode_; }

 protected:
  Tensor forward_impl(const Tensor& x, const Shape& out_shape) const override;

 private:
  Window window_;
  bool ceil_mode_;
};

}  // namespace cdcnn
