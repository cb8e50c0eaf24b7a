#include "layers/max_pool.hpp"

#include <algorithm>
#include <array>
#include <limits>

#include "core/error.hpp"
#include "core/parallel.hpp"

namespace cdcnn {

namespace {

// The kernel taps of output index o that land inside an input axis of length
// `in`: taps [first, last) of a window starting at o·stride − padding.
struct Taps {
  Index start, first, last;
};

// Floor and ceiling division for a positive divisor.
Index floor_div(Index a, Index b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
Index ceil_div(Index a, Index b) { return -floor_div(-a, b); }

// In closed form: a window may be far longer than the input (kernel 2^20,
// padding 2^19 over 7 columns is a valid pool), so no loop over the kernel.
// A checked window keeps every product here below 2^62.
std::vector<Taps> taps(Index in, Index out, Index k, Index s, Index p, Index d) {
  std::vector<Taps> t(static_cast<std::size_t>(out));
  for (Index o = 0; o < out; ++o) {
    const Index start = o * s - p;
    const Index first = std::clamp<Index>(ceil_div(-start, d), 0, k);  // first tap with start + tap·d ≥ 0
    const Index last = std::clamp<Index>(floor_div(in - 1 - start, d) + 1, first, k);  // past the last < in
    t[static_cast<std::size_t>(o)] = {start, first, last};
  }
  return t;
}

// A kernel column kw, as the input column `off` = kw·dilation − padding it
// reads for output column 0, and the output columns [lo, hi) for which it
// lands inside the input row.
struct Column {
  Index off, lo, hi;
};

// The kernel columns that land inside the input for at least one output
// column: the union of the output columns' taps. Only these are visited, so
// the work is bounded by the input, not by the kernel width.
std::vector<Column> columns(const std::vector<Taps>& tw, Index W, Index s, Index p, Index d) {
  const Index OW = static_cast<Index>(tw.size());
  std::vector<Column> cols;
  // Windows move right as ow grows, so their taps move left: walking ow
  // downwards visits tap ranges with non-decreasing ends, merged on the fly.
  Index next = 0;
  for (auto t = tw.rbegin(); t != tw.rend(); ++t) {
    for (Index kw = std::max(t->first, next); kw < t->last; ++kw) {
      const Index off = kw * d - p;
      const Index lo = std::min(OW, off >= 0 ? 0 : ceil_div(-off, s));
      const Index hi = W - 1 - off >= 0 ? (W - 1 - off) / s + 1 : 0;
      cols.push_back({off, lo, std::clamp(hi, lo, OW)});
    }
    next = std::max(next, t->last);
  }
  return cols;
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
  // that reaches the input sweeps the output columns [lo, hi) for which it
  // does, so the inner loop has no bounds checks and vectorises.
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
  const std::vector<Column> cols = columns(taps(in[2], out[2], k[2], s[2], p[2], d[2]), W, sw, p[2], d[2]);

  Tensor y(out_shape);
  const Index plane = in[0] * in[1] * in[2], out_plane = out[0] * out[1] * OW;
  // Channels are independent: blocks of them are the compute threads' tasks.
  const EvenSplit channels(x.dim(0), 8, min_items_per_task(out_plane, window_.volume()));
  parallel_for(channels.parts(), [&](Index task) {
    float* dst = y.data() + channels.begin(task) * out_plane;
    for (Index c = channels.begin(task); c < channels.end(task); ++c) {
      const float* xc = x.data() + c * plane;
      for (const Taps& tz : td)
        for (const Taps& ty : th) {
          std::fill(dst, dst + OW, -std::numeric_limits<float>::infinity());
          for (Index kz = tz.first; kz < tz.last; ++kz)
            for (Index ky = ty.first; ky < ty.last; ++ky) {
              const float* row = xc + ((tz.start + kz * d[0]) * in[1] + ty.start + ky * d[1]) * W;
              for (const Column& col : cols) {
                for (Index ow = col.lo; ow < col.hi; ++ow) {
                  const float v = row[col.off + ow * sw];
                  dst[ow] = (v > dst[ow] || v != v) ? v : dst[ow];  // NaN propagates, as in PyTorch
                }
              }
            }
          dst += OW;
        }
    }
  });
  return y;
}

}  // namespace cdcnn
