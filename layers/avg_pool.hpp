#pragma once
// Average pooling over 2 spatial axes (PyTorch's nn.AvgPool2d): kind
// "avgpool2d", with padding, ceil_mode and count_include_pad. As in PyTorch,
// count_include_pad counts the zero padding in the divisor but never the part
// of a ceil_mode window that runs past the right padding.

#include "layers/layer.hpp"
#include "layers/window.hpp"

namespace cdcnn {

class AvgPool final : public Layer {
 public:
  AvgPool(std::string name, Window window, bool ceil_mode, bool count_include_pad);
  static std::unique_ptr<Layer> from_spec(const LayerSpec& spec);

  std::string_view kind() const override { return "avgpool2d"; }
  Shape output_shape(const Shape& in) const override;
  /// One addition per window element, one division per output.
  std::int64_t flops(const Shape& in) const override;
  LayerSpec spec() const override;

  const Window& window() const { return window_; }
  bool ceil_mode() const { return ceil_mode_; }
  bool count_include_pad() const { return count_include_pad_; }

 protected:
  Tensor forward_impl(const Tensor& x, const Shape& out_shape) const override;

 private:
  Window window_;
  bool ceil_mode_;
  bool count_include_pad_;
};

}  // namespace cdcnn
