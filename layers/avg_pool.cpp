#include "layers/avg_pool.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/parallel.hpp"

namespace cdcnn {

namespace {

Index flag(const LayerSpec& spec, const std::string& key, Index fallback) {
  const Index v = spec.int_value(key, fallback);
  require(v == 0 || v == 1, spec.where(), ": attribute '", key, "' must be 0 or 1, got ", v);
  return v;
}

}  // namespace

AvgPool::AvgPool(std::string name, Window window, bool ceil_mode, bool count_include_pad)
    : Layer(std::move(name)), window_(std::move(window)), ceil_mode_(ceil_mode), count_include_pad_(count_include_pad) {
  require(window_.rank() == 2, where(), ": needs 2 spatial axes, got ", window_.rank());
  window_.check(where());
}

std::unique_ptr<Layer> AvgPool::from_spec(const LayerSpec& spec) {
  require(spec.kind == "avgpool2d", spec.where(), ": not an average-pooling kind");
  Window w = Window::from_spec(spec, 2,
                               {.stride_defaults_to_kernel = true, .has_dilation = false, .padding_at_most_half_kernel = true});
  const bool ceil_mode = flag(spec, "ceil_mode", 0) == 1;
  const bool count_include_pad = flag(spec, "count_include_pad", 1) == 1;
  return std::make_unique<AvgPool>(spec.name, std::move(w), ceil_mode, count_include_pad);
}

Shape AvgPool::output_shape(const Shape& in) const {
  require(in.size() == 3, where(), ": expects a CxHxW input, got shape ", to_string(in));
  Shape out = window_.output_spatial(where(), {in[1], in[2]}, ceil_mode_);
  return {in[0], out[0], out[1]};
}

std::int64_t AvgPool::flops(const Shape& in) const {
  return flop_product({numel(output_shape(in)), window_.volume() + 1});
}

LayerSpec AvgPool::spec() const {
  LayerSpec s{.kind = "avgpool2d", .name = name()};
  window_.write(s, /*with_dilation=*/false);
  s.ints["ceil_mode"] = {ceil_mode_ ? 1 : 0};
  s.ints["count_include_pad"] = {count_include_pad_ ? 1 : 0};
  return s;
}

Tensor AvgPool::forward_impl(const Tensor& x, const Shape& out_shape) const {
  const Index C = x.dim(0), H = x.dim(1), W = x.dim(2), OH = out_shape[1], OW = out_shape[2];
  const Index kh = window_.kernel[0], kw = window_.kernel[1], sh = window_.stride[0], sw = window_.stride[1];
  const Index ph = window_.padding[0], pw = window_.padding[1];
  const Index ph_end = window_.end_padding(0), pw_end = window_.end_padding(1);
  Tensor y(out_shape);
  // Channels are independent: blocks of them are the compute threads' tasks.
  const EvenSplit channels(C, 8, min_items_per_task(OH * OW, kh * kw));
  parallel_for(channels.parts(), [&](Index task) {
    float* dst = y.data() + channels.begin(task) * OH * OW;
    for (Index c = channels.begin(task); c < channels.end(task); ++c) {
      const float* xc = x.data() + c * H * W;
      for (Index oh = 0; oh < OH; ++oh)
        for (Index ow = 0; ow < OW; ++ow) {
          // PyTorch's avg_pool2d: the padded window, clipped to the padded input, sets
          // the count_include_pad divisor; clipped to the input, the summed region.
          Index h0 = oh * sh - ph, w0 = ow * sw - pw;
          Index h1 = std::min(h0 + kh, H + ph_end), w1 = std::min(w0 + kw, W + pw_end);
          const Index padded_count = (h1 - h0) * (w1 - w0);
          h0 = std::max<Index>(h0, 0), w0 = std::max<Index>(w0, 0);
          h1 = std::min(h1, H), w1 = std::min(w1, W);
          float sum = 0.0f;
          for (Index h = h0; h < h1; ++h)
            for (Index w = w0; w < w1; ++w) sum += xc[h * W + w];
          const Index count = count_include_pad_ ? padded_count : (h1 - h0) * (w1 - w0);
          *dst++ = (h0 >= h1 || w0 >= w1) ? 0.0f : sum / static_cast<float>(count);
        }
    }
  });
  return y;
}

}  // namespace cdcnn
