#include "sweep/runner.hpp"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/csv.hpp"
#include "core/error.hpp"
#include "sweep/process.hpp"
#include "temp_path.hpp"
#include "trace/trace.hpp"

namespace cdcnn::sweep {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// A trace of `inferences` inferences, as cdcnn run would write it.
void write_trace(const std::string& path, int inferences) {
  TraceWriter w(path, {{"codes", "fc1=sum fc2=sum"}, {"ranks", "4"}});
  for (int i = 0; i < inferences; ++i)
    w.add(InferenceRecord{i, 10.0 * i, 5.0 + i, static_cast<std::int8_t>(i % 3), 0, NAN});
  w.flush();
}

/// A scratch directory, removed at the end of the test.
struct ScratchDir {
  std::string path;
  explicit ScratchDir(const std::string& name) : path(test::temp_path(name)) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~ScratchDir() { fs::remove_all(path); }
};

SweepOptions options_for(const std::string& out_dir) {
  SweepOptions o;
  o.out_dir = out_dir;
  o.launcher = {"mpirun", "-q"};
  o.cdcnn = "/opt/cdcnn";
  return o;
}

TEST(RunCommandLine, IsLauncherRanksCdcnnRunFlagsAndTraceLast) {
  const Suite suite = parse_suite(
      "model = mlp\nranks = 4\nmin_mflops = 0.1\nfail = \"stop:rank=2,inference=3; drop:p=0.1\"\nverify = true\n"
      "check = false\n",
      "s.suite");
  const auto runs = expand(suite, file_plan_reader(suite));
  SweepOptions o = options_for("/out");
  o.hostfile = "/etc/hosts.mpi";
  EXPECT_THAT(run_command_line(runs[0], o),
              ElementsAre("mpirun", "-q", "--hostfile", "/etc/hosts.mpi", "-np", "4", "/opt/cdcnn", "run", "--model",
                          "mlp", "--min-mflops", "0.1", "--fail", "stop:rank=2,inference=3", "--fail", "drop:p=0.1",
                          "--verify", "--trace", "/out/runs/" + runs[0].id + ".h5"));
}

TEST(RunCommandLine, PassesTheFilledPlanTemplateAndNotK) {
  const Suite suite = parse_suite("model = mlp\nranks = 5\nplan = t.plan\nk = 2\ncode = sum\n", "s.suite");
  const auto runs = expand(suite, [](const std::string&) { return std::string("fc1 {k} {code}\n"); });
  const auto argv = run_command_line(runs[0], options_for("/out"));
  EXPECT_THAT(argv, ElementsAre("mpirun", "-q", "-np", "5", "/opt/cdcnn", "run", "--model", "mlp", "--plan",
                                "/out/plans/" + runs[0].id + ".plan", "--code", "sum", "--trace",
                                "/out/runs/" + runs[0].id + ".h5"));
}

TEST(ShellQuote, QuotesOnlyWhatTheShellWouldSplit) {
  EXPECT_EQ(shell_quote({"mpirun", "-np", "4", "--fail", "stop:rank=2,inference=3", "a b", "it's"}),
            "mpirun -np 4 --fail stop:rank=2,inference=3 'a b' 'it'\\''s'");
}

TEST(Resume, RunsAreFinishedOnlyWithADoneMarkAndATrace) {
  ScratchDir dir("resume");
  const Suite suite = parse_suite("model = mlp\nranks = 4\nseed = 1, 2, 3, 4\n", "s.suite");
  const auto runs = expand(suite, file_plan_reader(suite));
  fs::create_directories(dir.path + "/runs");
  auto touch = [&](const std::string& path) { std::ofstream(path) << "x"; };
  touch(run_paths(dir.path, runs[0].id).done);  // finished
  touch(run_paths(dir.path, runs[0].id).trace);
  touch(run_paths(dir.path, runs[1].id).done);  // its trace was removed: run again
  touch(run_paths(dir.path, runs[2].id).trace);  // interrupted or failed: run again
  touch(run_paths(dir.path, runs[2].id).result);
  EXPECT_TRUE(is_finished(dir.path, runs[0].id));
  EXPECT_FALSE(is_finished(dir.path, runs[1].id));
  EXPECT_THAT(pending_runs(runs, dir.path), ElementsAre(1u, 2u, 3u));
}

TEST(ExpectedInferences, IsTheSuitesValueElseRunsDefault) {
  const auto with = expand(parse_suite("model = m\nranks = 3\ninferences = 7\n"), file_plan_reader(Suite{}));
  const auto without = expand(parse_suite("model = m\nranks = 3\n"), file_plan_reader(Suite{}));
  RunFlags flags;
  flags["inferences"] = RunFlag{true, "10"};
  EXPECT_EQ(expected_inferences(with[0], flags), 7);
  EXPECT_EQ(expected_inferences(without[0], flags), 10);
  EXPECT_EQ(expected_inferences(without[0], {}), std::nullopt);
}

TEST(CheckTrace, ReadsTheTraceBackAndCountsItsInferences) {
  ScratchDir dir("check");
  const std::string trace = dir.path + "/t.h5";
  std::optional<TraceSummary> s;
  EXPECT_EQ(check_trace(trace, "t", 3, s), "no trace written");
  write_trace(trace, 3);
  EXPECT_EQ(check_trace(trace, "t", 3, s), "");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->inferences, 3);
  EXPECT_EQ(s->name, "t");
  EXPECT_EQ(check_trace(trace, "t", 5, s), "trace has 3 of 5 inferences");
  EXPECT_TRUE(s);  // a partial trace is still summarised
  std::ofstream(trace) << "not hdf5";
  EXPECT_THAT(check_trace(trace, "t", 3, s), StartsWith("trace does not read back: "));
  EXPECT_FALSE(s);
}

