#pragma once
// Batch normalisation at inference (PyTorch's nn.BatchNorm1d/2d/3d in eval
// mode): kind "batchnorm". Normalises dimension 0 (the channels) of an input
// of any rank with the running statistics:
//   y = (x − running_mean) / sqrt(running_var + eps) · weight + bias,
// folded once into a per-channel scale and shift.

#include "layers/layer.hpp"

namespace cdcnn {

class BatchNorm final : public Layer {
 public:
  /// Every vector has one entry per channel.
  BatchNorm(std::string name, Vector weight, Vector bias, Vector running_mean, Vector running_var, double eps);
  static std::unique_ptr<Layer> from_spec(const LayerSpec& spec);

  std::string_view kind() const override { return "batchnorm"; }
  Shape output_shape(const Shape& in) const override;
  std::int64_t flops(const Shape& in) const override { return 2 * numel(in); }
  std::int64_t parameter_count() const override { return 4 * channels(); }
  LayerSpec spec() const override;
  Index channels() const { return weight_.size(); }

 protected:
  Tensor forward_impl(const Tensor& x, const Shape& out_shape) const override;
  Tensor forward_in_place_impl(Tensor&& x, const Shape& out_shape, Tensor& spare) const override;

 private:
  Vector weight_, bias_, running_mean_, running_var_;
  double eps_;
  Vector scale_, shift_;  // y = x·scale + shift, per channel
};

}  // namespace cdcnn
