#include "layers/sigmoid.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "layer_test_util.hpp"

namespace cdcnn {
namespace {

TEST(Sigmoid, ComputesTheLogisticFunctionAsADirectLoopDoes) {
  testing::expect_elementwise("sigmoid", [](double x) { return 1.0 / (1.0 + std::exp(-x)); });
}

TEST(Sigmoid, SaturatesWithoutOverflowing) {
  const Tensor y = Sigmoid("act").forward(Tensor({2}, {-200.0f, 200.0f}));
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[1], 1.0f);
}

}  // namespace
}  // namespace cdcnn
