#include "codes/registry.hpp"

#include <gtest/gtest.h>

#include "codes/code_table.hpp"
#include "codes/sum.hpp"
#include "core/error.hpp"

namespace cdcnn {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(CodeRegistry, ListsEveryBuiltInCode) {
  CodeRegistry registry;
  register_builtin_codes(registry);
  EXPECT_EQ(registry.names(),
            (std::vector<std::string>{"grouped-sum", "mds", "pairwise", "replication", "sum", "uncoded"}));
}

TEST(CodeRegistry, BuildsEachSpecOfTheIssue) {
  for (auto [spec, n] : {std::pair<std::string, int>{"sum", 5}, {"pairwise", 6}, {"grouped-sum:g=2", 6},
                         {"mds:r=2", 6}, {"replication:n=2", 8}, {"uncoded", 4}}) {
    auto code = code_registry().make(spec, 4);
    EXPECT_EQ(code->spec(), spec);
    EXPECT_EQ(code->n(), n) << spec;
    EXPECT_EQ(code->k(), 4);
  }
}

TEST(CodeRegistry, UnknownNameListsTheValidNames) {
  CodeRegistry registry;
  register_builtin_codes(registry);
  EXPECT_EQ(error_of([&] { registry.make("raptor", 4); }),
            "code: unknown code 'raptor' (known: grouped-sum, mds, pairwise, replication, sum, uncoded)");
}

TEST(CodeRegistry, BadSpecsGiveOneLineErrorsNamingTheProblem) {
  const auto& r = code_registry();
  EXPECT_EQ(error_of([&] { r.make("sum", 0); }), "code 'sum': k must be at least 1, got 0");
  // Refused before a (k+1)×k or k×k generator is allocated (8 EiB here).
  for (const char* spec : {"sum", "uncoded", "mds", "pairwise", "replication"})
    EXPECT_EQ(error_of([&] { r.make(spec, 1 << 30); }),
              std::string("code '") + spec +
                  "': k must be at most 64 (the most shards a code may have), got 1073741824");
  EXPECT_EQ(error_of([&] { r.make("mds:q=2", 4); }), "code: unknown parameter 'q' for 'mds' (known: r)");
  EXPECT_EQ(error_of([&] { r.make("mds:r", 4); }), "code: 'r' in 'mds:r' is not key=value");
  EXPECT_EQ(error_of([&] { r.make("mds:r=x", 4); }), "code: r in 'mds:r=x' must be a number, got 'x'");
  EXPECT_EQ(error_of([&] { r.make("mds:r=1.5", 4); }), "code: r in 'mds:r=1.5' must be an integer");
  EXPECT_EQ(error_of([&] { r.make("", 4); }), "code: empty spec ''");
  EXPECT_EQ(error_of([&] { r.make("grouped-sum:g=3", 4); }), "grouped-sum: g=3 must divide k=4 (1 <= g <= k)");
  for (const char* spec : {"sum", "mds:q=2", "mds:r=9", "grouped-sum:g=3", "nope"})
    EXPECT_EQ(error_of([&] { r.make(spec, 0 + 12); }).find('\n'), std::string::npos) << spec;
}

TEST(CodeRegistry, RefusesADuplicateOrNamelessCode) {
  CodeRegistry registry;
  register_builtin_codes(registry);
  EXPECT_EQ(error_of([&] { registry.add({"sum", "again", "sum", &SumCode::create, "test"}); }),
            "code registry: code 'sum' from test is already registered (from built-in)");
  EXPECT_THROW(registry.add({"", "x", "", &SumCode::create}), Error);
  EXPECT_THROW(registry.add({"a:b", "x", "", &SumCode::create}), Error);
  EXPECT_THROW(registry.add({"nofactory", "x", "", nullptr}), Error);
}

TEST(CodeTable, HasARowPerCodeWithItsCosts) {
  CodeRegistry registry;
  register_builtin_codes(registry);
  const auto rows = code_table(4, registry);
  ASSERT_EQ(rows.size(), 6u);
  const auto& mds = rows[1];
  EXPECT_EQ(mds.spec, "mds:r=2");
  EXPECT_EQ(mds.n, 6);
  EXPECT_EQ(mds.tolerance, 2);
  EXPECT_DOUBLE_EQ(mds.storage_overhead, 1.5);
  EXPECT_GT(mds.worst_condition, 1.0);
  EXPECT_LT(mds.worst_condition, 10.0);
  EXPECT_DOUBLE_EQ(rows[3].worst_condition, 1.0);  // replication: copies only
  const auto odd = code_table(3, registry);
  EXPECT_FALSE(odd[0].error.empty());  // grouped-sum:g=2 does not divide 3
}

TEST(CodeTable, FormatsAPlainAlignedTable) {
  std::vector<CodeTableRow> rows{{"sum", "built-in", 5, 4, 1, 1.25, 3.7320508, ""},
                                 {"grouped-sum:g=2", "built-in", 0, 3, 0, 0, 0, "g=2 does not divide k=3"}};
  EXPECT_EQ(format_code_table(rows),
            "code             n  k  tolerates  overhead  worst cond  from\n"
            "sum              5  4  1          1.25x     3.73        built-in\n"
            "grouped-sum:g=2  -  3  -          -         -           n/a: g=2 does not divide k=3\n");
}

}  // namespace
}  // namespace cdcnn
