#include "sweep/suite.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <set>
#include <string>

#include "core/error.hpp"

namespace cdcnn::sweep {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string error_of(const std::string& text) {
  try {
    const Suite suite = parse_suite(text, "s.suite");
    expand(suite, [](const std::string& path) -> std::string {
      if (path == "fixed.plan") return "fc1 2 sum\n";
      throw Error("cannot read plan '" + path + "'");
    });
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::vector<Run> expand_text(const std::string& text, const std::map<std::string, std::string>& plans = {}) {
  return expand(parse_suite(text, "s.suite"), [&plans](const std::string& path) { return plans.at(path); });
}

std::set<std::string> ids(const std::vector<Run>& runs) {
  std::set<std::string> out;
  for (const auto& r : runs) out.insert(r.id);
  return out;
}

TEST(SplitValues, KeepsTheCommasOfSpecStrings) {
  EXPECT_THAT(split_values(" exp:mean=5, pareto:scale=10,shape=1.5 "),
              ElementsAre("exp:mean=5", "pareto:scale=10,shape=1.5"));
  EXPECT_THAT(split_values("none, stop:rank=2,inference=3"), ElementsAre("none", "stop:rank=2,inference=3"));
}

TEST(SplitValues, TakesQuotedValuesVerbatim) {
  EXPECT_THAT(split_values(R"("2,3@pareto:scale=10,shape=2", none, " spaced ")"),
              ElementsAre("2,3@pareto:scale=10,shape=2", "none", " spaced "));
}

TEST(SplitValues, ContinuesASpecAcrossSemicolonsOfRepeatedFlags) {
  EXPECT_THAT(split_values("stop:rank=2,inference=3; drop:p=0.1,rank=2, none"),
              ElementsAre("stop:rank=2,inference=3; drop:p=0.1,rank=2", "none"));
}

TEST(SplitValues, RejectsEmptyValuesAndOpenQuotes) {
  EXPECT_THROW(split_values("sum,,mds"), Error);
  EXPECT_THROW(split_values("sum,"), Error);
  EXPECT_THROW(split_values("\"sum"), Error);
  EXPECT_THROW(split_values("su\"m\""), Error);
}

TEST(ParseSuite, ReadsKeysInFileOrderSkippingCommentsAndBlankLines) {
  const Suite s = parse_suite(
      "# a suite\n\nmodel = mlp   # the small one\nranks = 4, 6\nmin-mflops = 0.1\nrepetitions = 3\ntimeout_s = 30\n"
      "code = \"mds:r=2\"  # quoted # kept\n",
      "s.suite");
  ASSERT_EQ(s.keys.size(), 4u);
  EXPECT_EQ(s.keys[0].name, "model");
  EXPECT_THAT(s.keys[1].values, ElementsAre("4", "6"));
  EXPECT_EQ(s.keys[2].name, "min_mflops");  // '-' and '_' are the same
  EXPECT_EQ(s.keys[2].line, 5);
  EXPECT_THAT(s.keys[3].values, ElementsAre("mds:r=2"));
  EXPECT_EQ(s.repetitions, 3);
  EXPECT_EQ(s.timeout_s, 30.0);
}

TEST(ParseSuite, ErrorsNameTheFileTheLineAndTheKey) {
  const std::string head = "model = mlp\nranks = 4\n";
  EXPECT_EQ(error_of(head + "ranks = 5\n"), "s.suite:3: ranks: given twice (first on line 2)");
  EXPECT_THAT(error_of("model = mlp\nranks = 4, 1\n"), StartsWith("s.suite:2: ranks: '1' is not a rank count"));
  EXPECT_THAT(error_of(head + "code = sum, sum\n"), StartsWith("s.suite:3: code: 'sum' listed twice"));
  EXPECT_THAT(error_of(head + "seed = -1\n"), StartsWith("s.suite:3: seed: '-1' is not"));
  EXPECT_THAT(error_of(head + "deadline_ms = 0\n"), StartsWith("s.suite:3: deadline_ms: '0' is not"));
  EXPECT_THAT(error_of(head + "inferences = many\n"), StartsWith("s.suite:3: inferences: 'many' is not"));
  EXPECT_THAT(error_of(head + "policy = maybe\n"), StartsWith("s.suite:3: policy: 'maybe' is not one of"));
  EXPECT_THAT(error_of(head + "repetitions = 0\n"), StartsWith("s.suite:3: repetitions: '0' is not"));
  EXPECT_THAT(error_of(head + "timeout_s = 5, 6\n"), StartsWith("s.suite:3: timeout_s: one value"));
  EXPECT_THAT(error_of(head + "trace = x.h5\n"), StartsWith("s.suite:3: trace: set by the sweep"));
  EXPECT_THAT(error_of(head + "status = ok\n"), StartsWith("s.suite:3: status: reserved"));
  EXPECT_THAT(error_of(head + "code sum\n"), StartsWith("s.suite:3: code sum: expected 'key = value"));
  EXPECT_THAT(error_of(head + "co de = sum\n"), StartsWith("s.suite:3: 'co de' is not a key"));
  EXPECT_THAT(error_of(head + "code =\n"), StartsWith("s.suite:3: code: empty value"));
  EXPECT_THAT(error_of(head + "k = 2\n"), StartsWith("s.suite:3: k: k only fills {k} in a plan template"));
  EXPECT_THAT(error_of(head + "plan = fixed.plan\nk = 2\n"), StartsWith("s.suite:4: k: plan 'fixed.plan' has no {k}"));
  EXPECT_THAT(error_of(head + "plan = other.plan\n"), StartsWith("s.suite:3: plan: cannot read plan 'other.plan'"));
  EXPECT_EQ(error_of("ranks = 4\n"), "s.suite: model: missing (every suite sets model and ranks)");
  EXPECT_EQ(error_of(head), "");
}

TEST(Expand, IsTheCartesianProductFirstKeyOutermostRepetitionsInnermost) {
  const auto runs = expand_text("model = mlp\ncode = sum, mds:r=2\nranks = 4\nseed = 1, 2, 3\nrepetitions = 2\n");
  ASSERT_EQ(runs.size(), 12u);
  EXPECT_EQ(*runs[0].get("code"), "sum");
  EXPECT_EQ(*runs[0].get("seed"), "1");
  EXPECT_EQ(runs[0].repetition, 0);
  EXPECT_EQ(runs[1].repetition, 1);
  EXPECT_EQ(*runs[2].get("seed"), "2");
  EXPECT_EQ(*runs[6].get("code"), "mds:r=2");
  EXPECT_EQ(runs[11].repetition, 1);
  EXPECT_FALSE(runs[0].get("plan"));
  EXPECT_EQ(ids(runs).size(), 12u);
}

TEST(Expand, IdsAreReadableAndDoNotDependOnTheOrderOfLinesOrValues) {
  const auto a = expand_text("model = mlp\ncode = sum, mds:r=2\nranks = 4\nseed = 1, 2\n");
  const auto b = expand_text("# reordered\nseed = 2, 1\nranks = 4\ncode = mds:r=2, sum\nmodel = mlp\n");
  EXPECT_EQ(ids(a), ids(b));
  EXPECT_THAT(a[0].id, ::testing::MatchesRegex("mlp_sum_np4_s1-[0-9a-f]{8}"));
  EXPECT_THAT(a[2].id, ::testing::MatchesRegex("mlp_mds-r-2_np4_s1-[0-9a-f]{8}"));
}

TEST(Expand, IdsAreStableAcrossBuildsAndHosts) {
  // A hash of the sorted parameters: this value must never change, or every
  // sweep directory in the world would run again.
  EXPECT_EQ(run_id({{"model", "mlp"}, {"code", "sum"}, {"ranks", "4"}, {"seed", "1"}}, 0, ""),
            "mlp_sum_np4_s1-" + [] {
              const std::uint64_t h = mix64(fnv1a("code=sum\nmodel=mlp\nranks=4\nseed=1\nrepetition=0\n"));
              char b[9];
              std::snprintf(b, sizeof b, "%08x", static_cast<unsigned>(h >> 32));
              return std::string(b);
            }());
  EXPECT_EQ(fnv1a(""), 14695981039346656037ull);
  EXPECT_EQ(fnv1a("a"), 0xaf63dc4c8601ec8cull);  // the FNV-1a test vector
  EXPECT_EQ(run_id({{"model", "mlp"}, {"code", "sum"}, {"ranks", "4"}, {"seed", "1"}}, 0, ""), "mlp_sum_np4_s1-8d302ab4");
}

TEST(Expand, IdsAreDistinctOverALargeSweep) {
  const auto runs = expand_text(
      "model = alexnet, vgg16\ncode = uncoded, sum, mds:r=2, replication:n=2, grouped-sum:g=2\nranks = 5, 7, 9\n"
      "straggler = none, exp:mean=5, exp:mean=10, pareto:scale=10,shape=1.5\nseed = 1, 2, 3, 4, 5\nrepetitions = 3\n");
  EXPECT_EQ(runs.size(), 2u * 5 * 3 * 4 * 5 * 3);
  EXPECT_EQ(ids(runs).size(), runs.size());
}

TEST(Expand, CountsRunsWithoutExpanding) {
  EXPECT_EQ(run_count(parse_suite("model = mlp\ncode = sum, mds:r=2\nranks = 4\nseed = 1, 2, 3\nrepetitions = 2\n")), 12u);
  EXPECT_EQ(run_count(parse_suite("model = mlp\nranks = 4\nrepetitions = 100000\n")), kMaxRuns);
  // 64 keys of 3 values: 3^64 does not fit 64 bits and saturates.
  std::string text = "model = mlp\nranks = 4\n";
  for (int i = 0; i < 64; ++i) text += "key" + std::to_string(i) + " = 1, 2, 3\n";
  EXPECT_EQ(run_count(parse_suite(text)), std::numeric_limits<std::uint64_t>::max());
}

// Found by fuzz_suite: 8 keys of 12 values in 358 bytes are 12^8 = 429,981,696
// runs, which expand() tried to list (it never finished, its memory growing
// by gigabytes). Now refused at once, naming the file and the product.
TEST(Expand, RefusesASuiteOfMoreThanKMaxRunsBeforeExpandingIt) {
  const std::string finding = CDCNN_FUZZ_FINDINGS "/suite-430M-runs.suite";
  const Suite suite = load_suite(finding);
  EXPECT_EQ(run_count(suite), 429981696u);
  try {
    expand(suite, file_plan_reader(suite));
    FAIL() << "expanded " << finding;
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              finding + ": 429981696 runs (values per key: a 12, b 12, c 12, d 12, e 12, f 12, g 12, x 12), "
                        "more than the 100000 one suite may expand to: sweep fewer values, or split the suite into several");
  }
  // 7 x 11 x 13 x 101 = 101,101 runs, just above the cap; repetitions count too.
  auto values = [](int n) {
    std::string out;
    for (int i = 1; i <= n; ++i) out += (i > 1 ? ", " : "") + std::to_string(i);
    return out;
  };
  const std::string head = "model = mlp\nranks = 4\n";
  EXPECT_THAT(error_of(head + "a = " + values(7) + "\nb = " + values(11) + "\nc = " + values(13) + "\nd = " +
                       values(101) + "\n"),
              StartsWith("s.suite: 101101 runs (values per key: a 7, b 11, c 13, d 101), more than the 100000"));
  EXPECT_THAT(error_of(head + "seed = 1, 2\nrepetitions = 100000\n"),
              StartsWith("s.suite: 200000 runs (values per key: seed 2, repetitions 100000), more than"));
  EXPECT_EQ(expand_text(head + "a = " + values(7) + "\nb = " + values(11) + "\nc = " + values(13) + "\n").size(),
            1001u);
}

TEST(Expand, AddingRepetitionsOrOtherValuesKeepsTheIdsOfExistingRuns) {
  const auto one = expand_text("model = mlp\nranks = 4\nseed = 1\n");
  const auto more = expand_text("model = mlp\nranks = 4\nseed = 1, 2\nrepetitions = 3\n");
  EXPECT_EQ(more[0].id, one[0].id);
  EXPECT_THAT(more[1].id, StartsWith("mlp_np4_s1_r1-"));
}

TEST(Expand, AChangedValueOrPlanFileChangesTheId) {
  const auto a = expand_text("model = mlp\nranks = 4\nplan = p.plan\n", {{"p.plan", "fc1 2 sum\n"}});
  const auto b = expand_text("model = mlp\nranks = 4\nplan = p.plan\n", {{"p.plan", "fc1 3 sum\n"}});
  const auto c = expand_text("model = mlp\nranks = 5\nplan = p.plan\n", {{"p.plan", "fc1 2 sum\n"}});
  EXPECT_NE(a[0].id, b[0].id);
  EXPECT_NE(a[0].id, c[0].id);
  EXPECT_FALSE(a[0].plan_text);  // not a template: passed as it is
}

TEST(Expand, FillsKAndCodeIntoAPlanTemplate) {
  const auto runs = expand_text("model = mlp\nranks = 6\nplan = t.plan\nk = 2, 3\ncode = sum\n",
                                {{"t.plan", "fc1 {k} {code}\nfc2 {k} {code} # again\n"}});
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(*runs[0].plan_text, "fc1 2 sum\nfc2 2 sum # again\n");
  EXPECT_EQ(*runs[1].plan_text, "fc1 3 sum\nfc2 3 sum # again\n");
  EXPECT_THAT(runs[1].id, StartsWith("mlp_sum_np6_k3-"));
  EXPECT_THROW(expand_text("model = mlp\nranks = 6\nplan = t.plan\n", {{"t.plan", "fc1 {k} sum\n"}}), Error);
  EXPECT_THROW(expand_text("model = mlp\nranks = 6\nplan = t.plan\nk = 2\n", {{"t.plan", "fc1 {k} {code}\n"}}), Error);
}

// Some of cdcnn run's flags (the whole set is tested with its options
// description, tests/framework/cli/run_options_test.cpp).
RunFlags some_run_flags() {
  RunFlags flags;
  flags["model"] = RunFlag{true, std::nullopt};
  flags["code"] = RunFlag{true, "sum"};
  flags["deadline_ms"] = RunFlag{true, "1000"};
  flags["verify"] = RunFlag{false, std::nullopt};
  flags["fail"] = RunFlag{true, std::nullopt};
  return flags;
}

TEST(CheckKeysAgainstFlags, RefusesUnknownKeysAndNonBooleanSwitches) {
  const RunFlags flags = some_run_flags();
  EXPECT_NO_THROW(check_keys_against_flags(parse_suite("model = m\nranks = 3\nverify = true, false\n"), flags));
  try {
    check_keys_against_flags(parse_suite("model = m\nranks = 3\nfial = none\n", "s.suite"), flags);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), StartsWith("s.suite:3: fial: not a flag of cdcnn run (keys: ranks, k,"));
    EXPECT_THAT(e.what(), HasSubstr("fail"));
  }
  try {
    check_keys_against_flags(parse_suite("model = m\nranks = 3\nverify = yes\n", "s.suite"), flags);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), StartsWith("s.suite:3: verify: a switch: true or false"));
  }
}

}  // namespace
}  // namespace cdcnn::sweep
