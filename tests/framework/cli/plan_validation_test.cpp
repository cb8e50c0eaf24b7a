// cdcnn plan --validate's pieces that need no mpirun: the plan file names,
// the suite it sweeps (read back by the sweep's own parser) and the table.
#include "cli/plan_validation.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sweep/suite.hpp"

namespace cdcnn::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(CandidateFileName, IsTheLabelAsAFileName) {
  EXPECT_EQ(candidate_file_name("planner"), "planner");
  EXPECT_EQ(candidate_file_name("all uncoded"), "all-uncoded");
  EXPECT_EQ(candidate_file_name("best single code: mds:r=2"), "best-single-code-mds-r-2");
  EXPECT_EQ(candidate_file_name("2MR"), "2mr");
  EXPECT_EQ(candidate_file_name("../x"), "x");
  EXPECT_EQ(candidate_file_name(" :: "), "plan");
}

TEST(ValidationSuite, RunsEveryPlanOnceUnderThePlannedConditions) {
  const ValidationSetup setup{.model = "/models/a b.h5", .devices = 5,
                              .straggler = "pareto:scale=10,shape=1.5", .fail_prob = 0.05, .deadline_ms = 250,
                              .inferences = 40, .seed = 7};
  const sweep::Suite suite = sweep::parse_suite(validation_suite(setup, {"plans/planner.plan", "plans/2mr.plan"}));
  auto values = [&](const std::string& key) {
    const sweep::SuiteKey* k = suite.find(key);
    return k ? k->values : std::vector<std::string>{"(absent)"};
  };
  EXPECT_THAT(values("model"), ElementsAre("/models/a b.h5"));
  EXPECT_THAT(values("ranks"), ElementsAre("5"));
  EXPECT_THAT(values("plan"), ElementsAre("plans/planner.plan", "plans/2mr.plan"));
  EXPECT_THAT(values("straggler"), ElementsAre("pareto:scale=10,shape=1.5"));  // one value, commas kept
  EXPECT_THAT(values("fail"), ElementsAre("drop:p=0.05"));
  EXPECT_THAT(values("deadline_ms"), ElementsAre("250"));
  EXPECT_THAT(values("inferences"), ElementsAre("41"));  // and one of warm-up
  EXPECT_THAT(values("seed"), ElementsAre("7"));
  EXPECT_EQ(suite.repetitions, 1);
}

TEST(ValidationSuite, NoFailureKeyWithoutAFailureProbability) {
  const ValidationSetup setup{.model = "mlp", .devices = 3, .straggler = "none", .fail_prob = 0,
                              .deadline_ms = 1000, .inferences = 5, .seed = 0};
  EXPECT_EQ(sweep::parse_suite(validation_suite(setup, {"plans/p.plan"})).find("fail"), nullptr);
}

TEST(SummarizeAfterWarmup, LeavesTheFirstInferencesOut) {
  Trace trace;
  for (std::int64_t i = 0; i < 4; ++i) {
    InferenceRecord r{};
    r.inference = i;
    r.latency_ms = i == 0 ? 90.0 : 10.0 * static_cast<double>(i);  // the first pays for first touches
    trace.inferences.push_back(r);
  }
  const TraceSummary all = summarize_after_warmup(trace, "run", 0), after = summarize_after_warmup(trace, "run", 1);
  EXPECT_EQ(all.inferences, 4);
  EXPECT_DOUBLE_EQ(all.p99_ms, 90.0);
  EXPECT_EQ(after.inferences, 3);
  EXPECT_DOUBLE_EQ(after.p99_ms, 30.0);
  EXPECT_DOUBLE_EQ(after.p50_ms, 20.0);
}

TEST(FormatValidation, SetsMeasuredBesidePredicted) {
  ValidationRow measured{.label = "planner", .predicted = {.mean_ms = 9, .p50_ms = 8, .p99_ms = 12}};
  measured.measured = TraceSummary{};
  measured.measured->p50_ms = 7.5;
  measured.measured->p99_ms = 10;
  measured.measured->inferences = 4;
  measured.measured->outcomes[2] = 1;  // one degraded inference of four
  const ValidationRow missing{.label = "2MR", .predicted = {.p50_ms = 5, .p99_ms = 6}, .error = "no trace written"};
  const std::string table = format_validation({measured, missing});
  EXPECT_THAT(table, HasSubstr("+20.0"));   // (12 - 10) / 10
  EXPECT_THAT(table, HasSubstr("25.00"));   // degraded, measured
  EXPECT_THAT(table, HasSubstr("7.50"));
  EXPECT_THAT(table, HasSubstr("no trace written"));
  const std::string csv = validation_csv({measured, missing});
  EXPECT_THAT(csv, HasSubstr("planner,8,7.5,12,10,9,"));
  EXPECT_THAT(csv, HasSubstr("2MR,5,,6,,"));
}

}  // namespace
}  // namespace cdcnn::cli
