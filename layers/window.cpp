#include "layers/window.hpp"

#include "core/error.hpp"

namespace cdcnn {

namespace {

/// Kernel, stride, padding and dilation entries are at most this: no axis of a
/// tensor is longer, and products of two such values fit an Index.
constexpr Index kMaxWindowValue = kMaxElements;

void check_list(const std::string& where, const std::string& key, const std::vector<Index>& v, std::size_t rank,
                Index min_value) {
  require(v.size() == rank, where, ": attribute '", key, "' must hold ", rank, " integers, has ", v.size());
  for (Index x : v)
    require(x >= min_value && x <= kMaxWindowValue, where, ": attribute '", key, "' must be ",
            min_value == 0 ? "non-negative" : "positive", " and at most 2^31, got ", to_string_list(v));
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

const Window& Window::check(const std::string& where) const {
  const std::size_t r = rank();
  check_list(where, "kernel_size", kernel, r, 1);
  check_list(where, "stride", stride, r, 1);
  check_list(where, "padding", padding, r, 0);
  if (!padding_end.empty()) check_list(where, "padding_end", padding_end, r, 0);
  check_list(where, "dilation", dilation, r, 1);
  require(checked_numel(kernel).has_value(), where, ": attribute 'kernel_size' ", to_string_list(kernel),
          " covers more than 2^31 elements");
  return *this;
}

Window Window::from_spec(const LayerSpec& spec, std::size_t rank, Attributes attributes) {
  Window w;
  w.kernel = spec.int_list_broadcast("kernel_size", rank);
  if (attributes.stride_defaults_to_kernel && !spec.ints.count("stride")) {
    w.stride = w.kernel;
  } else if (attributes.stride_defaults_to_kernel && spec.ints.at("stride").empty()) {
    w.stride = w.kernel;  // PyTorch's stride=None, exported as an empty list
  } else {
    w.stride = spec.int_list_or("stride", rank, 1);
  }
  w.padding = spec.int_list_or("padding", rank, 0);
  if (spec.ints.count("padding_end")) w.padding_end = spec.int_list_broadcast("padding_end", rank);
  if (attributes.has_dilation) {
    w.dilation = spec.int_list_or("dilation", rank, 1);
  } else {
    require(!spec.ints.count("dilation"), spec.where(), ": has no attribute 'dilation'");
    w.dilation.assign(rank, 1);
  }
  w.check(spec.where());
  if (attributes.padding_at_most_half_kernel) {
    for (std::size_t a = 0; a < rank; ++a) {
      require(w.padding[a] <= w.kernel[a] / 2, spec.where(), ": attribute 'padding' ", to_string_list(w.padding),
              " must be at most half of 'kernel_size' ", to_string_list(w.kernel));
      require(w.end_padding(a) <= w.kernel[a] / 2, spec.where(), ": attribute 'padding_end' ",
              to_string_list(w.padding_end), " must be at most half of 'kernel_size' ", to_string_list(w.kernel));
    }
  }
  return w;
}

void Window::write(LayerSpec& spec, bool with_dilation) const {
  spec.ints["kernel_size"] = kernel;
  spec.ints["stride"] = stride;
  spec.ints["padding"] = padding;
  if (!is_symmetric()) spec.ints["padding_end"] = padding_end;
  if (with_dilation) spec.ints["dilation"] = dilation;
}

Index Window::volume() const {
  const auto v = checked_numel(kernel);
  require(v.has_value(), "window kernel ", to_string_list(kernel), " covers more than 2^31 elements");
  return *v;
}

Index Window::output_length(std::size_t axis, Index in, bool ceil_mode) const {
  const Index k = kernel[axis], s = stride[axis], p = padding[axis], d = dilation[axis];
  Index out = floor_div(in + p + end_padding(axis) - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0), s) + 1;
  if (ceil_mode && (out - 1) * s >= in + p) --out;
  return out;
}

Shape Window::output_spatial(const std::string& where, const Shape& in, bool ceil_mode) const {
  Shape out(rank());
  require(in.size() == rank(), where, ": a ", rank(), "-D window cannot slide over the spatial shape ", to_string(in));
  for (std::size_t a = 0; a < rank(); ++a) {
    require(in[a] <= kMaxElements, where, ": spatial input ", to_string(in), " has an axis longer than 2^31");
    out[a] = in[a] >= 1 ? output_length(a, in[a], ceil_mode) : 0;
    require(out[a] >= 1 && in[a] >= 1, where, ": window (kernel ", to_string_list(kernel), ", dilation ",
            to_string_list(dilation), ") does not fit the input ", to_string(in), " with padding ",
            to_string_list(padding), is_symmetric() ? "" : " and padding_end " + to_string_list(padding_end));
  }
  return out;
}

}  // namespace cdcnn
