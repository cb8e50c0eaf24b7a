#include "trace/trace.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "core/error.hpp"
#include "io/hdf5.hpp"
#include "temp_path.hpp"

namespace cdcnn {
namespace {

std::string h5_path(const std::string& name) { return test::temp_path(name + ".h5"); }

void add_inference(TraceWriter& w, std::int64_t i) {
  for (int s = 0; s < 3; ++s)
    w.add(ShardRecord{i, 4, s, s + 1, 1.0 * i, s == 2 ? NAN : 2.0 * i, 0.5, 0.25, static_cast<std::int8_t>(s == 2 ? 2 : 0)});
  w.add(LayerRecord{i, 4, 1.0 * i, 3.0 * i, 0.01, 3, 2, 1, 1});
  w.add(InferenceRecord{i, 1.0 * i, 2.5, static_cast<std::int8_t>(InferenceOutcome::recovered), 1, NAN});
}

TEST(Trace, ReadsBackEveryRecordAndAttribute) {
  const std::string path = h5_path("roundtrip");
  {
    TraceWriter w(path, {{"code", "sum"}, {"command_line", "cdcnn run --code sum"}});
    for (int i = 0; i < 5; ++i) add_inference(w, i);
    w.flush();
    w.add(LateRecord{1, 4, 2, 3, 9.5});
    w.flush();
  }
  const Trace t = read_trace(path);
  EXPECT_EQ(t.attributes.at("code"), "sum");
  EXPECT_EQ(t.attributes.at("format"), "cdcnn-trace");
  ASSERT_EQ(t.inferences.size(), 5u);
  ASSERT_EQ(t.layers.size(), 5u);
  ASSERT_EQ(t.shards.size(), 15u);
  ASSERT_EQ(t.late.size(), 1u);
  EXPECT_EQ(t.inferences[3].inference, 3);
  EXPECT_EQ(t.inferences[3].outcome, static_cast<std::int8_t>(InferenceOutcome::recovered));
  EXPECT_TRUE(std::isnan(t.inferences[3].max_relative_error));
  EXPECT_EQ(t.shards[7].shard, 1);
  EXPECT_EQ(t.shards[7].rank, 2);
  EXPECT_DOUBLE_EQ(t.shards[7].arrival_ms, 4.0);
  EXPECT_TRUE(std::isnan(t.shards[8].arrival_ms));
  EXPECT_EQ(t.layers[2].blocks_decoded, 1);
  EXPECT_DOUBLE_EQ(t.late[0].arrival_ms, 9.5);
}

std::vector<RankRecord> three_ranks() {
  return {rank_record(0, "pi-master", 120.5, NAN), rank_record(1, "pi-1", 80, NAN),
          rank_record(2, std::string(100, 'h'), 81, NAN)};
}

TEST(Trace, HoldsEveryRanksEstimateAndNoPeakUntilOneIsSet) {
  const std::string path = h5_path("ranks_unset");
  { TraceWriter w(path, {}, three_ranks()); }
  const Trace t = read_trace(path);
  ASSERT_EQ(t.ranks.size(), 3u);
  for (int r = 0; r < 3; ++r) {
    EXPECT_EQ(t.ranks[r].rank, r);
    EXPECT_TRUE(std::isnan(t.ranks[r].peak_mb));
  }
  EXPECT_STREQ(t.ranks[0].host, "pi-master");
  EXPECT_EQ(std::string(t.ranks[2].host), std::string(63, 'h'));  // cut, still terminated
  EXPECT_DOUBLE_EQ(t.ranks[0].estimated_mb, 120.5);
  EXPECT_DOUBLE_EQ(t.ranks[1].estimated_mb, 80);
}

TEST(Trace, SetsEveryRanksPeakAfterStreamingBegan) {
  const std::string path = h5_path("ranks_set");
  {
    TraceWriter w(path, {}, three_ranks());
    add_inference(w, 0);
    w.flush();
    w.set_peak_mb({300, NAN, 95.5});
    add_inference(w, 1);
    w.flush();
    try {
      w.set_peak_mb({1, 2});
      ADD_FAILURE() << "two peaks for three ranks were taken";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), path + ": 2 peaks for a trace opened with 3 ranks");
    }
  }
  const Trace t = read_trace(path);
  ASSERT_EQ(t.ranks.size(), 3u);
  EXPECT_DOUBLE_EQ(t.ranks[0].peak_mb, 300);
  EXPECT_TRUE(std::isnan(t.ranks[1].peak_mb));  // a rank that never said
  EXPECT_DOUBLE_EQ(t.ranks[2].peak_mb, 95.5);
  EXPECT_DOUBLE_EQ(t.ranks[2].estimated_mb, 81);
  EXPECT_STREQ(t.ranks[1].host, "pi-1");
  EXPECT_EQ(t.inferences.size(), 2u);
}

TEST(Trace, RefusesAFileThatIsNotATrace) {
  const std::string path = h5_path("not_a_trace");
  { h5::File f(path, h5::File::Mode::truncate); }
  EXPECT_THROW(read_trace(path), Error);
}

/// A child process writes inferences, reporting each flushed count through a
/// pipe, and is killed with `signal` while still writing. The file must open
/// and hold at least every inference reported flushed (the kill lands while
/// records are being appended and flushed, the worst moment).
void check_survives(int signal_number, const std::string& name) {
  const std::string path = h5_path(name);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    TraceWriter w(path, {{"run", name}}, three_ranks());
    for (std::int64_t i = 0;; ++i) {
      add_inference(w, i);
      w.flush();
      if (write(fds[1], &i, sizeof i) != sizeof i) _exit(3);
    }
  }
  close(fds[1]);
  std::int64_t flushed = -1, next = 0;
  while (flushed < 40 && read(fds[0], &next, sizeof next) == sizeof next) flushed = next;
  kill(child, signal_number);
  int status = 0;
  waitpid(child, &status, 0);
  close(fds[0]);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the writer was not killed by the signal";
  const Trace t = read_trace(path);
  EXPECT_GE(static_cast<std::int64_t>(t.inferences.size()), flushed + 1);
  EXPECT_GE(t.shards.size(), 3 * t.inferences.size());
  for (std::size_t i = 0; i < t.inferences.size(); ++i) EXPECT_EQ(t.inferences[i].inference, static_cast<std::int64_t>(i));
  ASSERT_EQ(t.ranks.size(), 3u);  // made before the kill: the estimates survive it
  EXPECT_DOUBLE_EQ(t.ranks[1].estimated_mb, 80);
  // Tools that do not ask for SWMR access open it once its flag is cleared.
  if (std::system("command -v h5clear >/dev/null && command -v h5dump >/dev/null") == 0) {
    EXPECT_EQ(std::system(("h5clear -s " + path + " && h5dump -H " + path + " >/dev/null 2>&1").c_str()), 0)
        << "h5dump cannot open " << path << " after h5clear -s";
  }
}

TEST(Trace, SurvivesSigkillWithEveryFlushedInference) { check_survives(SIGKILL, "sigkill"); }
TEST(Trace, SurvivesSigtermWithEveryFlushedInference) { check_survives(SIGTERM, "sigterm"); }

}  // namespace
}  // namespace cdcnn
