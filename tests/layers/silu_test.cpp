#include "layers/silu.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "layer_test_util.hpp"

namespace cdcnn {
namespace {

TEST(Silu, IsXTimesSigmoidAsADirectLoopComputesIt) {
  testing::expect_elementwise("silu", [](double x) { return x / (1.0 + std::exp(-x)); });  // NaN at -inf
}

TEST(Silu, TendsToZeroBelowAndToXAbove) {
  const Tensor y = Silu("act").forward(Tensor({2}, {-100.0f, 100.0f}));
  EXPECT_NEAR(y[0], 0.0f, 1e-30f);
  EXPECT_EQ(y[1], 100.0f);
}

}  // namespace
}  // namespace cdcnn
