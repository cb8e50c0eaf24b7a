#pragma once
// Shared checks for every code: the encode → lose → decode round trip over
// loss patterns, with `decodable` held against an independent rank test.

#include <gtest/gtest.h>

#include <Eigen/LU>
#include <algorithm>
#include <optional>
#include <vector>

#include "codes/code.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"

namespace cdcnn::test {

/// Independent decodability: FullPivLU rank of the arrived rows of G.
inline bool rank_decodable(const Eigen::MatrixXd& g, const ShardMask& arrived) {
  std::vector<Eigen::Index> rows;
  for (std::size_t j = 0; j < arrived.size(); ++j)
    if (arrived[j]) rows.push_back(static_cast<Eigen::Index>(j));
  if (rows.empty()) return false;
  Eigen::FullPivLU<Eigen::MatrixXd> lu(Eigen::MatrixXd(g(rows, Eigen::all)));
  lu.setThreshold(1e-9);
  return lu.rank() == g.cols();
}

/// k random data blocks shaped like a layer's output blocks (rows × cols).
inline std::vector<Matrix> random_blocks(int k, Index rows, Index cols, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<Matrix> blocks;
  for (int i = 0; i < k; ++i) {
    Matrix b(rows, cols);
    for (Index e = 0; e < b.size(); ++e) b.data()[e] = static_cast<float>(rng.normal(0.1, 1.0));
    blocks.push_back(std::move(b));
  }
  return blocks;
}

/// What each shard computes: Z_j = Σ_i G[j,i]·Y_i, rounded to float.
inline std::vector<Matrix> shard_results(const Code& code, const std::vector<Matrix>& blocks) {
  std::vector<Matrix> z;
  for (int j = 0; j < code.n(); ++j) {
    Eigen::MatrixXd acc = Eigen::MatrixXd::Zero(blocks[0].rows(), blocks[0].cols());
    for (int i = 0; i < code.k(); ++i)
      if (code.generator()(j, i) != 0.0) acc += code.generator()(j, i) * blocks[static_cast<std::size_t>(i)].cast<double>();
    z.push_back(acc.cast<float>());
  }
  return z;
}

inline double max_rel_error(const std::vector<Matrix>& got, const std::vector<Matrix>& want) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    num = std::max(num, static_cast<double>((got[i] - want[i]).cwiseAbs().maxCoeff()));
    den = std::max(den, static_cast<double>(want[i].cwiseAbs().maxCoeff()));
  }
  return den > 0 ? num / den : num;
}

inline std::vector<std::optional<Matrix>> arrived_only(const std::vector<Matrix>& z, const ShardMask& arrived) {
  std::vector<std::optional<Matrix>> out(z.size());
  for (std::size_t j = 0; j < z.size(); ++j)
    if (arrived[j]) out[j] = z[j];
  return out;
}

inline ShardMask mask_of(std::uint64_t bits, int n) {
  ShardMask m(static_cast<std::size_t>(n));
  for (int j = 0; j < n; ++j) m[static_cast<std::size_t>(j)] = (bits >> j) & 1U;
  return m;
}

