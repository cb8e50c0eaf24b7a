// End to end: `cdcnn sweep` runs experiments/suites/ci-tiny.suite under
// mpirun (two codes x two seeds, a small model, 4 ranks), and its summary is
// checked against the traces: one row per run, no run missing, outcomes adding
// up to the inferences asked for, every number the trace's. A second
// invocation skips every run.
//   sweep_end_to_end_test CDCNN SUITE OUT_DIR

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/csv.hpp"
#include "sweep/process.hpp"
#include "sweep/runner.hpp"
#include "sweep/suite.hpp"
#include "trace/summary.hpp"
#include "trace/trace.hpp"

namespace cdcnn::sweep {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string cdcnn_path, suite_path, out_dir;

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

ProcessResult sweep(const std::string& log, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv = {cdcnn_path, "sweep", "--suite", suite_path, "--out", out_dir};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run_process({.argv = argv, .env = environment_with({}), .log_path = log, .timeout_s = 170});
}

using Row = std::map<std::string, std::string>;

std::vector<Row> summary_rows() {
  const auto rows = parse_csv(read(out_dir + "/summary.csv"));
  std::vector<Row> out;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    Row r;
    for (std::size_t j = 0; j < rows[0].size() && j < rows[i].size(); ++j) r[rows[0][j]] = rows[i][j];
    out.push_back(r);
  }
  return out;
}

TEST(SweepEndToEnd, SummaryAgreesWithTheTracesAndASecondRunSkipsEverything) {
  fs::remove_all(out_dir);
  const Suite suite = load_suite(suite_path);
  const auto runs = expand(suite, file_plan_reader(suite));
  ASSERT_EQ(runs.size(), 4u) << "ci-tiny.suite: two codes x two seeds";

  const std::string first_log = out_dir + ".first.log";
  const ProcessResult first = sweep(first_log);
  const std::string first_output = read(first_log);
  ASSERT_EQ(first.exit_code, 0) << first.error << "\n" << first_output;
  EXPECT_THAT(first_output, HasSubstr("0 already done, 4 to run"));
  EXPECT_THAT(first_output, HasSubstr("[4/4] "));
  EXPECT_THAT(first_output, HasSubstr("4 ok (0 skipped, done before), 0 failed"));

  const auto rows = summary_rows();
  ASSERT_EQ(rows.size(), runs.size());
  std::set<std::string> ids;
  for (const auto& run : runs) ids.insert(run.id);
  for (const auto& row : rows) {
    SCOPED_TRACE(row.at("run_id"));
    EXPECT_EQ(ids.erase(row.at("run_id")), 1u) << "a row for a run not in the suite, or twice";
    EXPECT_EQ(row.at("status"), "ok");
    EXPECT_EQ(row.at("error"), "");
    EXPECT_FALSE(row.at("git_commit").empty());
    EXPECT_FALSE(row.at("host").empty());
    EXPECT_FALSE(row.at("build_type").empty());
    EXPECT_EQ(row.at("ranks"), "4");
    // Outcomes add up to the inferences asked for.
    const long long asked = std::stoll(row.at("inferences"));
    EXPECT_EQ(std::stoll(row.at("trace_inferences")), asked);
    EXPECT_EQ(std::stoll(row.at("exact")) + std::stoll(row.at("recovered")) + std::stoll(row.at("degraded")) +
                  std::stoll(row.at("failed")),
              asked);
    // Every number is the trace's.
    const RunPaths paths = run_paths(out_dir, row.at("run_id"));
    ASSERT_TRUE(fs::exists(paths.done));
    EXPECT_EQ(out_dir + "/" + row.at("trace"), paths.trace);
    const Trace trace = read_trace(out_dir + "/" + row.at("trace"));
    EXPECT_EQ(static_cast<long long>(trace.inferences.size()), asked);
    const auto own = parse_csv(format_csv({summarize(trace, row.at("run_id"))}));
    for (std::size_t j = 0; j < own[0].size(); ++j) {
      const std::string& column = own[0][j];
      if (column == "run") continue;
      const std::string name = column == "ranks" || column == "inferences" ? "trace_" + column : column;
      EXPECT_EQ(row.at(name), own[1][j]) << column;
    }
    // The trace says it ran the parameters of the row.
    EXPECT_THAT(trace.attributes.at("command_line"), HasSubstr("--code " + row.at("code")));
    EXPECT_THAT(trace.attributes.at("command_line"), HasSubstr("--seed " + row.at("seed")));
    EXPECT_EQ(read_result_file(paths.result).at("status"), "ok");
  }
  EXPECT_TRUE(ids.empty()) << ids.size() << " run(s) missing from the summary";

  // Again: every run is skipped, nothing is touched, the summary is the same.
  std::map<std::string, fs::file_time_type> times;
  for (const auto& run : runs) times[run.id] = fs::last_write_time(run_paths(out_dir, run.id).trace);
  const std::string summary = read(out_dir + "/summary.csv");
  const std::string second_log = out_dir + ".second.log";
  const ProcessResult second = sweep(second_log);
  const std::string second_output = read(second_log);
  ASSERT_EQ(second.exit_code, 0) << second.error << "\n" << second_output;
  EXPECT_THAT(second_output, HasSubstr("4 already done, 0 to run"));
  EXPECT_THAT(second_output, HasSubstr("4 ok (4 skipped, done before), 0 failed"));
  for (const auto& run : runs) EXPECT_EQ(fs::last_write_time(run_paths(out_dir, run.id).trace), times[run.id]);
  EXPECT_EQ(read(out_dir + "/summary.csv"), summary);

  // --dry-run lists them all as done.
  const std::string dry_log = out_dir + ".dry.log";
  const ProcessResult dry = sweep(dry_log, {"--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << read(dry_log);
  EXPECT_THAT(read(dry_log), HasSubstr("4 run(s), 4 done, 0 to run"));
  fs::remove(first_log);
  fs::remove(second_log);
  fs::remove(dry_log);
}

}  // namespace
}  // namespace cdcnn::sweep

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s CDCNN SUITE OUT_DIR\n", argv[0]);
    return 2;
  }
  cdcnn::sweep::cdcnn_path = argv[1];
  cdcnn::sweep::suite_path = argv[2];
  cdcnn::sweep::out_dir = argv[3];
  return RUN_ALL_TESTS();
}
