#include "layers/max_pool.hpp"

#include <algorithm>
#include <array>
#include <limits>

#include "core/error.hpp"

namespace cdcnn {

namespace {

// The kernel taps of output index o that land inside an input axis of length
// `in`: taps [first, last) of a window starting at o·stride − padding.
struct Taps {
  Index start, first, last;
};

std::vector<Taps> taps(Index in, Index out, Index k, Index s, Index p, Index d) {
  std::vector<Taps> t(static_cast<std::size_t>(out));
  for (Index o = 0; o < out; ++o) {
    const Index start = o * s - p;
    Index first = 0;
    while (first < k && start + first * d < 0) ++first;
    Index last = k;
    while (last > first && start + (last - 1) * d >= in) --last;
    t[static_cast<std::size_t>(o)] = {start, first, last};
  }
  return t;
}

}  // namespace

MaxPool::MaxPool(std::string name, Window window, bool ceil_mode)
    : Layer(std::move(name)), window_(std::move(window)), ceil_mode_(ceil_mode) {
  require(window_.rank() == 2 || window_.rank() == 3, "layer '", this->name(),
          "' (maxpool): pooling needs 2 or 3 spatial axes, got ", window_.rank());
}

std::unique_ptr<Layer> MaxPool::from_spec(const LayerSpec& spec) {
  require(spec.kind == "maxpool2d" || spec.kind == "maxpool3d", spec.where(), ": not a max-pooling kind");
  const std::size_t r = spec.kind == "maxpool2d" ? 2 : 3;
  Window w = Window::from_spec(spec, r,
                               {.stride_defaults_to_kernel = true, .has_dilation = true, .padding_at_most_half_kernel = true});
  const Index ceil_mode = spec.int_value("ceil_mode", 0);
  require(ceil_mode == 0 || ceil_mode == 1, spec.where(), ": attribute 'ceil_mode' must be 0 or 1, got ", ceil_mode);
  return std::make_unique<MaxPool>(spec.name, std::move(w), ceil_mode == 1);
}

Shape MaxPool::output_shape(const Shape& in) const {
  const std::size_t r = window_.rank();
  require(in.size() == r + 1, where(), ": expects a ", r == 2 ? "CxHxW" : "CxDxHxW", " input, got shape ",
          to_string(in));
  Shape out = window_.output_spatial(where(), Shape(in.begin() + 1, in.end()), ceil_mode_);
  out.insert(out.begin(), in[0]);
  return out;
}

std::int64_t MaxPool::flops(const Shape& in) const { return numel(output_shape(in)) * window_.volume(); }

LayerSpec MaxPool::spec() const {
  LayerSpec s{.kind = std::string(kind()), .name = name()};
  window_.write(s);
  s.ints["ceil_mode"] = {ceil_mode_ ? 1 : 0};
  return s;
}

Tensor MaxPool::forward_impl(const Tensor& x, const Shape& out_shape) const {
  // Three spatial axes; a 2-D pool gets a unit leading axis.
  const std::size_t lead = 3 - window_.rank();
  std::array<Index, 3> in{1, 1, 1}, out{1, 1, 1};
  std::array<std::vector<Taps>, 3> t;
  for (std::size_t a = 0; a < 3; ++a) {
    if (a < lead) {
      t[a] = {{0, 0, 1}};
      continue;
    }
    const std::size_t w = a - lead;
    in[a] = x.dim(static_cast<Index>(w + 1));
    out[a] = out_shape[w + 1];
    t[a] = taps(in[a], out[a], window_.kernel[w], window_.stride[w], window_.padding[w], window_.dilation[w]);
  }
  std::array<Index, 3> dil{1, 1, 1};
  for (std::size_t a = lead; a < 3; ++a) dil[a] = window_.dilation[a - lead];

  Tensor y(out_shape);
  float* dst = y.data();
  const Index plane = in[0] * in[1] * in[2];
  for (Index c = 0; c < x.dim(0); ++c) {
    const float* xc = x.data() + c * plane;
    for (const Taps& td : t[0])
      for (const Taps& th : t[1])
        for (const Taps& tw : t[2]) {
          float m = -std::numeric_limits<float>::infinity();
          for (Index kd = td.first; kd < td.last; ++kd)
            for (Index kh = th.first; kh < th.last; ++kh) {
              const float* row = xc + ((td.start + kd * dil[0]) * in[1] + th.start + kh * dil[1]) * in[2] + tw.start;
              for (Index kw = tw.first; kw < tw.last; ++kw) {
                const float v = row[kw * dil[2]];
                if (v > m || v != v) m = v;  // NaN propagates, as in PyTorch
              }
            }
          *dst++ = m;
        }
  }
  return y;
}

}  // namespace cdcnn
