#include "codes/grouped_sum.hpp"

#include "core/error.hpp"

namespace cdcnn {

namespace {

std::vector<std::vector<int>> checked_groups(int k, int g) {
  require(k >= 1, "grouped-sum: k must be at least 1, got ", k);
  require(g >= 1 && g <= k && k % g == 0, "grouped-sum: g=", g, " must divide k=", k, " (1 <= g <= k)");
  std::vector<std::vector<int>> groups(static_cast<std::size_t>(g));
  for (int i = 0; i < k; ++i) groups[static_cast<std::size_t>(i / (k / g))].push_back(i);
  return groups;
}

}  // namespace

GroupedSumCode::GroupedSumCode(int k, int g) : ParityGroupCode(k, checked_groups(k, g)) {}

std::unique_ptr<Code> GroupedSumCode::create(int k, const SpecString& spec) {
  spec.allow_only("g");
  const long long g = spec.integer("g", 2);
  require(g >= 1 && g <= Code::kMaxShards, "grouped-sum: g=", g, " must divide k=", k, " (1 <= g <= k)");
  return std::make_unique<GroupedSumCode>(k, static_cast<int>(g));
}

std::string GroupedSumCode::spec() const { return cat("grouped-sum:g=", group_count()); }

}  // namespace cdcnn
