#include "core/parallel.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/error.hpp"

namespace cdcnn {
namespace {

TEST(ComputeThreads, SetsAndRestoresTheCount) {
  ASSERT_EQ(compute_threads(), 1);
  {
    const ComputeThreads three(3);
    EXPECT_EQ(compute_threads(), 3);
    {
      const ComputeThreads two(2);
      EXPECT_EQ(compute_threads(), 2);
    }
    EXPECT_EQ(compute_threads(), 3);
  }
  EXPECT_EQ(compute_threads(), 1);
}

TEST(ComputeThreads, RefusesACountOutOfRange) {
  EXPECT_THROW(set_compute_threads(0), Error);
  EXPECT_THROW(set_compute_threads(kMaxComputeThreads + 1), Error);
  EXPECT_EQ(compute_threads(), 1);
}

TEST(ParallelFor, RunsEveryTaskOnce) {
  for (const int threads : {1, 2, 3, 5}) {
    const ComputeThreads compute(threads);
    for (const Index count : {0, 1, 2, 7, 1000}) {
      std::vector<std::atomic<int>> runs(static_cast<std::size_t>(count));
      parallel_for(count, [&](Index i) { runs[static_cast<std::size_t>(i)].fetch_add(1); });
      for (Index i = 0; i < count; ++i) EXPECT_EQ(runs[static_cast<std::size_t>(i)].load(), 1) << threads << " threads, task " << i;
    }
  }
}

// Two tasks that each wait for the other to have started can only both
// finish if two threads run them at once (a serial pool times out).
TEST(ParallelFor, RunsTasksAtTheSameTime) {
  const ComputeThreads compute(2);
  std::atomic<int> started{0};
  std::atomic<bool> met{true};
  parallel_for(2, [&](Index) {
    started.fetch_add(1);
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (started.load() < 2)
      if (std::chrono::steady_clock::now() > give_up) {
        met = false;
        return;
      }
  });
  EXPECT_TRUE(met.load());
}

TEST(ParallelFor, RethrowsTheFirstErrorAndStaysUsable) {
  const ComputeThreads compute(3);
  EXPECT_THROW(parallel_for(100, [](Index i) {
                 if (i == 42) throw Error("task 42");
               }),
               Error);
  std::atomic<Index> sum{0};
  parallel_for(100, [&](Index i) { sum.fetch_add(i); });
  EXPECT_EQ(sum.load(), 4950);
}

TEST(ParallelFor, NestedCallsRunSerially) {
  const ComputeThreads compute(2);
  std::atomic<int> inner{0};
  parallel_for(4, [&](Index) { parallel_for(5, [&](Index) { inner.fetch_add(1); }); });
  EXPECT_EQ(inner.load(), 20);
}

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Idle ranks must not spin: between jobs the pool's threads sleep. Over half
// a second with 4 idle pool threads a spinning pool burns seconds of CPU;
// a sleeping one, none (the bound leaves room for a loaded machine).
TEST(ParallelFor, IdleThreadsUseNoCpu) {
  const ComputeThreads compute(5);
  std::atomic<Index> sum{0};
  parallel_for(1000, [&](Index i) { sum.fetch_add(i); });
  const double before = cpu_seconds();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_LT(cpu_seconds() - before, 0.1);
}

TEST(EvenSplit, CoversTheRangeInNearlyEqualParts) {
  for (const Index n : {0, 1, 5, 64, 100, 1001})
    for (const Index max_parts : {1, 3, 8})
      for (const Index min_size : {1, 4, 50}) {
        const EvenSplit split(n, max_parts, min_size);
        ASSERT_GE(split.parts(), 1);
        EXPECT_LE(split.parts(), max_parts);
        EXPECT_EQ(split.begin(0), 0);
        EXPECT_EQ(split.end(split.parts() - 1), n);
        for (Index p = 0; p < split.parts(); ++p) {
          const Index size = split.end(p) - split.begin(p);
          EXPECT_GE(size, std::min(n, min_size)) << n << " " << max_parts << " " << min_size;
          EXPECT_LE(size, n / split.parts() + 1);
        }
      }
  EXPECT_EQ(EvenSplit(100, 8, 1).parts(), 8);
  EXPECT_EQ(EvenSplit(100, 8, 30).parts(), 3);
}

}  // namespace
}  // namespace cdcnn
