#include "sweep/process.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/error.hpp"
#include "temp_path.hpp"

namespace cdcnn::sweep {
namespace {

using ::testing::HasSubstr;

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// True if `pid` is gone (or a zombie nobody reaped yet).
bool gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return true;
  const auto close = text.rfind(')');
  return close != std::string::npos && text.size() > close + 2 && text[close + 2] == 'Z';
}

TEST(RunProcess, CapturesTheExitCodeAndBothStreamsInTheLog) {
  const std::string log = test::temp_path("exit.log");
  const ProcessResult r = run_process(
      {.argv = {"sh", "-c", "echo out; echo err >&2; exit 3"}, .env = environment_with({}), .log_path = log});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.error, "sh exited with status 3");
  EXPECT_EQ(read(log), "out\nerr\n");
  std::filesystem::remove(log);
}

TEST(RunProcess, RunsInTheGivenDirectoryWithTheGivenEnvironment) {
  const std::string log = test::temp_path("env.log");
  const ProcessResult r = run_process({.argv = {"sh", "-c", "pwd; echo $SWEEP_TEST_VALUE"},
                                       .env = environment_with({"SWEEP_TEST_VALUE=42"}),
                                       .directory = "/",
                                       .log_path = log});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(read(log), "/\n42\n");
  std::filesystem::remove(log);
}

TEST(RunProcess, KillsTheWholeSessionAtTheTimeLimit) {
  // Like Open MPI's ranks: a grandchild in a process group of its own that
  // ignores SIGTERM. It must still be gone when run_process returns.
  const std::string log = test::temp_path("timeout.log"), pidfile = test::temp_path("timeout.pid");
  const auto start = std::chrono::steady_clock::now();
  const ProcessResult r = run_process(
      {.argv = {"sh", "-c", "set -m; sh -c 'trap \"\" TERM; sleep 30' & echo $! > " + pidfile + "; wait"},
       .env = environment_with({}),
       .log_path = log,
       .timeout_s = 0.5,
       .grace_s = 0.5});
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(r.timed_out);
  EXPECT_THAT(r.error, HasSubstr("timed out after 0.5 s"));
  EXPECT_LT(elapsed, 5.0);
  pid_t grandchild = 0;
  std::ifstream(pidfile) >> grandchild;
  ASSERT_GT(grandchild, 0);
  for (int i = 0; i < 50 && !gone(grandchild); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(gone(grandchild));
  std::filesystem::remove(log);
  std::filesystem::remove(pidfile);
}

TEST(RunProcess, ReportsASignal) {
  const std::string log = test::temp_path("signal.log");
  const ProcessResult r =
      run_process({.argv = {"sh", "-c", "kill -9 $$"}, .env = environment_with({}), .log_path = log});
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_THAT(r.error, HasSubstr("killed by signal 9"));
  std::filesystem::remove(log);
}

TEST(RunProcess, RefusesAProgramThatDoesNotExist) {
  EXPECT_THROW(run_process({.argv = {"/nowhere/mpirun"}, .log_path = test::temp_path("x.log")}), Error);
  EXPECT_EQ(find_program("/nowhere/mpirun"), "");
  EXPECT_EQ(find_program("sh").substr(find_program("sh").size() - 3), "/sh");
}

TEST(EnvironmentWith, ReplacesVariablesOfTheSameName) {
  setenv("SWEEP_TEST_REPLACED", "old", 1);
  const auto env = environment_with({"SWEEP_TEST_REPLACED=new"});
  EXPECT_EQ(std::count(env.begin(), env.end(), "SWEEP_TEST_REPLACED=new"), 1);
  EXPECT_EQ(std::count(env.begin(), env.end(), "SWEEP_TEST_REPLACED=old"), 0);
}

}  // namespace
}  // namespace cdcnn::sweep
