#include "layers/window.hpp"

#include "core/error.hpp"

namespace cdcnn {

namespace {

std::vector<Index> read_list(const LayerSpec& spec, const std::string& key, std::size_t rank, Index fallback,
                             Index min_value) {
  std::vector<Index> v = spec.int_list_or(key, rank, fallback);
  for (Index x : v)
    require(x >= min_value, spec.where(), ": attribute '", key, "' must be ", min_value == 0 ? "non-negative" : "positive",
            ", got ", to_string_list(v));
  return v;
}

// Floor division for a positive divisor (PyTorch's div_rtn).
Index floor_div(Index a, Index b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

}  // namespace

std::string to_string_list(const std::vector<Index>& values) {
  std::string s;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) s += 'x';
    s += std::to_string(values[i]);
  }
  return s;
}

Window Window::from_spec(const LayerSpec& spec, std::size_t rank, Attributes attributes) {
  Window w;
  w.kernel = spec.int_list_broadcast("kernel_size", rank);
  for (Index k : w.kernel)
    require(k >= 1, spec.where(), ": attribute 'kernel_size' must be positive, got ", to_string_list(w.kernel));
  if (attributes.stride_defaults_to_kernel && !spec.ints.count("stride")) {
    w.stride = w.kernel;
  } else if (attributes.stride_defaults_to_kernel && spec.ints.at("stride").empty()) {
    w.stride = w.kernel;  // PyTorch's stride=None, exported as an empty list
  } else {
    w.stride = read_list(spec, "stride", rank, 1, 1);
  }
  w.padding = read_list(spec, "padding", rank, 0, 0);
  if (attributes.has_dilation) {
    w.dilation = read_list(spec, "dilation", rank, 1, 1);
  } else {
    require(!spec.ints.count("dilation"), spec.where(), ": has no attribute 'dilation'");
    w.dilation.assign(rank, 1);
  }
  if (attributes.padding_at_most_half_kernel) {
    for (std::size_t a = 0; a < rank; ++a)
      require(w.padding[a] <= w.kernel[a] / 2, spec.where(), ": attribute 'padding' ", to_string_list(w.padding),
              " must be at most half of 'kernel_size' ", to_string_list(w.kernel));
  }
  return w;
}

void Window::write(LayerSpec& spec, bool with_dilation) const {
  spec.ints["kernel_size"] = kernel;
  spec.ints["stride"] = stride;
  spec.ints["padding"] = padding;
  if (with_dilation) spec.ints["dilation"] = dilation;
}

Index Window::volume() const {
  Index v = 1;
  for (Index k : kernel) v *= k;
  return v;
}

Index Window::output_length(std::size_t axis, Index in, bool ceil_mode) const {
  const Index k = kernel[axis], s = stride[axis], p = padding[axis], d = dilation[axis];
  Index out = floor_div(in + 2 * p - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0), s) + 1;
  if (ceil_mode && (out - 1) * s >= in + p) --out;
  return out;
}

Shape Window::output_spatial(const std::string& where, const Shape& in, bool ceil_mode) const {
  Shape out(rank());
  for (std::size_t a = 0; a < rank(); ++a) {
    out[a] = output_length(a, in[a], ceil_mode);
    require(out[a] >= 1 && in[a] >= 1, where, ": window (kernel ", to_string_list(kernel), ", dilation ",
            to_string_list(dilation), ") does not fit the input ", to_string(in), " with padding ",
            to_string_list(padding));
  }
  return out;
}

}  // namespace cdcnn
