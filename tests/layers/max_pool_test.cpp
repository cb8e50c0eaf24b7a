#include "layers/max_pool.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "layer_test_util.hpp"

namespace cdcnn {
namespace {

using testing::expect_error;
using testing::random_tensor;
using testing::with_int;

LayerSpec pool_spec(const std::string& kind, std::vector<Index> kernel, std::vector<Index> stride,
                    std::vector<Index> padding, std::vector<Index> dilation, Index ceil_mode) {
  LayerSpec s{.kind = kind, .name = "pool"};
  s.ints["kernel_size"] = std::move(kernel);
  if (!stride.empty()) s.ints["stride"] = std::move(stride);
  s.ints["padding"] = std::move(padding);
  s.ints["dilation"] = std::move(dilation);
  s.ints["ceil_mode"] = {ceil_mode};
  return s;
}

// Max over every window tap that lands in the input (padding is -inf), by
// direct loops over three spatial axes (a 2-D input gets a unit leading axis).
// The output size is the layer's; the test of the sizes is separate.
Tensor direct_max_pool(const Tensor& x, const Shape& out_shape, const LayerSpec& s) {
  const std::size_t r = out_shape.size() - 1, lead = 3 - r;
  std::vector<Index> in(3, 1), out(3, 1), k(3, 1), st(3, 1), p(3, 0), d(3, 1);
  for (std::size_t a = 0; a < r; ++a) {
    in[lead + a] = x.dim(static_cast<Index>(a + 1));
    out[lead + a] = out_shape[a + 1];
    k[lead + a] = s.ints.at("kernel_size")[a];
    st[lead + a] = s.ints.count("stride") ? s.ints.at("stride")[a] : k[lead + a];
    p[lead + a] = s.ints.at("padding")[a];
    d[lead + a] = s.ints.at("dilation")[a];
  }
  Tensor y(out_shape);
  Index n = 0;
  for (Index c = 0; c < x.dim(0); ++c)
    for (Index z = 0; z < out[0]; ++z)
      for (Index i = 0; i < out[1]; ++i)
        for (Index j = 0; j < out[2]; ++j) {
          float m = -std::numeric_limits<float>::infinity();
          for (Index kz = 0; kz < k[0]; ++kz)
            for (Index ki = 0; ki < k[1]; ++ki)
              for (Index kj = 0; kj < k[2]; ++kj) {
                const Index zz = z * st[0] - p[0] + kz * d[0], ii = i * st[1] - p[1] + ki * d[1],
                            jj = j * st[2] - p[2] + kj * d[2];
                if (zz >= 0 && zz < in[0] && ii >= 0 && ii < in[1] && jj >= 0 && jj < in[2])
                  m = std::max(m, x[((c * in[0] + zz) * in[1] + ii) * in[2] + jj]);
              }
          y[n++] = m;
        }
  return y;
}

void expect_matches_direct_loops(const LayerSpec& s, const Shape& in) {
  std::unique_ptr<Layer> pool = layer_registry().make(s);
  const Tensor x = random_tensor(in, 3);
  const Tensor y = pool->forward(x);
  EXPECT_EQ(max_relative_error(y, direct_max_pool(x, y.shape(), s)), 0.0);
}

// Blocks of channels are the compute threads' tasks: the same on 1, 2 and
// 3 threads, and the direct loops' maximum.
TEST(MaxPool, ResultDoesNotDependOnTheThreadCount) {
  for (const auto& [s, in] : {std::pair{pool_spec("maxpool2d", {3, 3}, {2, 2}, {1, 1}, {1, 1}, 0), Shape{64, 56, 56}},
                              std::pair{pool_spec("maxpool3d", {2, 3, 3}, {1, 2, 2}, {1, 1, 1}, {1, 1, 1}, 1),
                                        Shape{24, 6, 30, 31}}}) {
    const std::unique_ptr<Layer> pool = layer_registry().make(s);
    const Tensor x = random_tensor(in, 3);
    const Tensor y = testing::same_for_any_thread_count([&] { return pool->forward(x); });
    EXPECT_EQ(max_relative_error(y, direct_max_pool(x, y.shape(), s)), 0.0);
  }
}

TEST(MaxPool2d, MatchesDirectLoopsWithStridePaddingAndDilation) {
  expect_matches_direct_loops(pool_spec("maxpool2d", {3, 2}, {2, 1}, {1, 1}, {1, 2}, 0), {3, 9, 8});
  expect_matches_direct_loops(pool_spec("maxpool2d", {3, 3}, {}, {1, 0}, {2, 1}, 0), {2, 11, 10});
}

// ONNX's pads with begin ≠ end: the end padding only lengthens the output.
TEST(MaxPool2d, MatchesDirectLoopsWithAsymmetricPadding) {
  const LayerSpec s = with_int(pool_spec("maxpool2d", {3, 3}, {2, 2}, {1, 0}, {1, 1}, 0), "padding_end", {0, 1});
  EXPECT_EQ(layer_registry().make(s)->output_shape({2, 7, 8}), (Shape{2, 3, 4}));
  expect_matches_direct_loops(s, {2, 7, 8});
  expect_matches_direct_loops(with_int(s, "ceil_mode", {1}), {2, 7, 8});
  expect_matches_direct_loops(
      with_int(pool_spec("maxpool3d", {2, 3, 2}, {1, 2, 2}, {1, 0, 1}, {1, 1, 2}, 1), "padding_end", {0, 1, 0}),
      {2, 4, 7, 9});
  expect_error([&] { layer_registry().make(with_int(s, "padding_end", {2, 0})); },
               "layer 'pool' (maxpool2d): attribute 'padding_end' 2x0 must be at most half of 'kernel_size' 3x3");
}

TEST(MaxPool2d, MatchesDirectLoopsWithStridesLongerThanTheKernel) {
  // Windows skip input columns and dilated taps straddle the row ends.
  expect_matches_direct_loops(pool_spec("maxpool2d", {2, 4}, {3, 5}, {1, 2}, {2, 3}, 1), {2, 10, 17});
  expect_matches_direct_loops(pool_spec("maxpool2d", {3, 5}, {4, 7}, {1, 2}, {1, 2}, 0), {1, 9, 23});
}

TEST(MaxPool2d, PoolsAWindowFarWiderThanTheInputWithoutVisitingEveryTap) {
  // Kernel 2^30 with padding 2^29 over 3 columns: one window across, valid
  // in PyTorch. Looping over (or allocating for) every kernel column hung.
  constexpr Index kWide = Index{1} << 30;
  std::unique_ptr<Layer> pool =
      layer_registry().make(pool_spec("maxpool2d", {2, kWide}, {}, {1, kWide / 2}, {1, 1}, 0));
  const Tensor x({1, 3, 3}, {1, 7, 2, 3, 4, 5, 9, 8, 6});
  const Tensor y = pool->forward(x);
  ASSERT_EQ(y.shape(), (Shape{1, 2, 1}));
  EXPECT_EQ(y[0], 7.0f);  // rows -1 (padding) and 0, every column
  EXPECT_EQ(y[1], 9.0f);  // rows 1 and 2
  EXPECT_EQ(pool->flops({1, 3, 3}), 2 * 2 * kWide);
}

TEST(MaxPool2d, MatchesDirectLoopsInCeilMode) {
  expect_matches_direct_loops(pool_spec("maxpool2d", {3, 3}, {2, 2}, {0, 0}, {1, 1}, 1), {3, 13, 12});
  expect_matches_direct_loops(pool_spec("maxpool2d", {3, 2}, {3, 2}, {1, 1}, {1, 1}, 1), {2, 5, 7});
}

TEST(MaxPool2d, GivesOutputSizesAsPyTorch) {
  auto shape = [](const LayerSpec& s, const Shape& in) { return layer_registry().make(s)->output_shape(in); };
  // AlexNet: MaxPool2d(3, 2) on 55 and 27 and 13.
  EXPECT_EQ(shape(pool_spec("maxpool2d", {3, 3}, {2, 2}, {0, 0}, {1, 1}, 0), {64, 55, 27}), (Shape{64, 27, 13}));
  // ceil_mode rounds up: 7 → 4 with kernel 2 stride 2, floor gives 3.
  EXPECT_EQ(shape(pool_spec("maxpool2d", {2, 2}, {}, {0, 0}, {1, 1}, 1), {1, 7, 6}), (Shape{1, 4, 3}));
  EXPECT_EQ(shape(pool_spec("maxpool2d", {2, 2}, {}, {0, 0}, {1, 1}, 0), {1, 7, 6}), (Shape{1, 3, 3}));
  // ...unless the last window would start in the right padding: 5 with kernel 3,
  // stride 3, padding 1 gives ceil(4/3)+1 = 3 windows, the third starting at 5.
  EXPECT_EQ(shape(pool_spec("maxpool2d", {3, 3}, {3, 3}, {1, 1}, {1, 1}, 1), {1, 5, 5}), (Shape{1, 2, 2}));
  EXPECT_EQ(shape(pool_spec("maxpool2d", {3, 3}, {2, 2}, {1, 1}, {1, 1}, 1), {1, 6, 6}), (Shape{1, 4, 4}));
}

TEST(MaxPool2d, TreatsPaddingAsMinusInfinity) {
  std::unique_ptr<Layer> pool = layer_registry().make(pool_spec("maxpool2d", {3, 3}, {1, 1}, {1, 1}, {1, 1}, 0));
  const Tensor y = pool->forward(Tensor({1, 2, 2}, {-4, -3, -2, -1}));
  EXPECT_EQ(std::vector<float>(y.values().begin(), y.values().end()), (std::vector<float>{-1, -1, -1, -1}));
}

TEST(MaxPool2d, PropagatesNaN) {
  std::unique_ptr<Layer> pool = layer_registry().make(pool_spec("maxpool2d", {2, 2}, {}, {0, 0}, {1, 1}, 0));
  const Tensor y = pool->forward(Tensor({1, 2, 2}, {1, NAN, 3, 2}));
  EXPECT_TRUE(std::isnan(y[0]));
}

TEST(MaxPool2d, SpecRoundTripsThroughTheRegistry) {
  LayerSpec s{.kind = "maxpool2d", .name = "pool"};
  s.ints["kernel_size"] = {3};
  std::unique_ptr<Layer> pool = layer_registry().make(s);
  const LayerSpec back = pool->spec();
  EXPECT_EQ(back.ints.at("stride"), (std::vector<Index>{3, 3}));  // defaults to kernel_size
  EXPECT_EQ(back.ints.at("ceil_mode"), std::vector<Index>{0});
  testing::expect_spec_round_trip(*pool, random_tensor({2, 7, 8}, 1));
  testing::expect_spec_round_trip(*layer_registry().make(pool_spec("maxpool2d", {3, 2}, {2, 1}, {1, 1}, {1, 2}, 1)),
                                  random_tensor({2, 7, 8}, 1));
}

TEST(MaxPool2d, RefusesBadAttributes) {
  const std::string where = "layer 'pool' (maxpool2d): ";
  const LayerSpec good = pool_spec("maxpool2d", {3, 3}, {2, 2}, {1, 1}, {1, 1}, 0);
  auto make = [](const LayerSpec& s) { return [s] { layer_registry().make(s); }; };
  LayerSpec no_kernel = good;
  no_kernel.ints.erase("kernel_size");
  expect_error(make(no_kernel), where, "missing attribute 'kernel_size'");
  expect_error(make(with_int(good, "kernel_size", {0, 3})), where, "'kernel_size' must be positive");
  expect_error(make(with_int(good, "stride", {0})), where, "'stride' must be positive");
  expect_error(make(with_int(good, "padding", {-1, 0})), where, "'padding' must be non-negative");
  expect_error(make(with_int(good, "padding", {2, 1})), where, "at most half of 'kernel_size'");
  expect_error(make(with_int(good, "dilation", {0, 1})), where, "'dilation' must be positive");
  expect_error(make(with_int(good, "ceil_mode", {2})), where, "'ceil_mode' must be 0 or 1");
  expect_error(make(with_int(good, "stride", {1, 2, 3})), where, "'stride' must hold 2");
  // Sizes that used to overflow the window arithmetic (or hang) are refused by name.
  constexpr Index kHuge = Index{1} << 40;
  expect_error(make(with_int(with_int(good, "kernel_size", {kHuge}), "padding", {0})), where,
               "'kernel_size' must be positive and at most 2^31, got 1099511627776x1099511627776");
  expect_error(make(with_int(good, "stride", {kHuge, 1})), where, "'stride' must be positive and at most 2^31");
  expect_error(make(with_int(good, "dilation", {1, Index{1} << 62})), where,
               "'dilation' must be positive and at most 2^31");
  expect_error(make(with_int(good, "kernel_size", {std::numeric_limits<Index>::max()})), where,
               "'kernel_size' must be positive and at most 2^31");
}

TEST(MaxPool2d, RefusesInputsItCannotPool) {
  std::unique_ptr<Layer> pool = layer_registry().make(pool_spec("maxpool2d", {3, 3}, {2, 2}, {0, 0}, {2, 2}, 0));
  expect_error([&] { pool->forward(Tensor({4, 9})); }, "layer 'pool' (maxpool2d): expects a CxHxW input");
  expect_error([&] { pool->forward(Tensor({4, 4, 9})); }, "layer 'pool' (maxpool2d): window", "does not fit");
  EXPECT_EQ(pool->forward(Tensor({4, 5, 5})).shape(), (Shape{4, 1, 1}));
}

TEST(MaxPool3d, MatchesDirectLoopsWithStridePaddingAndDilation) {
  expect_matches_direct_loops(pool_spec("maxpool3d", {2, 3, 2}, {1, 2, 2}, {1, 1, 0}, {1, 1, 2}, 0), {2, 5, 7, 8});
}

TEST(MaxPool3d, MatchesDirectLoopsInCeilMode) {
  // C3D's pool5: kernel 2, stride 2, padding (0, 1, 1) on 2x7x7.
  expect_matches_direct_loops(pool_spec("maxpool3d", {2, 2, 2}, {2, 2, 2}, {0, 1, 1}, {1, 1, 1}, 0), {3, 2, 7, 7});
  expect_matches_direct_loops(pool_spec("maxpool3d", {2, 3, 3}, {2, 2, 2}, {0, 1, 0}, {1, 1, 1}, 1), {2, 5, 6, 7});
}

TEST(MaxPool3d, RefusesAKernelOfMoreThan2To31Elements) {
  constexpr Index k = Index{1} << 11;  // 2^33 taps: each axis is fine, the volume is not
  expect_error([] { layer_registry().make(pool_spec("maxpool3d", {k, k, k}, {}, {0, 0, 0}, {1, 1, 1}, 0)); },
               "layer 'pool' (maxpool3d): ", "'kernel_size' 2048x2048x2048 covers more than 2^31 elements");
  Window w{.kernel = {k, k, k}, .stride = {1, 1, 1}, .padding = {0, 0, 0}, .dilation = {1, 1, 1}};
  expect_error([&] { MaxPool("direct", w, false); }, "layer 'direct' (maxpool3d): ", "covers more than 2^31");
}

TEST(MaxPool3d, SpecRoundTripsAndRefusesAnImage) {
  std::unique_ptr<Layer> pool = layer_registry().make(pool_spec("maxpool3d", {1, 2, 2}, {1, 2, 2}, {0, 0, 0}, {1, 1, 1}, 0));
  EXPECT_EQ(pool->kind(), "maxpool3d");
  testing::expect_spec_round_trip(*pool, random_tensor({2, 3, 4, 4}, 1));
  expect_error([&] { pool->forward(Tensor({2, 4, 4})); }, "layer 'pool' (maxpool3d): expects a CxDxHxW input");
}

}  // namespace
}  // namespace cdcnn
