#pragma once
// Inputs for single-batch inference: images (PNG/JPEG/BMP, through stb_image),
// numpy .npy tensors, and IDX datasets (MNIST / Fashion-MNIST, gzipped or not).

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "layers/model.hpp"

namespace cdcnn {

/// The input of a model from a file, as `cdcnn infer --input` and `cdcnn run
/// --input` read it: a path whose extension is .npy in any letter case (.npy,
/// .NPY, .Npy) is a numpy array (load_npy); any other path is an image
/// (load_image), whatever its extension, stb_image telling the format from
/// the contents.
Tensor load_input(const std::string& path, const Shape& shape, const InputNormalisation& norm);

/// Loads an image and turns it into `shape` ({C, H, W}, C = 1 or 3) as
/// torchvision's eval transform does: resize so the shorter side is
/// H·256/224 (bilinear), centre-crop H×W, scale to [0, 1], then normalise
/// with `norm` if it is not empty. Error naming the file on failure.
Tensor load_image(const std::string& path, const Shape& shape, const InputNormalisation& norm);

/// Loads a float32 or float64 C-order .npy array. A leading batch dimension
/// of 1 is dropped when that makes the shape equal `expected`; the result
/// must then have shape `expected` (Error naming the file otherwise).
Tensor load_npy(const std::string& path, const Shape& expected);
/// Writes a float32 .npy file (for exchanging tensors with numpy/PyTorch).
void save_npy(const std::string& path, const Tensor& t);

/// An IDX image set with its labels, e.g. Fashion-MNIST's test set.
struct LabelledImages {
  Index count = 0, rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels;  ///< count·rows·cols, row-major
  std::vector<std::uint8_t> labels;  ///< count
  /// Image i as a {1, rows, cols} tensor scaled to [0,1] and normalised.
  Tensor image(Index i, const InputNormalisation& norm) const;
};

/// Reads `<dir>/t10k-images-idx3-ubyte[.gz]` and `t10k-labels-idx1-ubyte[.gz]`
/// (split = "t10k") or the "train" pair.
LabelledImages load_idx_dataset(const std::string& dir, const std::string& split = "t10k");

}  // namespace cdcnn