TEST(ResultFile, RoundTripsEveryField) {
  ScratchDir dir("result");
  RunResult r;
  r.id = "mlp_sum-0123abcd";
  r.status = "failed";
  r.error = "a \"quoted\"\\ error\nwith a newline\t";
  r.parameters = {{"model", "mlp"}, {"fail", "stop:rank=2,inference=3"}, {"repetition", "0"}};
  r.provenance = Provenance{"abc123-dirty", "node1", "Release", "GNU 12.2.0", "0.1.0"};
  r.started_utc = "2026-11-28T12:00:00Z";
  r.elapsed_s = 1.5;
  r.exit_code = 3;
  r.command = "mpirun -np 4 'a b'";
  write_result_file(dir.path + "/r.json", r);
  const auto f = read_result_file(dir.path + "/r.json");
  EXPECT_EQ(f.at("run_id"), r.id);
  EXPECT_EQ(f.at("error"), r.error);
  EXPECT_EQ(f.at("fail"), "stop:rank=2,inference=3");
  EXPECT_EQ(f.at("git_commit"), "abc123-dirty");
  EXPECT_EQ(f.at("compiler"), "GNU 12.2.0");
  EXPECT_EQ(std::stod(f.at("elapsed_s")), 1.5);
  EXPECT_EQ(f.at("exit_code"), "3");
  EXPECT_EQ(f.at("command"), r.command);
  std::ofstream(dir.path + "/bad.json") << "{\"a\": ";
  EXPECT_THROW(read_result_file(dir.path + "/bad.json"), Error);
}

