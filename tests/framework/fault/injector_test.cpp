#include "fault/injector.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace cdcnn {
namespace {

TEST(FaultInjector, SameSeedGivesSameFaultsWhateverElseIsConfigured) {
  FaultInjector a(5, {"exp:mean=10"}, {}, 6);
  FaultInjector b(5, {"exp:mean=10"}, {"drop:p=0.5", "stop:rank=4,inference=3"}, 6);
  FaultInjector c(6, {"exp:mean=10"}, {}, 6);
  for (int rank = 1; rank < 6; ++rank)
    for (int inference = 0; inference < 5; ++inference) {
      EXPECT_EQ(a.at(rank, inference, 2).delay_ms, b.at(rank, inference, 2).delay_ms);
      EXPECT_NE(a.at(rank, inference, 2).delay_ms, c.at(rank, inference, 2).delay_ms);
    }
  // A larger world (a code with more shards) leaves the shared ranks' faults alone.
  FaultInjector wider(5, {"exp:mean=10"}, {}, 9);
  EXPECT_EQ(a.at(3, 7, 1).delay_ms, wider.at(3, 7, 1).delay_ms);
  EXPECT_NE(a.at(3, 7, 1).delay_ms, a.at(3, 7, 2).delay_ms);
}

TEST(FaultInjector, TheMasterIsNeverFaulted) {
  FaultInjector f(1, {"exp:mean=10"}, {"drop:p=1"}, 4);
  EXPECT_TRUE(f.at(0, 0, 0).arrives());
  EXPECT_EQ(f.at(0, 0, 0).delay_ms, 0.0);
}

TEST(FaultInjector, PerRankStragglersOverrideTheDefault) {
  FaultInjector f(1, {"shifted-exp:shift=100,mean=1", "2,4@none"}, {}, 5);
  EXPECT_GE(f.at(1, 0, 0).delay_ms, 100.0);
  EXPECT_EQ(f.at(2, 0, 0).delay_ms, 0.0);
  EXPECT_GE(f.at(3, 0, 0).delay_ms, 100.0);
  EXPECT_EQ(f.at(4, 0, 0).delay_ms, 0.0);
  EXPECT_EQ(f.delay_model(2).spec(), "none");
}

TEST(FaultInjector, FailStopIntermittentAndDropBehaveAsSpecified) {
  FaultInjector f(1, {}, {"stop:rank=2,inference=3", "stop:rank=3,at_ms=500", "intermittent:rank=4,from=2,to=4"}, 5);
  EXPECT_FALSE(f.at(2, 2, 0).silent);
  EXPECT_TRUE(f.at(2, 3, 0).silent);
  EXPECT_TRUE(f.at(2, 100, 0).silent);
  EXPECT_FALSE(f.at(3, 99, 0, 499.0).silent);
  EXPECT_TRUE(f.at(3, 0, 0, 500.0).silent);
  EXPECT_FALSE(f.at(4, 1, 0).silent);
  EXPECT_TRUE(f.at(4, 2, 0).silent);
  EXPECT_TRUE(f.at(4, 3, 0).silent);
  EXPECT_FALSE(f.at(4, 4, 0).silent);
  EXPECT_TRUE(f.at(1, 50, 0).arrives());

  FaultInjector drops(9, {}, {"drop:p=0.25"}, 3);
  int dropped = 0;
  for (int i = 0; i < 4000; ++i) dropped += drops.at(1 + i % 2, i, 0).dropped;
  EXPECT_NEAR(dropped / 4000.0, 0.25, 0.03);
}

std::string error_of(const std::vector<std::string>& stragglers, const std::vector<std::string>& fails) {
  try {
    FaultInjector(1, stragglers, fails, 4);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(FaultInjector, BadSpecsNameTheFlagAndTheProblem) {
  EXPECT_NE(error_of({"9@exp:mean=1"}, {}).find("--straggler: rank 9 in '9' is not a worker (workers are 1..3)"),
            std::string::npos);
  EXPECT_NE(error_of({"x@exp:mean=1"}, {}).find("'x' in rank set 'x' is not a rank"), std::string::npos);
  EXPECT_NE(error_of({}, {"explode:rank=1"}).find("--fail: unknown failure 'explode'"), std::string::npos);
  EXPECT_NE(error_of({}, {"stop:rank=1"}).find("exactly one of inference=I or at_ms=T"), std::string::npos);
  EXPECT_NE(error_of({}, {"stop:rank=0,inference=1"}).find("rank 0"), std::string::npos);
  EXPECT_NE(error_of({}, {"intermittent:rank=1,from=5,to=5"}).find("0 <= from < to"), std::string::npos);
  EXPECT_NE(error_of({}, {"drop:p=1.5"}).find("must be within [0, 1]"), std::string::npos);
  EXPECT_NE(error_of({}, {"stop:rank=1,inference=2,inference=3"}).find("given twice"), std::string::npos);
  EXPECT_NE(error_of({}, {"corrupt:rank=1,kind=gamma"}).find("must be bitflip, scale or nan"), std::string::npos);
}

TEST(FaultInjector, CorruptionHitsOnlyItsRankWithItsProbabilityAndLeavesDelaysAlone) {
  const FaultInjector plain(5, {"exp:mean=10"}, {}, 4);
  const FaultInjector corrupt(5, {"exp:mean=10"}, {"corrupt:rank=2,kind=scale,p=0.3"}, 4);
  const FaultInjector always(5, {}, {"corrupt:rank=1,kind=nan"}, 4);
  int hits = 0;
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(plain.at(2, i, 0).delay_ms, corrupt.at(2, i, 0).delay_ms);
    EXPECT_EQ(corrupt.at(1, i, 0).corruption, ShardFault::Corruption::none);
    hits += corrupt.at(2, i, 0).corruption == ShardFault::Corruption::scale;
    EXPECT_EQ(always.at(1, i, 3).corruption, ShardFault::Corruption::nan);
    EXPECT_TRUE(always.at(1, i, 3).arrives());  // wrong numbers still arrive
  }
  EXPECT_GT(hits, 240);
  EXPECT_LT(hits, 360);
}

TEST(FaultInjector, DescribesEverythingItUses) {
  FaultInjector f(7, {"exp:mean=5", "3@none"}, {"drop:p=0.1"}, 4);
  EXPECT_EQ(f.describe(), "seed=7; stragglers=1:exp:mean=5 2:exp:mean=5 3:none; failures=drop:p=0.1");
}

}  // namespace
}  // namespace cdcnn
