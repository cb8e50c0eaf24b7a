#include "layers/conv.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "layers/registry.hpp"
#include "layer_test_util.hpp"

namespace cdcnn {
namespace {

using testing::expect_error;
using testing::random_tensor;
using testing::with_int;

struct ConvCase {
  Index in_channels, out_channels, groups;
  std::vector<Index> input, kernel, stride, padding, dilation;  // spatial
  std::vector<Index> padding_end = {};                          // empty: = padding
};

// The definition of a (cross-correlation) convolution, by direct loops over
// output positions, input channels of the group and kernel taps, in double.
// Spatial axes are padded to three with unit axes, so one loop nest serves.
Tensor direct_conv(const Tensor& x, const Tensor& w, const Tensor& b, const ConvCase& c) {
  const std::size_t r = c.kernel.size();
  auto pad3 = [&](const std::vector<Index>& v, Index unit) {
    std::vector<Index> out(3, unit);
    for (std::size_t a = 0; a < r; ++a) out[3 - r + a] = v[a];
    return out;
  };
  const auto in = pad3(c.input, 1), k = pad3(c.kernel, 1), s = pad3(c.stride, 1), p = pad3(c.padding, 0),
             d = pad3(c.dilation, 1), pe = pad3(c.padding_end.empty() ? c.padding : c.padding_end, 0);
  std::vector<Index> out(3);
  for (std::size_t a = 0; a < 3; ++a) out[a] = (in[a] + p[a] + pe[a] - d[a] * (k[a] - 1) - 1) / s[a] + 1;
  Shape out_shape{c.out_channels};
  for (std::size_t a = 3 - r; a < 3; ++a) out_shape.push_back(out[a]);
  Tensor y(out_shape);
  const Index cin_g = c.in_channels / c.groups, cout_g = c.out_channels / c.groups;
  Index n = 0;
  for (Index o = 0; o < c.out_channels; ++o)
    for (Index z = 0; z < out[0]; ++z)
      for (Index i = 0; i < out[1]; ++i)
        for (Index j = 0; j < out[2]; ++j) {
          double acc = b[o];
          for (Index ci = 0; ci < cin_g; ++ci) {
            const Index channel = (o / cout_g) * cin_g + ci;
            for (Index kz = 0; kz < k[0]; ++kz)
              for (Index ki = 0; ki < k[1]; ++ki)
                for (Index kj = 0; kj < k[2]; ++kj) {
                  const Index zz = z * s[0] - p[0] + kz * d[0], ii = i * s[1] - p[1] + ki * d[1],
                              jj = j * s[2] - p[2] + kj * d[2];
                  if (zz < 0 || zz >= in[0] || ii < 0 || ii >= in[1] || jj < 0 || jj >= in[2]) continue;
                  const Index xi = ((channel * in[0] + zz) * in[1] + ii) * in[2] + jj;
                  const Index wi = (((o * cin_g + ci) * k[0] + kz) * k[1] + ki) * k[2] + kj;
                  acc += static_cast<double>(x[xi]) * w[wi];
                }
          }
          y[n++] = static_cast<float>(acc);
        }
  return y;
}

struct Built {
  std::unique_ptr<Conv> conv;
  Tensor x, w, b;
};

Built build(const ConvCase& c, std::uint64_t seed = 1) {
  Shape w_shape{c.out_channels, c.in_channels / c.groups};
  w_shape.insert(w_shape.end(), c.kernel.begin(), c.kernel.end());
  Shape x_shape{c.in_channels};
  x_shape.insert(x_shape.end(), c.input.begin(), c.input.end());
  Tensor w = random_tensor(w_shape, seed), b = random_tensor({c.out_channels}, seed + 1),
         x = random_tensor(x_shape, seed + 2);
  auto conv = std::make_unique<Conv>("conv", w, b.flat(), Window{c.kernel, c.stride, c.padding, c.dilation, c.padding_end}, c.groups);
  return {std::move(conv), std::move(x), std::move(w), std::move(b)};
}

void expect_matches_direct_loops(const ConvCase& c) {
  auto [conv_ptr, x, w, b] = build(c);
  const Conv& conv = *conv_ptr;
  const Tensor expected = direct_conv(x, w, b, c);
  const Tensor actual = conv.forward(x);
  ASSERT_EQ(actual.shape(), expected.shape());
  EXPECT_LT(max_relative_error(actual, expected), 1e-5);
}

// A depthwise conv runs a direct kernel in forward(); forward_gemm() is the
// GEMM per channel it replaces. Both must be the direct loops' convolution.
/// `expect_direct`: whether forward() is expected to take the direct kernel (false
/// for a geometry whose padded copy would be huge).
void expect_depthwise_matches_direct_loops_and_the_gemm_path(const ConvCase& c, bool expect_direct = true) {
  auto [conv_ptr, x, w, b] = build(c);
  ASSERT_TRUE(conv_ptr->is_depthwise());
  EXPECT_EQ(conv_ptr->runs_depthwise_kernel(x.shape()), expect_direct);
  const Tensor expected = direct_conv(x, w, b, c);
  const Tensor direct = conv_ptr->forward(x), gemm = conv_ptr->forward_gemm(x);
  ASSERT_EQ(direct.shape(), expected.shape());
  EXPECT_LT(max_relative_error(direct, expected), 1e-5);
  EXPECT_LT(max_relative_error(direct, gemm), 1e-5);
}

void expect_gemm_view_reproduces_forward(const ConvCase& c) {
  auto [conv_ptr, x, w, b] = build(c);
  const Conv& conv = *conv_ptr;
  Matrix y = conv.weight() * conv.lower(x);
  y.colwise() += conv.bias();
  EXPECT_EQ(conv.weight().cols(), conv.lower(x).rows());
  EXPECT_LT(max_relative_error(conv.raise(y, x.shape()), conv.forward(x)), 1e-5);
}

TEST(Conv2d, MatchesDirectLoopsWithStrideAndDilation) {
  expect_matches_direct_loops({3, 4, 1, {9, 11}, {3, 2}, {2, 1}, {1, 0}, {2, 3}});
}

TEST(Conv2d, MatchesDirectLoopsWithPaddingWiderThanTheKernel) {
  expect_matches_direct_loops({2, 3, 1, {5, 7}, {2, 3}, {3, 2}, {3, 4}, {1, 1}});
}

TEST(Conv2d, MatchesDirectLoopsWithAlexNetStyleStrideAndPadding) {
  expect_matches_direct_loops({3, 5, 1, {23, 21}, {5, 5}, {4, 4}, {2, 2}, {1, 1}});
}

TEST(Conv2d, MatchesDirectLoopsWithGroups) {
  expect_matches_direct_loops({6, 4, 2, {7, 9}, {3, 3}, {1, 2}, {1, 1}, {1, 1}});
}

TEST(Conv2d, MatchesDirectLoopsWhenDepthwise) {
  expect_matches_direct_loops({5, 10, 5, {8, 7}, {3, 3}, {2, 1}, {1, 1}, {1, 2}});
}

TEST(Conv2d, DepthwiseKernelMatchesDirectLoopsAndTheGemmPath) {
  // MobileNet's 3x3 at stride 1 and 2, a channel multiplier of 3, dilation,
  // a kernel wider than the input, asymmetric padding, 3-D.
  expect_depthwise_matches_direct_loops_and_the_gemm_path({8, 8, 8, {13, 12}, {3, 3}, {1, 1}, {1, 1}, {1, 1}});
  expect_depthwise_matches_direct_loops_and_the_gemm_path({8, 8, 8, {13, 12}, {3, 3}, {2, 2}, {1, 1}, {1, 1}});
  expect_depthwise_matches_direct_loops_and_the_gemm_path({4, 12, 4, {9, 10}, {5, 3}, {1, 3}, {2, 1}, {2, 1}});
  expect_depthwise_matches_direct_loops_and_the_gemm_path({3, 3, 3, {4, 3}, {7, 7}, {1, 1}, {3, 3}, {1, 1}});
  expect_depthwise_matches_direct_loops_and_the_gemm_path({6, 6, 6, {11, 10}, {3, 3}, {2, 2}, {0, 1}, {1, 1}, {1, 0}});
  expect_depthwise_matches_direct_loops_and_the_gemm_path({4, 8, 4, {5, 6, 7}, {3, 3, 3}, {1, 2, 1}, {1, 1, 1}, {1, 1, 2}});
  // Padding longer than the padded extent any window reads: every output is the bias.
  expect_depthwise_matches_direct_loops_and_the_gemm_path({2, 2, 2, {1, 3}, {1, 1}, {20, 20}, {10, 10}, {1, 1}});
  // A padding and stride of 2^30 (a model file may hold them): no padded copy
  // of 2^61 floats, the GEMM path instead.
  constexpr Index k2To30 = Index{1} << 30;
  expect_depthwise_matches_direct_loops_and_the_gemm_path({2, 2, 2, {3, 4}, {1, 1}, {k2To30, k2To30}, {k2To30, k2To30}, {1, 1}},
                                                          false);
  // A stride of 2^30 along the height alone: the phases would still hold 2^30 rows.
  expect_depthwise_matches_direct_loops_and_the_gemm_path({2, 2, 2, {3, 4}, {1, 1}, {k2To30, 1}, {0, 0}, {1, 1}}, false);
}

TEST(Conv2d, IsDepthwiseOnlyWhenEachOutputChannelReadsOneOfSeveralInputChannels) {
  EXPECT_FALSE(build({1, 4, 1, {5, 5}, {3, 3}, {1, 1}, {1, 1}, {1, 1}}).conv->is_depthwise());
  EXPECT_FALSE(build({4, 4, 2, {5, 5}, {3, 3}, {1, 1}, {1, 1}, {1, 1}}).conv->is_depthwise());
  EXPECT_TRUE(build({4, 8, 4, {5, 5}, {3, 3}, {1, 1}, {1, 1}, {1, 1}}).conv->is_depthwise());
}

// ONNX's pads with begin ≠ end: the end padding only lengthens the output.
TEST(Conv2d, MatchesDirectLoopsWithAsymmetricPadding) {
  expect_matches_direct_loops({3, 4, 1, {9, 11}, {3, 3}, {2, 2}, {0, 1}, {1, 1}, {1, 2}});
  expect_matches_direct_loops({2, 4, 2, {6, 7}, {3, 2}, {1, 2}, {2, 0}, {2, 1}, {0, 3}});
  expect_matches_direct_loops({2, 3, 1, {4, 5, 6}, {2, 3, 3}, {1, 1, 2}, {1, 0, 1}, {1, 1, 1}, {0, 2, 0}});
  expect_matches_direct_loops({3, 2, 1, {4, 5}, {1, 1}, {1, 1}, {0, 0}, {1, 1}, {1, 0}});  // not pointwise
  expect_gemm_view_reproduces_forward({3, 4, 1, {9, 11}, {3, 3}, {2, 2}, {0, 1}, {1, 1}, {1, 2}});
}

TEST(Conv2d, MatchesDirectLoopsForAPointwiseConvolution) {
  expect_matches_direct_loops({6, 4, 1, {5, 7}, {1, 1}, {1, 1}, {0, 0}, {1, 1}});
  expect_matches_direct_loops({6, 9, 3, {5, 7}, {1, 1}, {1, 1}, {0, 0}, {1, 1}});
  // Strided or padded 1x1 convs still need the unrolling.
  expect_matches_direct_loops({4, 3, 1, {5, 7}, {1, 1}, {2, 2}, {1, 0}, {1, 1}});
}

TEST(Conv2d, MatchesDirectLoopsWhenTheInputSpansSeveralBands) {
  // 16 channels of 3x3 taps over 45 output rows: forward() unrolls it in bands.
  expect_matches_direct_loops({16, 5, 1, {45, 41}, {3, 3}, {1, 1}, {1, 1}, {1, 1}});
  expect_matches_direct_loops({16, 4, 2, {45, 41}, {3, 3}, {1, 1}, {1, 1}, {1, 1}});
}

// A conv without groups runs the packed kernel (layers/packed_gemm.hpp):
// the lowering writes panels of panel_columns() output positions, W is
// packed in panels of kPanelRows rows. Against the direct loops and Eigen's
// GEMM path, with output positions and channels that are not whole panels.
void expect_packed_kernel_matches_direct_loops(const ConvCase& c) {
  auto [conv_ptr, x, w, b] = build(c);
  ASSERT_TRUE(conv_ptr->runs_packed_kernel());
  const Tensor expected = direct_conv(x, w, b, c);
  const Tensor packed = conv_ptr->forward(x), gemm = conv_ptr->forward_gemm(x);
  ASSERT_EQ(packed.shape(), expected.shape());
  EXPECT_LT(max_relative_error(packed, expected), 1e-5);
  EXPECT_LT(max_relative_error(packed, gemm), 1e-5);
}

TEST(Conv2d, PackedKernelMatchesDirectLoops) {
  expect_packed_kernel_matches_direct_loops({5, 13, 1, {7, 7}, {3, 3}, {1, 1}, {1, 1}, {1, 1}});    // 49 positions
  expect_packed_kernel_matches_direct_loops({3, 8, 1, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {1, 1}});     // one position
  expect_packed_kernel_matches_direct_loops({4, 17, 1, {15, 16}, {3, 3}, {2, 2}, {1, 1}, {1, 1}});  // stride 2
  expect_packed_kernel_matches_direct_loops({3, 9, 1, {20, 23}, {7, 7}, {2, 2}, {3, 3}, {1, 1}});   // ResNet's stem
  expect_packed_kernel_matches_direct_loops({4, 6, 1, {11, 12}, {3, 2}, {1, 2}, {2, 1}, {2, 3}});   // dilation
  expect_packed_kernel_matches_direct_loops({6, 9, 1, {5, 7}, {1, 1}, {1, 1}, {0, 0}, {1, 1}});     // pointwise
  expect_packed_kernel_matches_direct_loops({6, 9, 1, {9, 8}, {1, 1}, {2, 2}, {0, 0}, {1, 1}});     // 1x1, stride 2
  expect_packed_kernel_matches_direct_loops({3, 4, 1, {9, 11}, {3, 3}, {2, 2}, {0, 1}, {1, 1}, {1, 2}});
  expect_packed_kernel_matches_direct_loops({3, 5, 1, {4, 5}, {5, 5}, {1, 1}, {4, 4}, {1, 1}});    // padding > half
  expect_packed_kernel_matches_direct_loops({4, 6, 1, {11, 12}, {3, 2}, {1, 1}, {2, 1}, {2, 3}});   // dilation, stride 1
  expect_packed_kernel_matches_direct_loops({3, 4, 1, {9, 11}, {3, 3}, {1, 1}, {0, 1}, {1, 1}, {1, 2}});
  expect_packed_kernel_matches_direct_loops({3, 4, 1, {9, 11}, {3, 3}, {1, 1}, {2, 0}, {1, 1}, {0, 2}});
  // Many bands (each task packs its own), and few positions of a deep layer
  // (packed whole, then cut by rows).
  expect_packed_kernel_matches_direct_loops({16, 20, 1, {45, 41}, {3, 3}, {1, 1}, {1, 1}, {1, 1}});
  expect_packed_kernel_matches_direct_loops({96, 70, 1, {6, 6}, {3, 3}, {1, 1}, {1, 1}, {1, 1}});
}

TEST(Conv3d, PackedKernelMatchesDirectLoops) {
  expect_packed_kernel_matches_direct_loops({3, 10, 1, {4, 5, 6}, {2, 3, 3}, {1, 2, 1}, {1, 1, 0}, {1, 1, 2}});
}

TEST(Conv2d, OnlyConvsWithoutGroupsRunThePackedKernel) {
  EXPECT_FALSE(build({6, 9, 3, {5, 7}, {1, 1}, {1, 1}, {0, 0}, {1, 1}}).conv->runs_packed_kernel());     // grouped
  EXPECT_FALSE(build({8, 8, 8, {5, 7}, {3, 3}, {2, 2}, {1, 1}, {1, 1}}).conv->runs_packed_kernel());     // depthwise
  EXPECT_TRUE(build({8, 8, 1, {5, 7}, {3, 3}, {2, 2}, {1, 1}, {1, 1}}).conv->runs_packed_kernel());
}

TEST(Conv2d, OnlyStrideOneConvsWithoutGroupsSkipTheLowering) {
  const auto shifted = [](const ConvCase& c) {
    const Built b = build(c);
    return b.conv->runs_shifted_kernel(b.x.shape());
  };
  EXPECT_TRUE(shifted({8, 8, 1, {5, 7}, {3, 3}, {1, 1}, {1, 1}, {1, 1}}));
  EXPECT_TRUE(shifted({6, 9, 1, {5, 7}, {1, 1}, {1, 1}, {0, 0}, {1, 1}}));   // pointwise
  EXPECT_FALSE(shifted({8, 8, 1, {5, 7}, {3, 3}, {2, 2}, {1, 1}, {1, 1}}));  // stride 2
  EXPECT_FALSE(shifted({8, 8, 1, {5, 7}, {3, 3}, {1, 2}, {1, 1}, {1, 1}}));  // stride 2 along one axis
  EXPECT_FALSE(shifted({6, 9, 3, {5, 7}, {1, 1}, {1, 1}, {0, 0}, {1, 1}}));  // grouped
  EXPECT_FALSE(shifted({8, 8, 8, {5, 7}, {3, 3}, {1, 1}, {1, 1}, {1, 1}}));  // depthwise
  EXPECT_FALSE(shifted({2, 3, 1, {3, 4, 5}, {1, 3, 3}, {1, 1, 1}, {0, 1, 1}, {1, 1, 1}}));  // 3-D
  // Padding and dilation far larger than the input and output: the padded copy would be huge.
  EXPECT_FALSE(shifted({1, 1, 1, {2, 2}, {3, 3}, {1, 1}, {200, 200}, {200, 200}}));
  expect_matches_direct_loops({1, 2, 1, {2, 2}, {3, 3}, {1, 1}, {200, 200}, {200, 200}});
}

TEST(Conv2d, WritesItsOutputIntoASpareOfItsSizeWhateverItHeld) {
  // One case per kernel (packed, shifted, depthwise, grouped GEMM): each
  // must overwrite every element of the storage it is given.
  for (const ConvCase& c : {ConvCase{4, 17, 1, {15, 16}, {3, 3}, {2, 2}, {1, 1}, {1, 1}},
                            ConvCase{8, 8, 1, {5, 7}, {3, 3}, {1, 1}, {1, 1}, {1, 1}},
                            ConvCase{8, 8, 8, {5, 7}, {3, 3}, {2, 2}, {1, 1}, {1, 1}},
                            ConvCase{6, 9, 3, {5, 7}, {1, 1}, {1, 1}, {0, 0}, {1, 1}}}) {
    auto [conv, x, w, b] = build(c);
    const Tensor expected = conv->forward(x);
    Tensor spare({expected.numel()});
    std::ranges::fill(spare.values(), 1e9f);
    const float* storage = spare.data();
    const Tensor y = conv->forward(x, spare);
    EXPECT_EQ(y.data(), storage);
    EXPECT_EQ(spare.numel(), 0);
    ASSERT_EQ(y.shape(), expected.shape());
    for (Index i = 0; i < y.numel(); ++i) ASSERT_EQ(y[i], expected[i]) << i;
    Tensor other({expected.numel() + 1});  // the wrong size: left alone
    EXPECT_NE(conv->forward(x, other).data(), other.data());
    EXPECT_EQ(other.numel(), expected.numel() + 1);
  }
}

TEST(Conv2d, GemmViewReproducesForward) {
  expect_gemm_view_reproduces_forward({3, 4, 1, {9, 11}, {3, 2}, {2, 1}, {1, 0}, {2, 3}});
  expect_gemm_view_reproduces_forward({6, 9, 3, {7, 8}, {3, 3}, {1, 1}, {1, 1}, {1, 1}});
  expect_gemm_view_reproduces_forward({6, 9, 3, {7, 8}, {1, 1}, {1, 1}, {0, 0}, {1, 1}});
}

// What a worker computes for a shard: any block of rows (here also mixed,
// like a coded W'_j, so the group structure is gone) times X, plus its bias.
void expect_multiply_matches_gemm_view(const ConvCase& c) {
  auto [conv_ptr, x, w, b] = build(c);
  const Conv& conv = *conv_ptr;
  const Matrix lowered = conv.lower(x);
  const Matrix coded = conv.weight().topRows(2) + 0.5f * conv.weight().bottomRows(2);
  const Vector coded_bias = conv.bias().head(2) + 0.5f * conv.bias().tail(2);
  Matrix expected = coded * lowered;
  expected.colwise() += coded_bias;
  const Matrix actual = conv.multiply(x, coded, coded_bias);
  ASSERT_EQ(actual.rows(), 2);
  ASSERT_EQ(actual.cols(), lowered.cols());
  EXPECT_LT((actual - expected).cwiseAbs().maxCoeff(), 1e-5 * expected.cwiseAbs().maxCoeff());
  // The identity block gives forward() back.
  Matrix all = conv.multiply(x, conv.weight(), conv.bias());
  EXPECT_LT(max_relative_error(conv.raise(std::move(all), x.shape()), conv.forward(x)), 1e-5);
}

TEST(Conv2d, MultipliesAnyBlockOfWeightRowsWithoutTheFullUnrolling) {
  expect_multiply_matches_gemm_view({3, 4, 1, {9, 11}, {3, 2}, {2, 1}, {1, 0}, {2, 3}});
  expect_multiply_matches_gemm_view({16, 4, 2, {45, 41}, {3, 3}, {1, 1}, {1, 1}, {1, 1}});  // several bands
  expect_multiply_matches_gemm_view({6, 4, 2, {5, 7}, {1, 1}, {1, 1}, {0, 0}, {1, 1}});     // pointwise
}

TEST(Conv3d, MultipliesAnyBlockOfWeightRowsWithoutTheFullUnrolling) {
  expect_multiply_matches_gemm_view({4, 6, 2, {4, 5, 6}, {2, 3, 3}, {2, 1, 2}, {0, 1, 1}, {1, 1, 1}});
}

// Many bands, row blocks (few bands, many channels), groups, pointwise,
// depthwise, 3-D: every way forward() cuts a conv into tasks for the compute
// threads. Bit for bit the same on 1, 2 and 3 threads, and the direct loops'
// convolution.
TEST(Conv, ResultDoesNotDependOnTheThreadCount) {
  const std::vector<ConvCase> cases = {
      {64, 16, 1, {40, 40}, {3, 3}, {1, 1}, {1, 1}, {1, 1}},    // 7 bands
      {32, 200, 1, {12, 12}, {3, 3}, {1, 1}, {1, 1}, {1, 1}},   // 1 band, row blocks
      {16, 192, 2, {10, 11}, {3, 3}, {1, 1}, {1, 1}, {1, 1}},   // groups and row blocks
      {64, 200, 1, {20, 20}, {1, 1}, {1, 1}, {0, 0}, {1, 1}},   // pointwise
      {16, 40, 1, {60, 60}, {3, 3}, {2, 2}, {1, 1}, {1, 1}},    // lowered into panels, many bands
      {64, 100, 1, {9, 9}, {3, 3}, {2, 2}, {1, 1}, {1, 1}},     // lowered whole, rows cut
      {96, 96, 96, {28, 28}, {3, 3}, {2, 2}, {1, 1}, {1, 1}},   // depthwise kernel
      {8, 120, 1, {6, 10, 12}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}},
  };
  for (const ConvCase& c : cases) {
    SCOPED_TRACE(to_string(Shape{c.in_channels, c.out_channels, c.groups}));
    const Built built = build(c);
    const Conv* conv = built.conv.get();
    const Tensor& x = built.x;  // a reference, not a structured binding: lambdas capture it
    const Tensor y = testing::same_for_any_thread_count([&] { return conv->forward(x); });
    EXPECT_LT(max_relative_error(y, direct_conv(x, built.w, built.b, c)), 1e-5);
    // A shard's rows (the runtime's multiply), cut the same way.
    const Matrix rows = conv->weight().middleRows(1, conv->rows() - 1);
    const Vector bias = conv->bias().tail(conv->rows() - 1);
    const Tensor shard = testing::same_for_any_thread_count([&] {
      const Matrix m = conv->multiply(x, rows, bias);
      return Tensor::from_matrix(m, {m.rows(), m.cols()});
    });
    Matrix expected = rows * conv->lower(x);
    expected.colwise() += bias;
    EXPECT_LT(max_relative_error(shard, Tensor::from_matrix(expected, {expected.rows(), expected.cols()})), 1e-5);
  }
}

TEST(Conv2d, RefusesAWeightBlockOfTheWrongWidth) {
  // Not a structured binding: clang 14 cannot capture those in a lambda.
  const Built built = build({3, 4, 1, {6, 6}, {3, 3}, {1, 1}, {1, 1}, {1, 1}});
  const auto& conv_ptr = built.conv;
  const auto& x = built.x;
  expect_error([&] { conv_ptr->multiply(x, Matrix::Zero(2, 26), Vector::Zero(2)); },
               "layer 'conv' (conv2d): cannot multiply a 2x26 weight block");
  expect_error([&] { conv_ptr->multiply(x, Matrix::Zero(2, 27), Vector::Zero(3)); },
               "layer 'conv' (conv2d): cannot multiply");
}

TEST(Conv2d, WeightIsBlockDiagonalOverGroups) {
  auto [conv_ptr, x, w, b] = build({6, 4, 2, {5, 5}, {3, 3}, {1, 1}, {1, 1}, {1, 1}});
  const Conv& conv = *conv_ptr;
  ASSERT_EQ(conv.weight().rows(), 4);
  ASSERT_EQ(conv.weight().cols(), 6 * 9);
  EXPECT_TRUE(conv.weight().block(0, 27, 2, 27).isZero(0));
  EXPECT_TRUE(conv.weight().block(2, 0, 2, 27).isZero(0));
  EXPECT_EQ(conv.weight().block(2, 27, 2, 27), w.matrix(4, 27).bottomRows(2));
  EXPECT_EQ(max_relative_error(conv.weight_tensor(), w), 0.0);
}

TEST(Conv2d, CountsFlopsAndParametersWithoutTheZeroBlocks) {
  auto [conv_ptr, x, w, b] = build({6, 4, 2, {5, 5}, {3, 3}, {1, 1}, {1, 1}, {1, 1}});
  const Conv& conv = *conv_ptr;
  EXPECT_EQ(conv.parameter_count(), 4 * 3 * 9 + 4);
  EXPECT_EQ(conv.flops({6, 5, 5}), 2 * 4 * 25 * 3 * 9);
}

TEST(Conv2d, GivesOutputShapesAsPyTorch) {
  auto alexnet1 = build({3, 2, 1, {224, 224}, {11, 11}, {4, 4}, {2, 2}, {1, 1}}).conv;
  EXPECT_EQ(alexnet1->output_shape({3, 224, 224}), (Shape{2, 55, 55}));
  auto vgg = build({3, 2, 1, {224, 224}, {3, 3}, {1, 1}, {1, 1}, {1, 1}}).conv;
  EXPECT_EQ(vgg->output_shape({3, 224, 224}), (Shape{2, 224, 224}));
}

TEST(Conv2d, SpecRoundTripsThroughTheRegistry) {
  auto [conv_ptr, x, w, b] = build({6, 4, 2, {7, 6}, {3, 2}, {2, 1}, {1, 0}, {1, 2}});
  const Conv& conv = *conv_ptr;
  testing::expect_spec_round_trip(conv, x);
  const LayerSpec s = conv.spec();
  EXPECT_EQ(s.ints.at("groups"), std::vector<Index>{2});
  EXPECT_EQ(s.ints.at("dilation"), (std::vector<Index>{1, 2}));
  EXPECT_EQ(s.params.at("weight").shape(), (Shape{4, 3, 3, 2}));
}

LayerSpec conv2d_spec() {
  LayerSpec s{.kind = "conv2d", .name = "conv1"};
  s.ints["kernel_size"] = {3};  // a scalar stands for both axes
  s.params.emplace("weight", random_tensor({4, 3, 3, 3}, 7));
  s.params.emplace("bias", random_tensor({4}, 8));
  return s;
}

TEST(Conv2d, TakesDefaultsAndScalarsFromASpec) {
  std::unique_ptr<Layer> layer = layer_registry().make(conv2d_spec());
  const auto& conv = dynamic_cast<const Conv&>(*layer);
  EXPECT_EQ(conv.window().kernel, (std::vector<Index>{3, 3}));
  EXPECT_EQ(conv.window().stride, (std::vector<Index>{1, 1}));
  EXPECT_EQ(conv.window().padding, (std::vector<Index>{0, 0}));
  EXPECT_EQ(conv.window().dilation, (std::vector<Index>{1, 1}));
  EXPECT_EQ(conv.groups(), 1);
  EXPECT_EQ(conv.in_channels(), 3);
  EXPECT_NE(layer->as_linear(), nullptr);
  LayerSpec no_bias = conv2d_spec();
  no_bias.params.erase("bias");
  EXPECT_TRUE(dynamic_cast<const Conv&>(*layer_registry().make(no_bias)).bias().isZero(0));
}

TEST(Conv2d, PaddingEndDefaultsToPaddingAndIsWrittenOnlyWhenItDiffers) {
  LayerSpec s = with_int(conv2d_spec(), "padding", {1, 2});
  EXPECT_EQ(layer_registry().make(s)->spec().ints.count("padding_end"), 0u);
  EXPECT_EQ(layer_registry().make(s)->output_shape({3, 5, 5}), (Shape{4, 5, 7}));
  s = with_int(s, "padding_end", {0, 2});
  std::unique_ptr<Layer> asymmetric = layer_registry().make(s);
  EXPECT_EQ(asymmetric->spec().ints.at("padding_end"), (std::vector<Index>{0, 2}));
  EXPECT_EQ(asymmetric->output_shape({3, 5, 5}), (Shape{4, 4, 7}));
  testing::expect_spec_round_trip(*asymmetric, random_tensor({3, 5, 5}, 3));
  const std::string where = "layer 'conv1' (conv2d): ";
  auto make = [](const LayerSpec& spec) { return [spec] { layer_registry().make(spec); }; };
  expect_error(make(with_int(s, "padding_end", {1, 1, 1})), where, "'padding_end' must hold 2");
  expect_error(make(with_int(s, "padding_end", {0, -1})), where, "'padding_end' must be non-negative");
}

TEST(Conv2d, RefusesBadAttributesAndDatasets) {
  const std::string where = "layer 'conv1' (conv2d): ";
  auto make = [](const LayerSpec& s) { return [s] { layer_registry().make(s); }; };
  LayerSpec no_weight = conv2d_spec();
  no_weight.params.erase("weight");
  expect_error(make(no_weight), where, "missing dataset 'weight'");
  LayerSpec flat_weight = conv2d_spec();
  flat_weight.params["weight"] = random_tensor({4, 27}, 1);
  expect_error(make(flat_weight), where, "dataset 'weight' must be 4-D");
  LayerSpec empty_weight = conv2d_spec();
  empty_weight.params["weight"] = Tensor({4, 0, 3, 3});
  expect_error(make(empty_weight), where, "empty dimension");
  LayerSpec no_kernel = conv2d_spec();
  no_kernel.ints.erase("kernel_size");
  expect_error(make(no_kernel), where, "missing attribute 'kernel_size'");
  expect_error(make(with_int(conv2d_spec(), "kernel_size", {3, 2})), where, "does not match dataset 'weight'");
  expect_error(make(with_int(conv2d_spec(), "kernel_size", {3, 3, 3})), where, "'kernel_size' must hold 2");
  expect_error(make(with_int(conv2d_spec(), "stride", {1, 0})), where, "'stride' must be positive");
  expect_error(make(with_int(conv2d_spec(), "padding", {-1})), where, "'padding' must be non-negative");
  expect_error(make(with_int(conv2d_spec(), "dilation", {0, 1})), where, "'dilation' must be positive");
  // Dilation 2^62 overflowed the output-size arithmetic; stride and padding likewise.
  expect_error(make(with_int(conv2d_spec(), "dilation", {Index{1} << 62})), where,
               "'dilation' must be positive and at most 2^31, got 4611686018427387904x4611686018427387904");
  expect_error(make(with_int(conv2d_spec(), "stride", {1, Index{1} << 32})), where,
               "'stride' must be positive and at most 2^31");
  expect_error(make(with_int(conv2d_spec(), "padding", {Index{1} << 31, (Index{1} << 31) + 1})), where,
               "'padding' must be non-negative and at most 2^31");
  expect_error(make(with_int(conv2d_spec(), "groups", {0})), where, "'groups' must be positive");
  expect_error(make(with_int(conv2d_spec(), "groups", {3})), where, "'groups' (3) must divide the 4 output");
  expect_error(make(with_int(conv2d_spec(), "groups", {1, 2})), where, "'groups' must hold 1");
  LayerSpec bad_bias = conv2d_spec();
  bad_bias.params["bias"] = Tensor({5});
  expect_error(make(bad_bias), where, "dataset 'bias' has shape 5, expected 4");
}

TEST(Conv2d, RefusesInputsItCannotConvolve) {
  std::unique_ptr<Layer> conv = layer_registry().make(with_int(conv2d_spec(), "dilation", {2}));
  expect_error([&] { conv->forward(Tensor({4, 9, 9})); }, "layer 'conv1' (conv2d): expects 3 input channels, got 4");
  expect_error([&] { conv->forward(Tensor({3, 9})); }, "layer 'conv1' (conv2d): expects a CxHxW input");
  expect_error([&] { conv->forward(Tensor({3, 9, 9, 1})); }, "layer 'conv1' (conv2d): expects a CxHxW input");
  // The dilated 3x3 window spans 5 inputs: a 4-wide input is too small.
  expect_error([&] { conv->forward(Tensor({3, 9, 4})); }, "layer 'conv1' (conv2d): window", "does not fit");
  EXPECT_EQ(conv->forward(Tensor({3, 5, 5})).shape(), (Shape{4, 1, 1}));
}

TEST(Conv3d, MatchesDirectLoopsWithStridePaddingAndDilation) {
  expect_matches_direct_loops({3, 4, 1, {5, 7, 6}, {3, 2, 3}, {1, 2, 1}, {1, 0, 2}, {2, 1, 1}});
}

TEST(Conv3d, MatchesDirectLoopsWithGroups) {
  expect_matches_direct_loops({4, 6, 2, {4, 5, 6}, {2, 3, 3}, {2, 1, 2}, {0, 1, 1}, {1, 1, 1}});
  expect_matches_direct_loops({3, 3, 3, {4, 5, 6}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}});
}

