#include "layers/window.hpp"

#include <gtest/gtest.h>

#include "layer_test_util.hpp"

namespace cdcnn {
namespace {

using testing::expect_error;

constexpr Index k2To31 = Index{1} << 31;

Window window_2d(Index k, Index s, Index p, Index d) { return {{k, k}, {s, s}, {p, p}, {d, d}}; }

TEST(Window, AcceptsEveryValueUpTo2To31) {
  EXPECT_NO_THROW((Window{{k2To31, 1}, {k2To31, k2To31}, {k2To31, k2To31}, {k2To31, k2To31}}.check("w")));
  EXPECT_NO_THROW(window_2d(1, 1, 0, 1).check("w"));
}

TEST(Window, RefusesValuesOutOfRangeNamingTheAttribute) {
  expect_error([] { window_2d(k2To31 + 1, 1, 0, 1).check("layer 'x'"); },
               "layer 'x': attribute 'kernel_size' must be positive and at most 2^31");
  expect_error([] { window_2d(0, 1, 0, 1).check("w"); }, "w: attribute 'kernel_size' must be positive");
  expect_error([] { window_2d(3, Index{1} << 62, 0, 1).check("w"); }, "w: attribute 'stride'");
  expect_error([] { window_2d(3, 1, -1, 1).check("w"); }, "w: attribute 'padding' must be non-negative");
  expect_error([] { window_2d(3, 1, 0, -5).check("w"); }, "w: attribute 'dilation'");
  Window w = window_2d(3, 1, 0, 1);
  w.padding.pop_back();
  expect_error([&] { w.check("w"); }, "w: attribute 'padding' must hold 2 integers, has 1");
}

TEST(Window, RefusesAKernelCoveringMoreThan2To31Elements) {
  const Window w{{k2To31, 2}, {1, 1}, {0, 0}, {1, 1}};
  expect_error([&] { w.check("w"); }, "w: attribute 'kernel_size' 2147483648x2 covers more than 2^31 elements");
  EXPECT_THROW(w.volume(), Error);
  EXPECT_EQ(window_2d(Index{1} << 15, 1, 0, 1).volume(), Index{1} << 30);
}

TEST(Window, ComputesOutputLengthsExactlyAtTheLimits) {
  // d·(k−1) = 2^31·(2^31−1) is close to 2^62: still exact.
  const Window w = window_2d(k2To31, 1, k2To31 / 2, k2To31);
  // in + 2p − d(k−1) − 1 + 1 = 2^31 + 2^31 − 2^31(2^31 − 1).
  EXPECT_EQ(w.output_length(0, k2To31, false), 3 * k2To31 - (Index{1} << 62));
  expect_error([&] { w.output_spatial("w", {k2To31, k2To31}, false); }, "w: window", "does not fit");
  const Window wide = window_2d(k2To31, k2To31, k2To31 / 2, 1);
  EXPECT_EQ(wide.output_spatial("w", {1, 1}, false), (Shape{1, 1}));
  EXPECT_EQ(wide.output_spatial("w", {1, 1}, true), (Shape{1, 1}));
  expect_error([&] { wide.output_spatial("w", {k2To31 + 1, 1}, false); }, "w: spatial input", "longer than 2^31");
  expect_error([&] { wide.output_spatial("w", {1}, false); }, "w: a 2-D window cannot slide");
}

}  // namespace
}  // namespace cdcnn
