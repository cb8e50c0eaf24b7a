#include "core/tensor.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <utility>

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

constexpr Index k2To32 = Index{1} << 32;

TEST(Shape, CheckedProductsStopAtTheLimitInsteadOfOverflowing) {
  EXPECT_EQ(checked_product({3, 224, 224}), 3 * 224 * 224);
  EXPECT_EQ(checked_product({}), 1);
  EXPECT_EQ(checked_product({k2To32, 0, k2To32}), 0);
  EXPECT_EQ(checked_product({k2To32, k2To32}), std::nullopt);  // 2^64 wraps to 0 unchecked
  EXPECT_EQ(checked_product({std::numeric_limits<Index>::max(), 2}), std::nullopt);
  EXPECT_EQ(checked_product({4, -1}), std::nullopt);
  EXPECT_EQ(checked_product({0, -1}), std::nullopt);
  EXPECT_EQ(checked_product({6, 7}, 42), 42);
  EXPECT_EQ(checked_product({6, 7}, 41), std::nullopt);
  EXPECT_EQ(checked_numel({kMaxElements}), kMaxElements);
  EXPECT_EQ(checked_numel({kMaxElements, 2}), std::nullopt);
  EXPECT_EQ(checked_numel({kMaxElements, 2}, std::numeric_limits<Index>::max()), 2 * kMaxElements);
}

TEST(Shape, NumelRefusesACountThatOverflows) {
  EXPECT_THROW(numel(Shape{k2To32, k2To32}), Error);
  EXPECT_THROW(numel(Shape{2, -3}), Error);
  EXPECT_EQ(numel(Shape{k2To32, k2To32 / 4}), k2To32 * (k2To32 / 4));  // large but countable
}

TEST(Tensor, RefusesMoreThan2To31Elements) {
  // 2^32 x 2^32 wraps to 0 elements unchecked and used to make an empty tensor of that shape.
  EXPECT_THROW(Tensor({k2To32, k2To32}), Error);
  EXPECT_THROW(Tensor({k2To32, k2To32}, {}), Error);
  try {
    Tensor({kMaxElements, 2, 0, k2To32, k2To32});
  } catch (const Error& e) {
    FAIL() << "an empty tensor is fine whatever its other dimensions: " << e.what();
  }
}

TEST(Tensor, RefusesAMatrixViewWhoseSizeOverflows) {
  Tensor t({0});
  EXPECT_THROW(t.matrix(k2To32, k2To32), Error);
  EXPECT_THROW(std::as_const(t).matrix(k2To32, k2To32), Error);
  EXPECT_EQ(t.matrix(0, 5).cols(), 5);
}

}  // namespace
}  // namespace cdcnn
