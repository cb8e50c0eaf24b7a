#include "core/tensor.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace cdcnn {
namespace {

TEST(Tensor, IsZeroFilledAndRowMajor) {
  Tensor t({2, 3});
  EXPECT_EQ(t.numel(), 6);
  for (Index i = 0; i < 6; ++i) EXPECT_EQ(t[i], 0.0f);
  t.matrix(2, 3)(1, 0) = 5.0f;
  EXPECT_EQ(t[3], 5.0f);  // row 1, column 0 of a 2x3 row-major matrix
}

TEST(Tensor, RefusesAValueCountThatDoesNotMatchItsShape) {
  EXPECT_THROW(Tensor({2, 2}, std::vector<float>(3)), Error);
  EXPECT_THROW(Tensor({-1}), Error);
}

TEST(Tensor, ReshapesOnlyToTheSameElementCount) {
  Tensor t({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor r = t.reshaped({3, 2});
  EXPECT_EQ(r.shape(), (Shape{3, 2}));
  EXPECT_EQ(r[5], 6.0f);
  EXPECT_THROW(t.reshaped({4}), Error);
}

TEST(Tensor, MaxRelativeErrorIsScaledByTheReference) {
  Tensor a({2}, {1.0f, 2.0f}), b({2}, {1.0f, 4.0f});
  EXPECT_DOUBLE_EQ(max_relative_error(a, b), 0.5);
  EXPECT_DOUBLE_EQ(max_relative_error(b, b), 0.0);
  EXPECT_THROW(max_relative_error(a, Tensor({3})), Error);
}

TEST(Shape, RendersForMessages) {
  EXPECT_EQ(to_string(Shape{3, 224, 224}), "3x224x224");
  EXPECT_EQ(numel(Shape{3, 224, 224}), 3 * 224 * 224);
}

}  // namespace
}  // namespace cdcnn
