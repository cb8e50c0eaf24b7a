#include "layers/relu6.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "layer_test_util.hpp"

namespace cdcnn {
namespace {

TEST(Relu6, ClampsToZeroAndSixAsADirectLoopDoes) {
  testing::expect_elementwise("relu6", [](double x) { return std::isnan(x) ? x : std::clamp(x, 0.0, 6.0); });
}

}  // namespace
}  // namespace cdcnn
