#include "layers/add.hpp"

#include <gtest/gtest.h>

#include "layer_test_util.hpp"

namespace cdcnn {
namespace {

using testing::expect_error;
using testing::offset;
using testing::random_tensor;

TEST(Add, SumsEqualShapesElementByElement) {
  const Tensor a = random_tensor({2, 3, 4}, 1), b = random_tensor({2, 3, 4}, 2), c = random_tensor({2, 3, 4}, 3);
  const Tensor y = Add("add").merge({&a, &b, &c});
  ASSERT_EQ(y.shape(), (Shape{2, 3, 4}));
  for (Index i = 0; i < y.numel(); ++i) EXPECT_EQ(y[i], (a[i] + b[i]) + c[i]) << i;
}

TEST(Add, ResultDoesNotDependOnTheThreadCount) {
  // A residual add large enough to be cut into ranges.
  const Tensor a = random_tensor({3, 100, 100}, 1), b = random_tensor({3, 100, 100}, 2);
  const Add add("add");
  const Tensor y = testing::same_for_any_thread_count([&] { return add.merge({&a, &b}); });
  for (Index i = 0; i < y.numel(); ++i) ASSERT_EQ(y[i], a[i] + b[i]) << i;
}

TEST(Add, GivenItsFirstInputSumsIntoItWhenTheShapesAgree) {
  const Tensor a = random_tensor({2, 3, 4}, 1), b = random_tensor({2, 3, 4}, 2), c = random_tensor({3, 1}, 3);
  const Add add("add");
  Tensor first = a;
  const float* storage = first.data();
  const Tensor y = add.merge({&first, &b, &c}, std::move(first));
  EXPECT_EQ(y.data(), storage);
  const Tensor expected = add.merge({&a, &b, &c});
  for (Index i = 0; i < y.numel(); ++i) ASSERT_EQ(y[i], expected[i]) << i;
  // A first input smaller than the output cannot hold it: left alone.
  Tensor small = c;
  const Tensor z = add.merge({&small, &a}, std::move(small));
  EXPECT_EQ(small.numel(), 3);
  EXPECT_EQ(z.shape(), a.shape());
  expect_error([&] { add.merge({&a, &b}, Tensor(b)); }, "layer 'add' (add): merge's first input is not the tensor it gives up");
}

TEST(Add, BroadcastsAsNumpyDoesAlignedOnTheLastDimension) {
  // {2,3,4} + {3,1} + {4}: the last two broadcast along the missing axes.
  const Tensor a = random_tensor({2, 3, 4}, 4), b = random_tensor({3, 1}, 5), c = random_tensor({4}, 6);
  const Tensor y = Add("add").merge({&a, &b, &c});
  ASSERT_EQ(y.shape(), (Shape{2, 3, 4}));
  for (Index i = 0; i < 2; ++i)
    for (Index j = 0; j < 3; ++j)
      for (Index k = 0; k < 4; ++k)
        EXPECT_EQ(y[offset({2, 3, 4}, {i, j, k})], (a[offset({2, 3, 4}, {i, j, k})] + b[j]) + c[k]) << i << j << k;
  // Both operands broadcast: {3,1} + {1,4} is {3,4}.
  const Tensor p = random_tensor({3, 1}, 7), q = random_tensor({1, 4}, 8);
  const Tensor z = Add("add").merge({&p, &q});
  ASSERT_EQ(z.shape(), (Shape{3, 4}));
  for (Index j = 0; j < 3; ++j)
    for (Index k = 0; k < 4; ++k) EXPECT_EQ(z[j * 4 + k], p[j] + q[k]);
}

TEST(Add, RefusesShapesThatDoNotBroadcastAndASingleInput) {
  const Add add("res");
  expect_error([&] { add.merged_shape({{64, 8, 8}, {32, 8, 8}}); }, "layer 'res' (add): input shapes 64x8x8, 32x8x8",
               "do not broadcast");
  expect_error([&] { add.output_shape({64, 8, 8}); }, "layer 'res' (add) takes 2 or more inputs, got 1");
}

}  // namespace
}  // namespace cdcnn
