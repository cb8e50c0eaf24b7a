#include "layers/concat.hpp"

#include <gtest/gtest.h>

#include "layer_test_util.hpp"

namespace cdcnn {
namespace {

using testing::expect_error;
using testing::offset;
using testing::random_tensor;

/// The direct loop: y[..., j, ...] along `axis` is input i's element j - (sizes before i).
Tensor concat_by_hand(const std::vector<const Tensor*>& xs, std::size_t axis) {
  Shape out = xs[0]->shape();
  out[axis] = 0;
  for (const Tensor* x : xs) out[axis] += x->shape()[axis];
  Tensor y(out);
  // Walk every output index as a multi-index.
  std::vector<Index> idx(out.size(), 0);
  for (Index o = 0; o < y.numel(); ++o) {
    Index j = idx[axis];
    std::size_t i = 0;
    while (j >= xs[i]->shape()[axis]) j -= xs[i++]->shape()[axis];
    Index src = 0;
    for (std::size_t d = 0; d < out.size(); ++d) src = src * xs[i]->shape()[d] + (d == axis ? j : idx[d]);
    y[o] = (*xs[i])[src];
    for (std::size_t d = out.size(); d-- > 0;)
      if (++idx[d] < out[d]) break;
      else idx[d] = 0;
  }
  return y;
}

TEST(Concat, JoinsChannelsAsADirectLoopDoes) {
  const Tensor a = random_tensor({2, 3, 4}, 1), b = random_tensor({5, 3, 4}, 2), c = random_tensor({1, 3, 4}, 3);
  const Tensor y = Concat("cat", 0).merge({&a, &b, &c});
  ASSERT_EQ(y.shape(), (Shape{8, 3, 4}));
  EXPECT_EQ(max_relative_error(y, concat_by_hand({&a, &b, &c}, 0)), 0.0);
  EXPECT_EQ(y[offset({8, 3, 4}, {2, 1, 3})], b[offset({5, 3, 4}, {0, 1, 3})]);
}

TEST(Concat, JoinsAlongAnInnerOrNegativeAxis) {
  const Tensor a = random_tensor({2, 3, 4}, 4), b = random_tensor({2, 3, 2}, 5);
  for (Index axis : {Index{2}, Index{-1}}) {
    const Tensor y = Concat("cat", axis).merge({&a, &b});
    ASSERT_EQ(y.shape(), (Shape{2, 3, 6}));
    EXPECT_EQ(max_relative_error(y, concat_by_hand({&a, &b}, 2)), 0.0);
  }
  const Tensor p = random_tensor({2, 3}, 6), q = random_tensor({2, 5}, 7);
  EXPECT_EQ(max_relative_error(Concat("cat", 1).merge({&p, &q}), concat_by_hand({&p, &q}, 1)), 0.0);
}

TEST(Concat, RefusesMismatchedShapesAndAxes) {
  expect_error([] { Concat("cat", 0).merged_shape({{2, 3, 4}, {2, 3, 5}}); },
               "layer 'cat' (concat): input 1 has shape 2x3x5, which cannot join 2x3x4 along axis 0");
  expect_error([] { Concat("cat", 0).merged_shape({{2, 3, 4}, {2, 12}}); }, "layer 'cat' (concat): input 1");
  expect_error([] { Concat("cat", 3).merged_shape({{2, 3, 4}, {2, 3, 4}}); },
               "layer 'cat' (concat): axis 3 is out of range for inputs of rank 3");
}

TEST(Concat, ComesBackFromItsSpec) {
  const LayerSpec spec = Concat("cat", 2).spec();
  EXPECT_EQ(spec.ints.at("axis"), std::vector<Index>{2});
  testing::expect_same_spec(Concat::from_spec(spec)->spec(), spec);
}

}  // namespace
}  // namespace cdcnn