TEST(SummaryCsv, HasTheRunsParametersProvenanceAndTraceColumns) {
  const Suite suite = parse_suite("model = mlp\nranks = 4\ninferences = 3\nfail = \"stop:rank=2,inference=3\"\n");
  RunResult ok, pending;
  ok.id = "a-1";
  ok.status = "ok";
  ok.parameters = {{"model", "mlp"}, {"ranks", "4"}, {"inferences", "3"}, {"fail", "stop:rank=2,inference=3"},
                   {"repetition", "0"}};
  ok.provenance = Provenance{"abc", "node1", "Release", "GNU 12", "0.1.0"};
  ok.elapsed_s = 2;
  TraceSummary s;
  s.name = "a-1";
  s.codes = "fc1=sum fc2=sum";
  s.ranks = 4;
  s.inferences = 3;
  s.outcomes[0] = 1, s.outcomes[1] = 2;
  s.p50_ms = 5, s.mean_ms = 6.5;
  ok.summary = s;
  pending.id = "b-2";
  pending.parameters = ok.parameters;
  pending.provenance = ok.provenance;
  const auto rows = parse_csv(summary_csv(suite, {ok, pending}));
  ASSERT_EQ(rows.size(), 3u);
  const auto& h = rows[0];
  const std::vector<std::string> own = {"run_id", "model", "ranks", "inferences", "fail", "repetition", "status",
                                        "error", "git_commit", "host", "build_type", "compiler", "cdcnn_version",
                                        "started_utc", "elapsed_s", "trace"};
  ASSERT_GT(h.size(), own.size());
  EXPECT_EQ(std::vector<std::string>(h.begin(), h.begin() + own.size()), own);
  // format_csv's columns follow, without its `run`; its ranks and
  // inferences, which the suite already names, as trace_ranks, trace_inferences.
  const auto trace_header = parse_csv(format_csv({}))[0];
  std::vector<std::string> expected;
  for (const auto& c : trace_header)
    if (c != "run") expected.push_back(c == "ranks" || c == "inferences" ? "trace_" + c : c);
  if (std::find(trace_header.begin(), trace_header.end(), "mean_ms") == trace_header.end()) expected.push_back("mean_ms");
  EXPECT_EQ(std::vector<std::string>(h.begin() + own.size(), h.end()), expected);
  auto cell = [&h](const std::vector<std::string>& row, const std::string& column) {
    return row.at(std::find(h.begin(), h.end(), column) - h.begin());
  };
  EXPECT_EQ(rows[1].size(), h.size());
  EXPECT_EQ(cell(rows[1], "fail"), "stop:rank=2,inference=3");
  EXPECT_EQ(cell(rows[1], "status"), "ok");
  EXPECT_EQ(cell(rows[1], "git_commit"), "abc");
  EXPECT_EQ(cell(rows[1], "codes"), "fc1=sum fc2=sum");
  EXPECT_EQ(cell(rows[1], "trace_inferences"), "3");
  EXPECT_EQ(cell(rows[1], "exact"), "1");
  EXPECT_EQ(cell(rows[1], "recovered"), "2");
  EXPECT_EQ(cell(rows[1], "mean_ms"), "6.50");
  EXPECT_EQ(cell(rows[1], "elapsed_s"), "2.00");
  EXPECT_EQ(cell(rows[1], "trace"), "runs/a-1.h5");
  EXPECT_EQ(rows[2].size(), h.size());
  EXPECT_EQ(cell(rows[2], "status"), "pending");
  EXPECT_EQ(cell(rows[2], "git_commit"), "");  // it has not run: no provenance yet
  EXPECT_EQ(cell(rows[2], "exact"), "");
}

TEST(FormatDuration, ReadsAsSecondsMinutesOrHours) {
  EXPECT_EQ(format_duration(4.4), "4 s");
  EXPECT_EQ(format_duration(187), "3:07");
  EXPECT_EQ(format_duration(3723), "1:02:03");
}

/// A fake mpirun: writes the template trace to --trace, or fails as --seed asks.
std::string write_fake_launcher(const std::string& dir, const std::string& template_trace, bool seed2_fails) {
  const std::string path = dir + "/fake-mpirun";
  std::ofstream(path) << "#!/bin/sh\n"
                      << "trace=; seed=\n"
                      << "while [ $# -gt 0 ]; do case \"$1\" in --trace) trace=$2; shift;; --seed) seed=$2; shift;; "
                         "esac; shift; done\n"
                      << "echo \"fake run, seed $seed\"\n"
                      << "case \"$seed\" in\n"
                      << (seed2_fails ? "  2) echo boom >&2; exit 3;;\n" : "")
                      << "  3) sleep 30;;\n"
                      << "  4) exit 0;;\n"
                      << "  *) cp " << template_trace << " \"$trace\";;\n"
                      << "esac\n";
  fs::permissions(path, fs::perms::owner_all);
  return path;
}

