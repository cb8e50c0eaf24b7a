#include "layers/hardsigmoid.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "layer_test_util.hpp"

namespace cdcnn {
namespace {

// PyTorch's definition: 0 below -3, 1 above 3, x/6 + 1/2 between.
TEST(Hardsigmoid, IsPiecewiseLinearAsADirectLoopComputesIt) {
  testing::expect_elementwise("hardsigmoid", [](double x) {
    if (std::isnan(x)) return x;
    return x <= -3 ? 0.0 : x >= 3 ? 1.0 : x / 6 + 0.5;
  });
}

}  // namespace
}  // namespace cdcnn
