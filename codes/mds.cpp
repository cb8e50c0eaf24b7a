#include "codes/mds.hpp"

#include <array>
#include <cmath>
#include <map>
#include <mutex>

#include "codes/conditioning.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"

namespace cdcnn {

namespace {

struct StoredParity {
  int k;
  int r;
  double worst_condition;
  std::array<double, 48> values;  ///< r×k row-major (rest zero)
};

constexpr StoredParity kTable[] = {
#include "codes/mds_parity_table.inc"
};

constexpr std::int64_t kMaxCertifiedSystems = 20000;
// Certifying costs 8 draws x systems x one k-by-k SVD (~k^3): at most this
// many systems x k^3, about 1 s on one core (k=16 with r=3 fits, k=12 with
// r=5 does not). Without it k=12, r=5 took 1.8 s, k=40, r=2 6 s and k=22,
// r=4 23 s before a run could start (found by fuzz_spec).
constexpr long double kMaxCertifiedWork = 1e7;

bool count_decodable(const ShardMask& m, int k) {
  int arrived = 0;
  for (bool a : m) arrived += a ? 1 : 0;
  return arrived >= k;
}

Eigen::MatrixXd stack_identity(const Eigen::MatrixXd& parity) {
  const auto k = parity.cols(), r = parity.rows();
  Eigen::MatrixXd g(k + r, k);
  g.topRows(k).setIdentity();
  g.bottomRows(r) = parity;
  return g;
}

/// The parity block and its worst condition number; Error if not acceptable.
std::pair<Eigen::MatrixXd, double> construct(int k, int r) {
  require(k >= 1, "mds: k must be at least 1, got ", k);
  require(r >= 1, "mds: r must be at least 1, got ", r);
  require(k + r <= Code::kMaxShards, "mds: k+r=", k + r, " shards, more than ", Code::kMaxShards);
  static std::mutex mutex;
  static std::map<std::pair<int, int>, std::pair<Eigen::MatrixXd, double>> cache;
  std::lock_guard lock(mutex);
  auto it = cache.find({k, r});
  if (it == cache.end()) {
    std::pair<Eigen::MatrixXd, double> made;
    if (auto stored = mds_table_parity(k, r)) {
      made = *stored;
    } else {
      // Every k-subset of the n distinct rows is a decoding system: C(k+r, r).
      long double systems = 1;
      for (int i = 1; i <= r; ++i) systems = systems * (k + i) / i;
      require(systems <= kMaxCertifiedSystems && systems * k * k * k <= kMaxCertifiedWork, "mds: r=", r,
              " is too large for a well-conditioned real code with k=", k, " (", static_cast<double>(systems),
              " decoding systems of ", k, "x", k, ", too many to certify; use r <= 4 for k <= 12)");
      Rng rng(static_cast<std::uint64_t>(k) * 1000 + static_cast<std::uint64_t>(r));
      made.second = INFINITY;
      for (int attempt = 0; attempt < 8; ++attempt) {
        Eigen::MatrixXd p(r, k);
        for (Eigen::Index a = 0; a < p.size(); ++a) p(a) = rng.normal();
        const double worst = worst_condition_number(
            stack_identity(p), [k](const ShardMask& m) { return count_decodable(m, k); }, kMaxCertifiedSystems);
        if (worst < made.second) made = {p, worst};
      }
    }
    it = cache.emplace(std::pair{k, r}, made).first;
  }
  require(it->second.second <= MdsCode::kMaxWorstCondition, "mds: r=", r,
          " is too large for a well-conditioned real code with k=", k, " (worst condition number ",
          it->second.second, " > ", MdsCode::kMaxWorstCondition, ")");
  return it->second;
}

}  // namespace

std::optional<std::pair<Eigen::MatrixXd, double>> mds_table_parity(int k, int r) {
  for (const auto& e : kTable)
    if (e.k == k && e.r == r) {
      Eigen::MatrixXd p(r, k);
      for (int j = 0; j < r; ++j)
        for (int i = 0; i < k; ++i) p(j, i) = e.values[static_cast<std::size_t>(j * k + i)];
      return std::pair{p, e.worst_condition};
    }
  return std::nullopt;
}

MdsCode::MdsCode(int k, int r) : MdsCode(k, r, construct(k, r)) {}

MdsCode::MdsCode(int k, int r, std::pair<Eigen::MatrixXd, double> construction)
    : Code(stack_identity(construction.first)), worst_condition_(construction.second) {}

std::unique_ptr<Code> MdsCode::create(int k, const SpecString& spec) {
  spec.allow_only("r");
  const long long r = spec.integer("r", 2);
  require(r >= 1 && r <= Code::kMaxShards, "mds: r must be in 1..", Code::kMaxShards, ", got ", r);
  return std::make_unique<MdsCode>(k, static_cast<int>(r));
}

std::string MdsCode::spec() const { return cat("mds:r=", r()); }

bool MdsCode::decodable(const ShardMask& arrived) const {
  check_mask(arrived, "arrived");
  return count_decodable(arrived, k());
}

}  // namespace cdcnn
