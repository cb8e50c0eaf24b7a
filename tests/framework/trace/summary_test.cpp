#include "trace/summary.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace cdcnn {
namespace {

TEST(Percentile, IsTheNearestRank) {
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);
  EXPECT_EQ(percentile(v, 50), 50);
  EXPECT_EQ(percentile(v, 99), 99);
  EXPECT_EQ(percentile(v, 100), 100);
  EXPECT_EQ(percentile(v, 0), 1);
  EXPECT_EQ(percentile({7.0}, 99), 7.0);
  EXPECT_TRUE(std::isnan(percentile({}, 50)));
}

Trace two_inferences() {
  Trace t;
  t.attributes = {{"codes", "fc1=sum fc2=mds:r=2"}, {"ranks", "5"}};
  t.inferences = {{0, 0.0, 10.0, 0, 0, 1e-7}, {1, 10.0, 30.0, 1, 2, 3e-6}, {2, 40.0, 50.0, 2, 0, 0.5}};
  // One layer of inference 0: dispatched at 0, complete at 10, decode 1 ms;
  // the slowest used shard computed 2 ms and was delayed 5 ms: overhead 2 ms.
  t.layers = {{0, 3, 0.0, 10.0, 1.0, 4, 3, 1, 1}};
  t.shards = {{0, 3, 0, 1, 0.0, 6.0, 1.0, 3.0, 0},
              {0, 3, 1, 2, 0.0, 8.0, 2.0, 5.0, 0},
              {0, 3, 2, 3, 0.0, NAN, NAN, NAN, 2},
              {0, 3, 3, 4, 0.0, 7.0, 9.0, 9.0, 1}};  // unneeded: not counted
  t.late = {{0, 3, 2, 3, 20.0}};
  t.health = {{15.0, 3, 0, 0}, {16.0, 3, 0, 1}};
  return t;
}

TEST(TraceSummary, CountsOutcomesPercentilesAndOverhead) {
  const TraceSummary s = summarize(two_inferences(), "run-a");
  EXPECT_EQ(s.name, "run-a");
  EXPECT_EQ(s.ranks, 5);
  EXPECT_EQ(s.inferences, 3);
  EXPECT_EQ(s.p50_ms, 30.0);
  EXPECT_EQ(s.max_ms, 50.0);
  EXPECT_DOUBLE_EQ(s.mean_ms, 30.0);
  EXPECT_EQ(s.outcomes[0], 1);
  EXPECT_EQ(s.outcomes[1], 1);
  EXPECT_EQ(s.outcomes[2], 1);
  EXPECT_EQ(s.late, 1);
  EXPECT_EQ(s.suspicions, 1);
  EXPECT_DOUBLE_EQ(s.max_relative_error, 3e-6);  // the degraded inference's error is not an exact answer's
  EXPECT_DOUBLE_EQ(s.overhead_ms_per_layer, 2.0);
}

TEST(TraceSummary, TableShowsDistinctCodesAndCsvQuotes) {
  const std::vector<TraceSummary> rows = {summarize(two_inferences(), "a")};
  const std::string table = format_table(rows);
  EXPECT_NE(table.find("sum+mds:r=2"), std::string::npos) << table;
  const std::string csv = format_csv(rows);
  // RFC 4180 (core/csv.hpp): spaces are plain text, a comma or a quote is quoted.
  EXPECT_NE(csv.find("\na,fc1=sum fc2=mds:r=2,"), std::string::npos) << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 2);
  const std::string odd = format_csv({summarize(two_inferences(), "b, \"c\"")});
  EXPECT_NE(odd.find("\n\"b, \"\"c\"\"\",fc1=sum fc2=mds:r=2,"), std::string::npos) << odd;
}

TEST(TraceSummary, UnverifiedRunsHaveNoError) {
  Trace t = two_inferences();
  for (auto& r : t.inferences) r.max_relative_error = NAN;
  EXPECT_TRUE(std::isnan(summarize(t, "x").max_relative_error));
}

}  // namespace
}  // namespace cdcnn
