#include "runtime/link_probe.hpp"

#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "core/error.hpp"
#include "runtime/mpi.hpp"

namespace cdcnn::runtime {
namespace {

TEST(LinkProbe, MeasuresEveryPairOnceOnRankZero) {
  int rank = 0, world = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  const auto links = measure_links({.repeats = 3, .large_bytes = 1 << 16});
  if (rank != 0) {
    EXPECT_TRUE(links.empty());
    return;
  }
  ASSERT_EQ(static_cast<int>(links.size()), world * (world - 1) / 2);
  std::set<std::pair<int, int>> pairs;
  for (const auto& l : links) {
    EXPECT_LT(l.from, l.to);
    EXPECT_GE(l.from, 0);
    EXPECT_LT(l.to, world);
    pairs.insert({l.from, l.to});
    EXPECT_EQ(l.from_host, mpi::Environment::host());  // one machine here
    EXPECT_GT(l.latency_ms, 0.0);
    EXPECT_LT(l.latency_ms, 1000.0);
    EXPECT_GT(l.bandwidth_MBps, 0.0);
  }
  EXPECT_EQ(static_cast<int>(pairs.size()), world * (world - 1) / 2);
}

TEST(LinkProbe, RefusesNonsenseOptionsOnEveryRank) {
  EXPECT_THROW(measure_links({.repeats = 0}), Error);
  EXPECT_THROW(measure_links({.repeats = 1, .large_bytes = 0}), Error);
}

}  // namespace
}  // namespace cdcnn::runtime