TEST(RunSweep, RecordsFailedRunsWithoutStoppingAndResumesOnlyWhatIsNotDone) {
  ScratchDir dir("sweep");
  const std::string out = dir.path + "/out";
  write_trace(dir.path + "/template.h5", 3);
  // Seeds: 1 ok; 2 exits with 3; 3 hangs past the limit; 4 exits 0 without a trace.
  const Suite suite = parse_suite("model = mlp\nranks = 4\ninferences = 3\nseed = 1, 2, 3, 4\n", "s.suite", dir.path);
  const auto runs = expand(suite, file_plan_reader(suite));
  SweepOptions o = options_for(out);
  o.launcher = {write_fake_launcher(dir.path, dir.path + "/template.h5", true)};
  o.cdcnn = o.launcher[0];  // must exist
  o.timeout_s = 1;
  o.grace_s = 0.5;
  o.env = environment_with({});
  o.provenance = Provenance{"abc", "node1", "Release", "GNU 12", "0.1.0"};

  std::ostringstream progress;
  SweepReport report = run_sweep(suite, runs, o, progress);
  EXPECT_EQ(report.runs, 4u);
  EXPECT_EQ(report.ok, 1u);
  EXPECT_EQ(report.failed, 3u);
  EXPECT_EQ(report.skipped, 0u);
  EXPECT_THAT(progress.str(), HasSubstr("4 run(s) of s.suite: 0 already done, 4 to run"));
  EXPECT_THAT(progress.str(), HasSubstr("[4/4] " + runs[3].id + " FAILED: no trace written"));
  EXPECT_THAT(progress.str(), HasSubstr("left ~"));

  auto result = [&](int i) { return read_result_file(run_paths(out, runs[i].id).result); };
  EXPECT_EQ(result(0).at("status"), "ok");
  EXPECT_EQ(result(0).at("git_commit"), "abc");
  EXPECT_EQ(result(1).at("status"), "failed");
  EXPECT_EQ(result(1).at("error"), "fake-mpirun exited with status 3: boom; log: runs/" + runs[1].id + ".log");
  EXPECT_THAT(result(2).at("error"), StartsWith("timed out after 1 s"));
  EXPECT_THAT(read(run_paths(out, runs[1].id).log), HasSubstr("boom"));
  EXPECT_TRUE(fs::exists(run_paths(out, runs[0].id).done));
  for (int i : {1, 2, 3}) EXPECT_FALSE(fs::exists(run_paths(out, runs[i].id).done));
  auto rows = parse_csv(read(out + "/summary.csv"));
  ASSERT_EQ(rows.size(), 5u);
  const auto& h = rows[0];
  const auto status = std::find(h.begin(), h.end(), "status") - h.begin();
  EXPECT_EQ(rows[1][status], "ok");
  EXPECT_EQ(rows[2][status], "failed");

  // Fixed: seed 2 now works. Run 0 is skipped, 1 succeeds, 2 and 3 fail again.
  o.launcher = {write_fake_launcher(dir.path, dir.path + "/template.h5", false)};
  const auto first_trace_time = fs::last_write_time(run_paths(out, runs[0].id).trace);
  std::ostringstream again;
  report = run_sweep(suite, runs, o, again);
  EXPECT_EQ(report.skipped, 1u);
  EXPECT_EQ(report.ok, 2u);
  EXPECT_EQ(report.failed, 2u);
  EXPECT_THAT(again.str(), HasSubstr("1 already done, 3 to run"));
  EXPECT_EQ(fs::last_write_time(run_paths(out, runs[0].id).trace), first_trace_time);
  EXPECT_THAT(pending_runs(runs, out), ElementsAre(2u, 3u));
  rows = parse_csv(read(out + "/summary.csv"));
  EXPECT_EQ(rows[1][status], "ok");
  EXPECT_EQ(rows[2][status], "ok");
}

TEST(RunSweep, RefusesASecondSweepOnTheSameDirectory) {
  ScratchDir dir("locked");
  const Suite suite = parse_suite("model = mlp\nranks = 4\n", "s.suite", dir.path);
  const auto runs = expand(suite, file_plan_reader(suite));
  SweepOptions o = options_for(dir.path);
  o.launcher = {"true"};
  o.cdcnn = "/bin/sh";
  const int fd = ::open((dir.path + "/sweep.lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(flock(fd, LOCK_EX), 0);
  std::ostringstream progress;
  EXPECT_THROW(run_sweep(suite, runs, o, progress), Error);
  ::close(fd);
}

}  // namespace
}  // namespace cdcnn::sweep
