// Golden tests: cdcnn's single-process inference against PyTorch on the same
// model file and input. tests/golden/make_golden.py (run by CTest as the
// fixture `golden`) exports each case from PyTorch into $CDCNN_GOLDEN_DIR as
// <case>.h5 (model) and <case>.io.h5 (input and PyTorch's output).

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "io/hdf5.hpp"
#include "io/model_file.hpp"

namespace cdcnn {
namespace {

std::string golden_dir() {
  const char* dir = std::getenv("CDCNN_GOLDEN_DIR");
  return dir ? dir : "golden";
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, MatchesPyTorchWithinRelativeError1e4) {
  const std::string base = golden_dir() + "/" + GetParam();
  ASSERT_TRUE(std::filesystem::exists(base + ".h5")) << base << ".h5 missing: did the golden fixture run?";
  const Model model = load_model(base + ".h5");
  h5::File io(base + ".io.h5", h5::File::Mode::read);
  const Tensor x = io.read_tensor("input");
  const Tensor expected = io.read_tensor("output");
  const Tensor actual = model.forward(x);
  const double err = max_relative_error(actual, expected);
  EXPECT_LT(err, 1e-4) << GetParam() << ": max relative error " << err;
  RecordProperty("max_relative_error", std::to_string(err));
  std::printf("%s: max relative error %.3g\n", GetParam().c_str(), err);
}

INSTANTIATE_TEST_SUITE_P(PyTorch, Golden,
                         ::testing::Values("alexnet", "vgg16", "c3d_small", "conv_stride", "conv_padding",
                                           "conv_dilation", "conv_groups", "conv_odd", "conv3d_edge", "pools",
                                           "lrn_bn", "mlp"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace cdcnn
