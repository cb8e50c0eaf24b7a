#include "layers/dropout.hpp"

#include "core/error.hpp"

namespace cdcnn {

Dropout::Dropout(std::string name, double p) : Layer(std::move(name)), p_(p) {
  require(p_ >= 0.0 && p_ <= 1.0, where(), ": attribute 'p' must lie in [0, 1], got ", p_);
}

std::unique_ptr<Layer> Dropout::from_spec(const LayerSpec& spec) {
  const double p = spec.real_value("p", 0.5);
  require(p >= 0.0 && p <= 1.0, spec.where(), ": attribute 'p' must lie in [0, 1], got ", p);
  return std::make_unique<Dropout>(spec.name, p);
}

LayerSpec Dropout::spec() const {
  LayerSpec s{.kind = "dropout", .name = name()};
  s.reals["p"] = p_;
  return s;
}

}  // namespace cdcnn
