#include "plan/plan.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "layers/dense.hpp"

namespace cdcnn {
namespace {

std::string error_of(const std::string& text) {
  try {
    parse_plan(text, "p.plan");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Plan, ParsesLayersCodesAndRanksIgnoringComments) {
  const Plan p = parse_plan("# header\n\nfc1 4 mds:r=2 1 2 3 4 5 6  # trailing\nfc2 2 sum\n", "p.plan");
  ASSERT_EQ(p.splits.size(), 2u);
  EXPECT_EQ(p.splits[0].layer, "fc1");
  EXPECT_EQ(p.splits[0].k, 4);
  EXPECT_EQ(p.splits[0].code, "mds:r=2");
  EXPECT_EQ(p.splits[0].ranks, (std::vector<int>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(p.splits[0].line, 3);
  EXPECT_TRUE(p.splits[1].ranks.empty());
  EXPECT_EQ(p.find("fc2")->k, 2);
  EXPECT_EQ(p.find("fc3"), nullptr);
}

TEST(Plan, FormatsBackToTheSamePlan) {
  const Plan p = parse_plan("fc1 4 mds:r=2 1 2 3 4 5 6\nfc2 2 sum\n");
  const Plan q = parse_plan(format_plan(p));
  ASSERT_EQ(q.splits.size(), 2u);
  EXPECT_EQ(q.splits[0].ranks, p.splits[0].ranks);
  EXPECT_EQ(q.splits[1].code, "sum");
}

TEST(Plan, NamesTheLineOfEachMistake) {
  EXPECT_NE(error_of("fc1 4\n").find("p.plan:1: expected 'LAYER K CODE"), std::string::npos);
  EXPECT_NE(error_of("\nfc1 four sum\n").find("p.plan:2: k must be an integer, got 'four'"), std::string::npos);
  EXPECT_NE(error_of("fc1 0 sum\n").find("k must be at least 1"), std::string::npos);
  EXPECT_NE(error_of("fc1 2 sum 1 x\n").find("a rank must be an integer"), std::string::npos);
  EXPECT_NE(error_of("fc1 2 sum 1 -2\n").find("ranks must be non-negative"), std::string::npos);
  EXPECT_NE(error_of("fc1 2 sum\nfc1 3 sum\n").find("p.plan:2: layer 'fc1' is split twice"), std::string::npos);
}

TEST(Plan, PlacesTheInput) {
  const Plan p = parse_plan("fc1 2 sum 2 3 4\ninput 1 5  # two cameras\n", "p.plan");
  EXPECT_EQ(p.input.ranks, (std::vector<int>{1, 5}));
  EXPECT_EQ(p.input.line, 2);
  ASSERT_EQ(p.splits.size(), 1u);  // not a layer
  EXPECT_EQ(p.find("input"), nullptr);
  EXPECT_TRUE(parse_plan("fc1 2 sum\n").input.ranks.empty());  // no line: on the master
  const Plan q = parse_plan(format_plan(p));
  EXPECT_EQ(q.input.ranks, p.input.ranks);
  EXPECT_EQ(q.splits[0].ranks, p.splits[0].ranks);

  EXPECT_NE(error_of("input\n").find("p.plan:1: expected 'input RANK [RANK...]'"), std::string::npos);
  EXPECT_NE(error_of("input 1\ninput 2\n").find("p.plan:2: the input is placed twice (first at line 1)"),
            std::string::npos);
  EXPECT_NE(error_of("input 1 1\n").find("p.plan:1: the input lists rank 1 twice"), std::string::npos);
  EXPECT_NE(error_of("input 2 sum 1 2 3\n").find("p.plan:1: an input rank must be an integer, got 'sum'"),
            std::string::npos);
  EXPECT_NE(error_of("input -1\n").find("ranks must be non-negative"), std::string::npos);
}

TEST(Plan, PlacesStagesOfLayers) {
  const Plan p = parse_plan("stage 0..6 2 7  # B and its copy\nstage 10 5\n7 2 sum 3 4 8\n", "p.plan");
  ASSERT_EQ(p.stages.size(), 2u);
  EXPECT_EQ(p.stages[0].first, "0");
  EXPECT_EQ(p.stages[0].last, "6");
  EXPECT_EQ(p.stages[0].ranks, (std::vector<int>{2, 7}));
  EXPECT_EQ(p.stages[0].line, 1);
  EXPECT_EQ(p.stages[1].first, "10");
  EXPECT_EQ(p.stages[1].last, "10");  // one layer
  ASSERT_EQ(p.splits.size(), 1u);
  const Plan q = parse_plan(format_plan(p));
  ASSERT_EQ(q.stages.size(), 2u);
  EXPECT_EQ(q.stages[0].last, "6");
  EXPECT_EQ(q.stages[1].ranks, p.stages[1].ranks);

  EXPECT_NE(error_of("stage 0..6\n").find("p.plan:1: expected 'stage FIRST[..LAST] RANK"), std::string::npos);
  EXPECT_NE(error_of("stage ..6 2\n").find("p.plan:1: expected a layer or FIRST..LAST, got '..6'"),
            std::string::npos);
  EXPECT_NE(error_of("stage 0 2 2\n").find("p.plan:1: the stage lists rank 2 twice"), std::string::npos);
  EXPECT_NE(error_of("stage 0 two\n").find("p.plan:1: a stage rank must be an integer, got 'two'"),
            std::string::npos);
}

TEST(Plan, BuildsTheCodeOfALine) {
  const Plan p = parse_plan("fc1 4 mds:r=2 1 2 3 4 5 6\nfc2 2 sum\n", "p.plan");
  const auto mds = make_code(p, p.splits[0]);
  EXPECT_EQ(mds->spec(), "mds:r=2");
  EXPECT_EQ(mds->k(), 4);
  EXPECT_EQ(mds->n(), 6);
  EXPECT_EQ(make_code(p, p.splits[1])->n(), 3);  // no ranks: not assigned yet
}

std::string code_error_of(const Plan& plan) {
  try {
    make_code(plan, plan.splits.at(0));
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Plan, NamesTheLineOfACodeItCannotBuild) {
  EXPECT_EQ(code_error_of(parse_plan("\nfc1 2 sum 1 2\n", "p.plan")),
            "p.plan:2: sum with k = 2 has 3 shards, but 2 ranks are listed");
  EXPECT_EQ(code_error_of(parse_plan("fc1 2 sum 1 2 3 4\n", "p.plan")),
            "p.plan:1: sum with k = 2 has 3 shards, but 4 ranks are listed");
  EXPECT_EQ(code_error_of(parse_plan("fc1 2 turbo\n", "p.plan")).rfind("p.plan:1: code: unknown code 'turbo'", 0), 0u)
      << code_error_of(parse_plan("fc1 2 turbo\n", "p.plan"));
  // A line not read from a file is named by the plan alone.
  Plan made;
  made.source = "default plan";
  made.splits.push_back({.layer = "fc1", .k = 2, .code = "sum", .ranks = {1, 2}, .line = 0});
  EXPECT_EQ(made.where(made.splits[0]), "default plan");
  EXPECT_EQ(code_error_of(made), "default plan: sum with k = 2 has 3 shards, but 2 ranks are listed");
}

TEST(Plan, IsCheckedAgainstTheModel) {
  std::vector<std::unique_ptr<Layer>> layers;
  layers.push_back(std::make_unique<Dense>("fc1", Matrix::Random(3, 4), Vector::Random(3)));
  const Model m("m", {4}, std::move(layers));
  EXPECT_NO_THROW(check_plan_against_model(parse_plan("fc1 3 sum"), m));
  try {
    check_plan_against_model(parse_plan("fc1 4 sum", "p.plan"), m);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("p.plan:1: k = 4 exceeds the 3 output rows"), std::string::npos) << e.what();
  }
  try {
    check_plan_against_model(parse_plan("fc9 2 sum", "p.plan"), m);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has no layer 'fc9' (layers: fc1)"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cdcnn
