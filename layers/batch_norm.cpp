#include "layers/batch_norm.hpp"

#include <cmath>

#include "core/error.hpp"

namespace cdcnn {

BatchNorm::BatchNorm(std::string name, Vector weight, Vector bias, Vector running_mean, Vector running_var, double eps)
    : Layer(std::move(name)),
      weight_(std::move(weight)),
      bias_(std::move(bias)),
      running_mean_(std::move(running_mean)),
      running_var_(std::move(running_var)),
      eps_(eps) {
  const Index c = weight_.size();
  require(c >= 1 && bias_.size() == c && running_mean_.size() == c && running_var_.size() == c, where(),
          ": weight, bias, running_mean and running_var must have one entry per channel");
  require(eps_ >= 0.0 && std::isfinite(eps_), where(), ": attribute 'eps' must be non-negative, got ", eps_);
  require(((running_var_.array().cast<double>() + eps_) > 0.0).all(), where(),
          ": running_var + eps must be positive for every channel");
  const Eigen::ArrayXd inv_std = (running_var_.cast<double>().array() + eps_).rsqrt();
  scale_ = (weight_.cast<double>().array() * inv_std).cast<float>().matrix();
  shift_ = (bias_.cast<double>().array() - running_mean_.cast<double>().array() * scale_.cast<double>().array())
               .cast<float>()
               .matrix();
}

std::unique_ptr<Layer> BatchNorm::from_spec(const LayerSpec& spec) {
  auto it = spec.params.find("running_mean");
  require(it != spec.params.end(), spec.where(), ": missing dataset 'running_mean'");
  require(it->second.rank() == 1 && it->second.numel() >= 1, spec.where(),
          ": dataset 'running_mean' must be 1-D {C}, has shape ", to_string(it->second.shape()));
  const Index c = it->second.numel();
  const Vector mean = it->second.flat();
  const Vector var = spec.param("running_var", {c}).flat();
  // weight and bias are absent for PyTorch's affine=False.
  const Vector weight = spec.has_param("weight") ? Vector(spec.param("weight", {c}).flat()) : Vector::Ones(c);
  const Vector bias = spec.has_param("bias") ? Vector(spec.param("bias", {c}).flat()) : Vector::Zero(c);
  const double eps = spec.real_value("eps", 1e-5);
  require(eps >= 0.0 && std::isfinite(eps), spec.where(), ": attribute 'eps' must be non-negative, got ", eps);
  for (Index i = 0; i < c; ++i)
    require(var[i] + eps > 0.0, spec.where(), ": dataset 'running_var' + eps is not positive for channel ", i);
  return std::make_unique<BatchNorm>(spec.name, weight, bias, mean, var, eps);
}

Shape BatchNorm::output_shape(const Shape& in) const {
  require(!in.empty(), where(), ": expects an input of rank at least 1, got a scalar");
  require(in[0] == channels(), where(), ": expects ", channels(), " channels, got ", in[0]);
  return in;
}

LayerSpec BatchNorm::spec() const {
  LayerSpec s{.kind = "batchnorm", .name = name()};
  const Index c = channels();
  s.reals["eps"] = eps_;
  s.params.emplace("weight", Tensor::from_matrix(weight_.transpose(), {c}));
  s.params.emplace("bias", Tensor::from_matrix(bias_.transpose(), {c}));
  s.params.emplace("running_mean", Tensor::from_matrix(running_mean_.transpose(), {c}));
  s.params.emplace("running_var", Tensor::from_matrix(running_var_.transpose(), {c}));
  return s;
}

Tensor BatchNorm::forward_impl(const Tensor& x, const Shape& out_shape) const {
  const Index C = channels(), P = x.numel() / C;
  Tensor y(out_shape);
  y.matrix(C, P) = (x.matrix(C, P).array().colwise() * scale_.array()).colwise() + shift_.array();
  return y;
}

Tensor BatchNorm::forward_in_place_impl(Tensor&& x, const Shape& /*out_shape*/, Tensor& /*spare*/) const {
  const Index C = channels(), P = x.numel() / C;
  auto m = x.matrix(C, P);
  m = (m.array().colwise() * scale_.array()).colwise() + shift_.array();  // elementwise: no aliasing
  return std::move(x);
}

}  // namespace cdcnn
