#include "codes/conditioning.hpp"

#include <Eigen/SVD>
#include <cmath>
#include <limits>
#include <vector>

#include "codes/combinations.hpp"

namespace cdcnn {

namespace {

/// The first shard of each distinct row of G.
std::vector<int> distinct_rows(const Eigen::MatrixXd& generator) {
  std::vector<int> rows;
  for (int j = 0; j < generator.rows(); ++j) {
    bool seen = false;
    for (int r : rows) seen = seen || generator.row(r) == generator.row(j);
    if (!seen) rows.push_back(j);
  }
  return rows;
}

std::int64_t binomial(std::int64_t n, std::int64_t k) {
  if (k < 0 || k > n) return 0;
  k = std::min(k, n - k);
  long double c = 1;
  for (std::int64_t i = 1; i <= k; ++i) c = c * static_cast<long double>(n - k + i) / static_cast<long double>(i);
  if (c > static_cast<long double>(std::numeric_limits<std::int64_t>::max() / 2))
    return std::numeric_limits<std::int64_t>::max();
  return static_cast<std::int64_t>(std::llround(c));
}

}  // namespace

std::int64_t condition_systems(const Eigen::MatrixXd& generator) {
  return binomial(static_cast<std::int64_t>(distinct_rows(generator).size()), generator.cols());
}

double worst_condition_number(const Eigen::MatrixXd& generator,
                              const std::function<bool(const ShardMask&)>& decodable, std::int64_t max_systems) {
  const std::vector<int> rows = distinct_rows(generator);
  const int k = static_cast<int>(generator.cols()), d = static_cast<int>(rows.size());
  if (binomial(d, k) > max_systems) return std::numeric_limits<double>::quiet_NaN();
  Eigen::MatrixXd scaled = generator;
  for (Eigen::Index j = 0; j < scaled.rows(); ++j) scaled.row(j) /= scaled.row(j).norm();
  double worst = 1.0;
  Eigen::MatrixXd system(k, k);
  for_each_combination(d, k, [&](std::span<const int> pick) {
    ShardMask mask(static_cast<std::size_t>(generator.rows()), false);
    for (int i = 0; i < k; ++i) {
      const int shard = rows[static_cast<std::size_t>(pick[static_cast<std::size_t>(i)])];
      mask[static_cast<std::size_t>(shard)] = true;
      system.row(i) = scaled.row(shard);
    }
    if (decodable(mask)) {
      Eigen::JacobiSVD<Eigen::MatrixXd> svd(system);
      const auto& s = svd.singularValues();
      const double cond = s(k - 1) > 0 ? s(0) / s(k - 1) : std::numeric_limits<double>::infinity();
      worst = std::max(worst, cond);
    }
  });
  return worst;
}

double worst_condition_number(const Code& code, std::int64_t max_systems) {
  return worst_condition_number(
      code.generator(), [&code](const ShardMask& m) { return code.decodable(m); }, max_systems);
}

}  // namespace cdcnn
