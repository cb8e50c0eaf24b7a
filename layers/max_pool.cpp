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
  window_.check(where());
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

std::int64_t MaxPool::flops(const Shape& in) const { return flop_product({numel(output_shape(in)), window_.volume()}); }

LayerSpec MaxPool::spec() const {
  LayerSpec s{.kind = std::string(kind()), .name = name()};
  window_.write(s);
  s.ints["ceil_mode"] = {ceil_mode_ ? 1 : 0};
  return s;
}

Tensor MaxPool::forward_impl(const Tensor& x, const Shape& out_shape) const {
  // Three spatial axes; a 2-D pool gets a unit leading axis. Depth and height
  // taps are resolved per output row; along the row, each kernel column kw
  // sweeps the output columns whose input lies inside [ow_lo, ow_hi), so the
  // inner loop has no bounds checks and vectorises.
  const std::size_t lead = 3 - window_.rank();
  std::array<Index, 3> in{1, 1, 1}, out{1, 1, 1}, k{1, 1, 1}, s{1, 1, 1}, p{0, 0, 0}, d{1, 1, 1};
  for (std::size_t a = lead; a < 3; ++a) {
    const std::size_t w = a - lead;
    in[a] = x.dim(static_cast<Index>(w + 1));
    out[a] = out_shape[w + 1];
    k[a] = window_.kernel[w], s[a] = window_.stride[w], p[a] = window_.padding[w], d[a] = window_.dilation[w];
  }
  const std::vector<Taps> td = taps(in[0], out[0], k[0], s[0], p[0], d[0]);
  const std::vector<Taps> th = taps(in[1], out[1], k[1], s[1], p[1], d[1]);
  const Index OW = out[2], W = in[2], sw = s[2];
  std::vector<Index> ow_lo(static_cast<std::size_t>(k[2])), ow_hi(static_cast<std::size_t>(k[2]));
  for (Index kw = 0; kw < k[2]; ++kw) {
    const Index off = kw * d[2] - p[2];
    const Index lo = std::min(OW, off >= 0 ? 0 : (-off + sw - 1) / sw);
    const Index hi = W - 1 - off >= 0 ? (W - 1 - off) / sw + 1 : 0;
    ow_lo[static_cast<std::size_t>(kw)] = lo;
    ow_hi[static_cast<std::size_t>(kw)] = std::clamp(hi, lo, OW);
  }

  Tensor y(out_shape);
  float* dst = y.data();
  const Index plane = in[0] * in[1] * in[2];
  for (Index c = 0; c < x.dim(0); ++c) {
    const float* xc = x.data() + c * plane;
    for (const Taps& tz : td)
      for (const Taps& ty : th) {
        std::fill(dst, dst + OW, -std::numeric_limits<float>::infinity());
        for (Index kz = tz.first; kz < tz.last; ++kz)
          for (Index ky = ty.first; ky < ty.last; ++ky) {
            const float* row = xc + ((tz.start + kz * d[0]) * in[1] + ty.start + ky * d[1]) * W;
            for (Index kw = 0; kw < k[2]; ++kw) {
              const float* src = row + kw * d[2] - p[2];
              for (Index ow = ow_lo[static_cast<std::size_t>(kw)]; ow < ow_hi[static_cast<std::size_t>(kw)]; ++ow) {
                const float v = src[ow * sw];
                dst[ow] = (v > dst[ow] || v != v) ? v : dst[ow];  // NaN propagates, as in PyTorch
              }
            }
          }
        dst += OW;
      }
  }
  return y;
}

}  // namespace cdcnn
