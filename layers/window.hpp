#pragma once
// Sliding-window geometry shared by convolutions and pools: kernel, stride,
// padding and dilation per spatial axis, read from and written back to a
// LayerSpec, and PyTorch's rule for the output length of each axis.
//
// Padding may differ at the two ends of an axis (ONNX's pads, begin ≠ end):
// `padding` is the padding before the first element, `padding_end` after the
// last; an empty `padding_end` (and a file without the attribute) means the
// same as `padding`, PyTorch's symmetric padding.

#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "layers/layer_spec.hpp"

namespace cdcnn {

struct Window {
  std::vector<Index> kernel, stride, padding, dilation;  ///< one entry per spatial axis
  std::vector<Index> padding_end;  ///< after the last element of each axis; empty: = padding

  /// What a layer kind reads from its spec besides kernel_size.
  struct Attributes {
    bool stride_defaults_to_kernel = false;  ///< pools: stride (kernel_size); convs: stride (1)
    bool has_dilation = true;                ///< avgpool2d has none
    bool padding_at_most_half_kernel = false;  ///< PyTorch's rule for pools
  };

  /// Reads kernel_size (required), stride, padding, padding_end (optional,
  /// = padding) and dilation for `rank` spatial axes. Throws Error naming the layer and the attribute if a value
  /// is out of range (see check()).
  static Window from_spec(const LayerSpec& spec, std::size_t rank, Attributes attributes);
  /// Throws Error starting with `where` and naming the attribute unless every
  /// list has rank() entries; kernel, stride and dilation are in [1, 2^31],
  /// padding and padding_end (if not empty) in [0, 2^31]; and the kernel covers at most kMaxElements
  /// elements; returns *this. Within these bounds no window arithmetic
  /// overflows.
  const Window& check(const std::string& where) const;
  /// Writes every attribute explicitly (dilation only if `with_dilation`;
  /// padding_end only if it differs from padding, so a symmetric window
  /// writes what it did before padding_end existed).
  void write(LayerSpec& spec, bool with_dilation = true) const;

  std::size_t rank() const { return kernel.size(); }
  /// The padding after the last element of `axis`.
  Index end_padding(std::size_t axis) const { return padding_end.empty() ? padding[axis] : padding_end[axis]; }
  bool is_symmetric() const { return padding_end.empty() || padding_end == padding; }
  /// Number of input elements one window touches (≤ kMaxElements once check() passed).
  Index volume() const;

  /// PyTorch's output length along `axis` for an input of length `in` padded
  /// by padding and end_padding (floor, or ceil with its rule that the last
  /// window must start inside the input or the left padding). May be ≤ 0: output_spatial() reports that.
  /// Exact, without overflow, for a checked window and 0 ≤ in ≤ 2^31.
  Index output_length(std::size_t axis, Index in, bool ceil_mode) const;
  /// The spatial output shape for the spatial input shape `in` (rank() axes).
  /// Throws Error starting with `where` if the window does not fit any axis.
  Shape output_spatial(const std::string& where, const Shape& in, bool ceil_mode) const;
};

/// "3x3" rendering of one attribute list, for messages.
std::string to_string_list(const std::vector<Index>& values);

}  // namespace cdcnn