TEST(Conv3d, MatchesDirectLoopsForAPointwiseConvolution) {
  expect_matches_direct_loops({4, 3, 1, {3, 4, 5}, {1, 1, 1}, {1, 1, 1}, {0, 0, 0}, {1, 1, 1}});
}

TEST(Conv3d, GemmViewReproducesForward) {
  expect_gemm_view_reproduces_forward({3, 4, 1, {5, 7, 6}, {3, 2, 3}, {1, 2, 1}, {1, 0, 2}, {2, 1, 1}});
  expect_gemm_view_reproduces_forward({4, 6, 2, {4, 5, 6}, {2, 3, 3}, {2, 1, 2}, {0, 1, 1}, {1, 1, 1}});
}

TEST(Conv3d, SpecRoundTripsThroughTheRegistry) {
  auto [conv_ptr, x, w, b] = build({4, 6, 2, {4, 5, 6}, {2, 3, 3}, {2, 1, 2}, {0, 1, 1}, {1, 1, 1}});
  const Conv& conv = *conv_ptr;
  EXPECT_EQ(conv.kind(), "conv3d");
  testing::expect_spec_round_trip(conv, x);
}

TEST(Conv3d, RefusesAFourDimensionalWeightAndAnImageInput) {
  LayerSpec s{.kind = "conv3d", .name = "c3"};
  s.ints["kernel_size"] = {3};
  s.params.emplace("weight", random_tensor({4, 3, 3, 3}, 1));
  expect_error([&] { layer_registry().make(s); }, "layer 'c3' (conv3d): ", "dataset 'weight' must be 5-D");
  s.params["weight"] = random_tensor({4, 3, 3, 3, 3}, 1);
  std::unique_ptr<Layer> conv = layer_registry().make(s);
  expect_error([&] { conv->forward(Tensor({3, 8, 8})); }, "layer 'c3' (conv3d): expects a CxDxHxW input");
}

}  // namespace
}  // namespace cdcnn
