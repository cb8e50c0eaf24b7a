#include "layers/hardswish.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>

#include "layer_test_util.hpp"

namespace cdcnn {
namespace {

// PyTorch's definition: 0 below -3, x above 3, x·(x + 3)/6 between.
TEST(Hardswish, IsZeroXOrAQuadraticAsADirectLoopComputesIt) {
  testing::expect_elementwise("hardswish", [](double x) {
    if (std::isnan(x)) return x;
    if (std::isinf(x)) return x < 0 ? std::numeric_limits<double>::quiet_NaN() : x;  // -inf·0, as PyTorch
    return x <= -3 ? 0.0 : x >= 3 ? x : x * (x + 3) / 6;
  });
}

}  // namespace
}  // namespace cdcnn
