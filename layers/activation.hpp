#pragma once
// Activation<Derived>: what every attribute-free elementwise layer shares
// (sigmoid, relu6, hardswish, hardsigmoid, silu). The derived class names
// its kind and gives `static float apply(float)` inline, so that forward()'s
// loop over the values inlines it and vectorises. Any shape, output shape =
// input shape, one FLOP per element counted (as relu).

#include <memory>

#include "core/parallel.hpp"
#include "layers/layer.hpp"

namespace cdcnn {

template <class Derived>
class Activation : public Layer {
 public:
  using Layer::Layer;
  static std::unique_ptr<Layer> from_spec(const LayerSpec& spec) { return std::make_unique<Derived>(spec.name); }

  Shape output_shape(const Shape& in) const override { return in; }
  std::int64_t flops(const Shape& in) const override { return numel(in); }
  LayerSpec spec() const override { return {.kind = std::string(kind()), .name = name()}; }

 protected:
  Tensor forward_impl(const Tensor& x, const Shape& /*out_shape*/) const override {
    Tensor y(x.shape());
    apply_all(x.data(), y.data(), x.numel());
    return y;
  }
  Tensor forward_in_place_impl(Tensor&& x, const Shape& /*out_shape*/, Tensor& /*spare*/) const override {
    apply_all(x.data(), x.data(), x.numel());
    return std::move(x);
  }

 private:
  // out[i] = apply(in[i]), in and out the same array or disjoint.
  static void apply_all(const float* in, float* out, Index n) {
    parallel_ranges(n, kMinElementwiseRange, [&](Index begin, Index end) {
      for (Index i = begin; i < end; ++i) out[i] = Derived::apply(in[i]);
    });
  }
};

}  // namespace cdcnn