/// Every loss pattern (all 2^n while n <= 16, else 3000 seeded samples):
/// decodable() agrees with the rank test; decodable sets decode to the true
/// blocks (small blocks), also from minimum_to_decode's shards alone;
/// undecodable sets are refused with Error. Also checks tolerance().
inline void check_every_loss_pattern(const Code& code, Index rows = 3, Index cols = 4) {
  SCOPED_TRACE(code.spec() + " k=" + std::to_string(code.k()));
  const int n = code.n(), k = code.k();
  const auto blocks = random_blocks(k, rows, cols, 7 + static_cast<std::uint64_t>(n));
  const auto z = shard_results(code, blocks);
  std::vector<std::uint64_t> patterns;
  if (n <= 16) {
    for (std::uint64_t b = 0; b < (std::uint64_t{1} << n); ++b) patterns.push_back(b);
  } else {
    Rng rng(99);
    patterns.push_back((std::uint64_t{1} << n) - 1);
    for (int s = 0; s < 3000; ++s) {
      // Bias towards few losses, where the interesting boundary is.
      const int losses = static_cast<int>(rng.next() % static_cast<std::uint64_t>(std::min(n, code.tolerance() + 3) + 1));
      std::uint64_t b = (std::uint64_t{1} << n) - 1;
      for (int l = 0; l < losses; ++l) b &= ~(std::uint64_t{1} << (rng.next() % static_cast<std::uint64_t>(n)));
      patterns.push_back(b);
    }
  }
  int worst_decodable_loss = n + 1;  // fewest losses among undecodable patterns
  for (std::uint64_t bits : patterns) {
    const ShardMask arrived = mask_of(bits, n);
    const bool expected = rank_decodable(code.generator(), arrived);
    ASSERT_EQ(code.decodable(arrived), expected) << "pattern " << format_mask(arrived);
    if (!expected) {
      worst_decodable_loss = std::min(worst_decodable_loss, n - static_cast<int>(std::count(arrived.begin(), arrived.end(), true)));
      EXPECT_THROW(code.decode(arrived_only(z, arrived)), Error) << format_mask(arrived);
      continue;
    }
    const auto got = code.decode(arrived_only(z, arrived));
    ASSERT_LT(max_rel_error(got, blocks), 1e-4) << "pattern " << format_mask(arrived);
    const auto recoverable = code.recoverable_blocks(arrived);
    EXPECT_TRUE(std::all_of(recoverable.begin(), recoverable.end(), [](bool b) { return b; }));
    const auto minimum = code.minimum_to_decode(ShardMask(static_cast<std::size_t>(k), true), arrived);
    ASSERT_TRUE(minimum.has_value());
    ShardMask used(static_cast<std::size_t>(n), false);
    for (int j : *minimum) used[static_cast<std::size_t>(j)] = true;
    ASSERT_TRUE(code.decodable(used)) << format_mask(arrived) << " -> " << format_mask(used);
    ASSERT_LT(max_rel_error(code.decode(arrived_only(z, used)), blocks), 1e-4);
  }
  if (n <= 16) {
    EXPECT_EQ(code.tolerance(), std::min(worst_decodable_loss - 1, n));
  }
}

/// Decodes layer-shaped blocks (4096×1 as fc6's output, 256×169 as a conv
/// layer's) for a few patterns: all arrived, each single loss of a data
/// block, and `tolerance()` losses of the first blocks.
inline void check_layer_shaped_blocks(const Code& code) {
  SCOPED_TRACE(code.spec() + " k=" + std::to_string(code.k()));
  for (auto [rows, cols] : {std::pair<Index, Index>{4096, 1}, {256, 169}}) {
    const auto blocks = random_blocks(code.k(), rows, cols, 11);
    const auto z = shard_results(code, blocks);
    std::vector<ShardMask> patterns{ShardMask(static_cast<std::size_t>(code.n()), true)};
    for (int i = 0; i < code.k() && code.tolerance() > 0; ++i) {
      patterns.push_back(ShardMask(static_cast<std::size_t>(code.n()), true));
      patterns.back()[static_cast<std::size_t>(i)] = false;
    }
    ShardMask many(static_cast<std::size_t>(code.n()), true);
    for (int i = 0; i < std::min(code.tolerance(), code.k()); ++i) many[static_cast<std::size_t>(i)] = false;
    patterns.push_back(many);
    for (const auto& arrived : patterns) {
      ASSERT_TRUE(code.decodable(arrived)) << format_mask(arrived);
      EXPECT_LT(max_rel_error(code.decode(arrived_only(z, arrived)), blocks), 1e-4)
          << rows << "x" << cols << " " << format_mask(arrived);
    }
  }
}

}  // namespace cdcnn::test
