#pragma once
// Helpers shared by the layer tests: seeded random tensors, spec comparison,
// checking that an Error is thrown with a message naming the layer, and
// that a result does not depend on the number of compute threads.

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "core/rng.hpp"
#include "core/tensor.hpp"
#include "layers/layer.hpp"
#include "layers/registry.hpp"

namespace cdcnn::testing {

/// Runs `compute` on 1, 2 and 3 compute threads and expects the same
/// tensor bit for bit (core/parallel.hpp's promise); returns the result of
/// 3 threads, to be held against a reference.
inline Tensor same_for_any_thread_count(const std::function<Tensor()>& compute) {
  Tensor one = [&] {
    const ComputeThreads threads(1);
    return compute();
  }();
  Tensor result;
  for (const int n : {2, 3}) {
    const ComputeThreads threads(n);
    result = compute();
    EXPECT_EQ(result.shape(), one.shape());
    if (result.shape() != one.shape()) continue;
    EXPECT_EQ(std::memcmp(result.data(), one.data(), static_cast<std::size_t>(one.numel()) * sizeof(float)), 0)
        << "the result on " << n << " threads differs from the one on 1 thread";
  }
  return result;
}

/// Values uniform in [lo, hi), the same for the same seed.
inline Tensor random_tensor(Shape shape, std::uint64_t seed, double lo = -1.0, double hi = 1.0) {
  Rng rng(seed);
  Tensor t(std::move(shape));
  for (float& v : t.values()) v = static_cast<float>(rng.uniform(lo, hi));
  return t;
}

/// Index of element (i0, i1, ...) in a row-major tensor of `shape`.
inline Index offset(const Shape& shape, std::initializer_list<Index> index) {
  Index o = 0;
  std::size_t a = 0;
  for (Index i : index) o = o * shape[a++] + i;
  return o;
}

/// Asserts that `action` throws cdcnn::Error whose message starts with
/// `prefix` and contains `fragment`, and is one line.
inline void expect_error(const std::function<void()>& action, const std::string& prefix,
                         const std::string& fragment = "") {
  try {
    action();
    ADD_FAILURE() << "expected an Error starting with \"" << prefix << "\"";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(prefix, 0), 0u) << "message: " << message;
    EXPECT_NE(message.find(fragment), std::string::npos) << "message: " << message << "\nlacks: " << fragment;
    EXPECT_EQ(message.find('\n'), std::string::npos) << "message: " << message;
  }
}

inline void expect_same_spec(const LayerSpec& a, const LayerSpec& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.ints, b.ints);
  EXPECT_EQ(a.reals, b.reals);
  ASSERT_EQ(a.params.size(), b.params.size());
  for (const auto& [key, tensor] : a.params) {
    ASSERT_TRUE(b.has_param(key)) << key;
    EXPECT_EQ(tensor.shape(), b.params.at(key).shape()) << key;
    EXPECT_EQ(max_relative_error(tensor, b.params.at(key)), 0.0) << key;
  }
}

/// Builds the layer again from its spec through the registry and checks that
/// the spec and the forward pass on `x` are unchanged.
inline void expect_spec_round_trip(const Layer& layer, const Tensor& x) {
  const LayerSpec spec = layer.spec();
  std::unique_ptr<Layer> again = layer_registry().make(spec);
  EXPECT_EQ(again->kind(), layer.kind());
  expect_same_spec(again->spec(), spec);
  EXPECT_EQ(again->parameter_count(), layer.parameter_count());
  EXPECT_EQ(again->flops(x.shape()), layer.flops(x.shape()));
  EXPECT_EQ(max_relative_error(again->forward(x), layer.forward(x)), 0.0);
}

/// A spec built from `base` with one integer attribute replaced.
inline LayerSpec with_int(LayerSpec base, const std::string& key, std::vector<Index> values) {
  base.ints[key] = std::move(values);
  return base;
}

/// The attribute-free elementwise kind `kind`, made through the registry,
/// against `reference` computed in double element by element: on random
/// values in [-8, 8) (both sides of every kink at -3, 0, 3 and 6), on the
/// kinks themselves, ±0, ±inf and NaN. Also checks the spec round trip.
inline void expect_elementwise(const std::string& kind, const std::function<double(double)>& reference) {
  std::unique_ptr<Layer> layer = layer_registry().make(LayerSpec{.kind = kind, .name = "act"});
  EXPECT_EQ(layer->where(), "layer 'act' (" + kind + ")");
  const float inf = std::numeric_limits<float>::infinity();
  Tensor special({12}, {-inf, -8, -3, -1e-3f, -0.0f, 0.0f, 1e-3f, 3, 6, 8, inf, NAN});
  for (const Tensor& x : {random_tensor({3, 5, 4}, 11, -8.0, 8.0), special}) {
    const Tensor y = layer->forward(x);
    ASSERT_EQ(y.shape(), x.shape());
    for (Index i = 0; i < x.numel(); ++i) {
      const double want = reference(x[i]);
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(y[i])) << kind << "(" << x[i] << ") = " << y[i];
      } else if (std::isinf(want)) {
        EXPECT_EQ(y[i], want) << kind << "(" << x[i] << ")";
      } else {
        EXPECT_NEAR(y[i], want, 1e-6 * std::max(1.0, std::abs(want))) << kind << "(" << x[i] << ")";
      }
    }
  }
  EXPECT_EQ(layer->flops({3, 4}), 12);
  testing::expect_spec_round_trip(*layer, random_tensor({2, 3, 4}, 2, -8.0, 8.0));
}

}  // namespace cdcnn::testing
