#include "layers/adaptive_avg_pool.hpp"

#include <limits>
#include <numeric>

#include "core/error.hpp"

namespace cdcnn {

namespace {

// Exact for in, out ≤ 2^31 (what the constructor and output_shape() allow).
Index start_index(Index i, Index in, Index out) { return (i * in) / out; }
Index end_index(Index i, Index in, Index out) { return ((i + 1) * in + out - 1) / out; }

// Σ over the output cells of an axis of their window lengths, in closed form:
// Σ_i ceil((i+1)·in/out) − floor(i·in/out) = in + out − gcd(in, out).
Index total_window_length(Index in, Index out) { return in + out - std::gcd(in, out); }

bool valid_size(Index v) { return v >= 1 && v <= kMaxElements; }

}  // namespace

AdaptiveAvgPool::AdaptiveAvgPool(std::string name, Index out_h, Index out_w)
    : Layer(std::move(name)), out_h_(out_h), out_w_(out_w) {
  require(valid_size(out_h_) && valid_size(out_w_), where(), ": output size must be positive and at most 2^31, got ",
          out_h_, "x", out_w_);
}

std::unique_ptr<Layer> AdaptiveAvgPool::from_spec(const LayerSpec& spec) {
  const std::vector<Index> size = spec.int_list_broadcast("output_size", 2);
  require(valid_size(size[0]) && valid_size(size[1]), spec.where(),
          ": attribute 'output_size' must be positive and at most 2^31, got ", size[0], "x", size[1]);
  return std::make_unique<AdaptiveAvgPool>(spec.name, size[0], size[1]);
}

Shape AdaptiveAvgPool::output_shape(const Shape& in) const {
  require(in.size() == 3, where(), ": expects a CxHxW input, got shape ", to_string(in));
  require(in[1] >= 1 && in[2] >= 1, where(), ": input ", to_string(in), " has an empty spatial axis");
  require(in[1] <= kMaxElements && in[2] <= kMaxElements, where(), ": input ", to_string(in),
          " has a spatial axis longer than 2^31");
  return {in[0], out_h_, out_w_};
}

std::int64_t AdaptiveAvgPool::flops(const Shape& in) const {
  output_shape(in);  // checks `in`
  // Each output cell adds up its window (h·w elements) and divides once.
  const std::int64_t adds =
      flop_product({in[0], total_window_length(in[1], out_h_), total_window_length(in[2], out_w_)});
  const std::int64_t divides = flop_product({in[0], out_h_, out_w_});
  require(adds <= std::numeric_limits<std::int64_t>::max() - divides, where(),
          ": more than 2^63 floating-point operations");
  return adds + divides;
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
