#include "runtime/health.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace cdcnn::runtime {
namespace {

constexpr HealthOptions kOptions{.silence_ms = 100.0, .suspect_after = 2, .probe_every = 5};

std::vector<HealthEvent> kinds(WorkerHealth& h) {
  std::vector<HealthEvent> out;
  for (const auto& e : h.take_events()) out.push_back(e.what);
  return out;
}

TEST(WorkerHealth, ASilentWorkerIsSuspectedAfterTwoMissesAndThenSkipped) {
  WorkerHealth h(3, kOptions);
  h.dispatched(1, 0, 0.0);
  h.tick(99.0);
  EXPECT_FALSE(h.suspected(1));
  h.tick(101.0);  // first miss
  EXPECT_FALSE(h.suspected(1));
  h.dispatched(1, 1, 102.0);
  h.tick(150.0);
  EXPECT_FALSE(h.suspected(1));
  h.tick(203.0);  // second miss
  EXPECT_TRUE(h.suspected(1));
  EXPECT_FALSE(h.suspected(2));
  EXPECT_EQ(h.suspects(), std::vector<int>{1});
  EXPECT_EQ(kinds(h), std::vector<HealthEvent>{HealthEvent::suspected});
  EXPECT_FALSE(h.should_dispatch(1, 2));
  EXPECT_TRUE(h.should_dispatch(2, 2));
}

TEST(WorkerHealth, AWorkerWithNoWorkOutstandingNeverMisses) {
  WorkerHealth h(2, kOptions);
  h.tick(1e6);
  h.dispatched(1, 0, 1e6);
  h.heard(1, 0, 1e6 + 500.0);  // slow, but it answered before anyone judged
  h.tick(1e7);
  EXPECT_FALSE(h.suspected(1));
}

TEST(WorkerHealth, TheSlowestWorkerThatKeepsAnsweringIsNotSuspected) {
  // Its work is superseded every layer, yet it answers the newest work
  // within the silence: no miss.
  WorkerHealth h(2, kOptions);
  for (int i = 0; i < 50; ++i) {
    h.dispatched(1, i, 10.0 * i);
    if (i % 3 == 2) h.heard(1, i, 10.0 * i + 5.0);
    h.tick(10.0 * i + 9.0);
  }
  EXPECT_FALSE(h.suspected(1));
  EXPECT_TRUE(h.take_events().empty());
}

TEST(WorkerHealth, AnyMessageResetsTheMissCount) {
  WorkerHealth h(2, kOptions);
  h.dispatched(1, 0, 0.0);
  h.tick(101.0);  // miss 1
  h.dispatched(1, 1, 102.0);
  h.heard(1, 0, 150.0);  // a late answer to old work: alive
  h.tick(260.0);          // miss, but the count was reset: 1
  EXPECT_FALSE(h.suspected(1));
}

TEST(WorkerHealth, ASuspectIsProbedEveryFewInferencesAndReadmittedWhenItAnswersInTime) {
  WorkerHealth h(2, kOptions);
  h.dispatched(1, 3, 0.0);
  h.tick(101.0);
  h.dispatched(1, 3, 101.0);
  h.tick(202.0);
  ASSERT_TRUE(h.suspected(1));
  h.take_events();
  for (std::int64_t i = 4; i < 8; ++i) EXPECT_FALSE(h.should_dispatch(1, i)) << i;
  EXPECT_TRUE(h.should_dispatch(1, 8));
  h.dispatched(1, 8, 300.0);
  EXPECT_TRUE(h.should_dispatch(1, 8));  // every layer of the probing inference
  EXPECT_FALSE(h.should_dispatch(1, 9));
  h.heard(1, 8, 450.0);  // alive, but 150 ms > silence: stays suspected
  EXPECT_TRUE(h.suspected(1));
  EXPECT_TRUE(h.should_dispatch(1, 13));
  h.dispatched(1, 13, 600.0);
  h.heard(1, 13, 640.0);
  EXPECT_FALSE(h.suspected(1));
  EXPECT_EQ(kinds(h), (std::vector<HealthEvent>{HealthEvent::probed, HealthEvent::probed, HealthEvent::readmitted}));
}

TEST(WorkerHealth, ADeadSuspectStaysSuspectedThroughItsProbes) {
  WorkerHealth h(2, kOptions);
  double t = 0.0;
  for (std::int64_t i = 0; i < 100; ++i, t += 30.0) {
    if (h.should_dispatch(1, i)) h.dispatched(1, i, t);
    h.tick(t + 29.0);
  }
  EXPECT_TRUE(h.suspected(1));
  int probes = 0;
  for (const auto& e : h.take_events()) probes += e.what == HealthEvent::probed;
  EXPECT_GE(probes, 15);
  EXPECT_LE(probes, 20);
}

TEST(WorkerHealth, RefusesNonsenseOptions) {
  EXPECT_THROW(WorkerHealth(3, HealthOptions{.silence_ms = 0.0}), Error);
  EXPECT_THROW(WorkerHealth(3, HealthOptions{.suspect_after = 0}), Error);
}

}  // namespace
}  // namespace cdcnn::runtime
