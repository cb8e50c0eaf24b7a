#include "layers/mul.hpp"

#include <gtest/gtest.h>

#include "layer_test_util.hpp"

namespace cdcnn {
namespace {

using testing::expect_error;
using testing::offset;
using testing::random_tensor;

TEST(Mul, ScalesEachChannelAsSqueezeExciteDoes) {
  // x {C,H,W} times s {C,1,1}, in either order (torchvision writes scale * input).
  const Tensor x = random_tensor({4, 3, 5}, 1), s = random_tensor({4, 1, 1}, 2);
  for (const auto& y : {Mul("se").merge({&x, &s}), Mul("se").merge({&s, &x})}) {
    ASSERT_EQ(y.shape(), (Shape{4, 3, 5}));
    for (Index c = 0; c < 4; ++c)
      for (Index h = 0; h < 3; ++h)
        for (Index w = 0; w < 5; ++w) {
          const Index o = offset({4, 3, 5}, {c, h, w});
          EXPECT_EQ(y[o], x[o] * s[c]) << c << h << w;
        }
  }
}

TEST(Mul, MultipliesEqualShapes) {
  const Tensor a = random_tensor({6}, 3), b = random_tensor({6}, 4);
  const Tensor y = Mul("m").merge({&a, &b});
  for (Index i = 0; i < 6; ++i) EXPECT_EQ(y[i], a[i] * b[i]);
}

TEST(Mul, TakesExactlyTwoInputs) {
  const Tensor a = random_tensor({2}, 5);
  expect_error([&] { Mul("m").merge({&a, &a, &a}); }, "layer 'm' (mul) takes exactly 2 inputs, got 3");
  expect_error([&] { Mul("m").merged_shape({{4, 3, 5}, {3, 1, 1}}); }, "layer 'm' (mul): input shapes 4x3x5, 3x1x1",
               "do not broadcast");
}

}  // namespace
}  // namespace cdcnn
