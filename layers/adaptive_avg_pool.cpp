#include "layers/adaptive_avg_pool.hpp"

#include "core/error.hpp"

namespace cdcnn {

namespace {

Index start_index(Index i, Index in, Index out) { return (i * in) / out; }
Index end_index(Index i, Index in, Index out) { return ((i + 1) * in + out - 1) / out; }

}  // namespace

AdaptiveAvgPool::AdaptiveAvgPool(std::string name, Index out_h, Index out_w)
    : Layer(std::move(name)), out_h_(out_h), out_w_(out_w) {
  require(out_h_ >= 1 && out_w_ >= 1, where(), ": output size must be positive, got ", out_h_, "x", out_w_);
}

std::unique_ptr<Layer> AdaptiveAvgPool::from_spec(const LayerSpec& spec) {
  const std::vector<Index> size = spec.int_list_broadcast("output_size", 2);
  require(size[0] >= 1 && size[1] >= 1, spec.where(), ": attribute 'output_size' must be positive, got ", size[0], "x",
          size[1]);
  return std::make_unique<AdaptiveAvgPool>(spec.name, size[0], size[1]);
}

Shape AdaptiveAvgPool::output_shape(const Shape& in) const {
  require(in.size() == 3, where(), ": expects a CxHxW input, got shape ", to_string(in));
  require(in[1] >= 1 && in[2] >= 1, where(), ": input ", to_string(in), " has an empty spatial axis");
  return {in[0], out_h_, out_w_};
}

std::int64_t AdaptiveAvgPool::flops(const Shape& in) const {
  const Shape out = output_shape(in);
  std::int64_t total = 0;
  for (Index i = 0; i < out_h_; ++i)
    for (Index j = 0; j < out_w_; ++j)
      total += (end_index(i, in[1], out_h_) - start_index(i, in[1], out_h_)) *
                   (end_index(j, in[2], out_w_) - start_index(j, in[2], out_w_)) +
               1;
  return total * in[0];
}

LayerSpec AdaptiveAvgPool::spec() const {
  LayerSpec s{.kind = "adaptiveavgpool2d", .name = name()};
  s.ints["output_size"] = {out_h_, out_w_};
  return s;
}

Tensor AdaptiveAvgPool::forward_impl(const Tensor& x, const Shape& out_shape) const {
  const Index C = x.dim(0), H = x.dim(1), W = x.dim(2);
  Tensor y(out_shape);
  float* dst = y.data();
  for (Index c = 0; c < C; ++c) {
    const float* xc = x.data() + c * H * W;
    for (Index i = 0; i < out_h_; ++i) {
      const Index h0 = start_index(i, H, out_h_), h1 = end_index(i, H, out_h_);
      for (Index j = 0; j < out_w_; ++j) {
        const Index w0 = start_index(j, W, out_w_), w1 = end_index(j, W, out_w_);
        float sum = 0.0f;
        for (Index h = h0; h < h1; ++h)
          for (Index w = w0; w < w1; ++w) sum += xc[h * W + w];
        *dst++ = sum / static_cast<float>((h1 - h0) * (w1 - w0));
      }
    }
  }
  return y;
}

}  // namespace cdcnn
