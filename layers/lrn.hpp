#pragma once
// Local response normalisation across channels (PyTorch's
// nn.LocalResponseNorm, as in AlexNet): kind "lrn". For channel c,
//   y_c = x_c / (k + alpha/size · Σ x_j²)^beta
// summed over channels j from c − size/2 to c + (size−1)/2, clipped to the
// input (PyTorch pads size/2 zero channels before and (size−1)/2 after, then
// averages over `size`, so alpha is divided by size even at the edges).

#include "layers/layer.hpp"

namespace cdcnn {

class Lrn final : public Layer {
 public:
  Lrn(std::string name, Index size, double alpha, double beta, double k);
  static std::unique_ptr<Layer> from_spec(const LayerSpec& spec);

  std::string_view kind() const override { return "lrn"; }
  Shape output_shape(const Shape& in) const override;
  std::int64_t flops(const Shape& in) const override;
  LayerSpec spec() const override;

 protected:
  Tensor forward_impl(const Tensor& x, const Shape& out_shape) const override;

 private:
  Index size_;
  double alpha_, beta_, k_;
};

}  // namespace cdcnn
