#pragma once
// What a long run tells its user while it runs (on rank 0, to stderr): the
// steps of start-up and how long each took — on a Raspberry Pi, building a
// model and sending weights take minutes — then the frames done of the total,
// frames/s, p50/p99 latency so far, degraded and failed frames and the
// suspected ranks. On a terminal this is one live line rewritten in place
// (at most 4 times a second); otherwise (a log file, a sweep) a line every
// `interval_s` seconds. interval_s = 0 keeps the run silent until its summary.

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "codes/outcome.hpp"

namespace cdcnn::runtime {

class Progress {
 public:
  /// `live`: rewrite one line in place (stderr is a terminal).
  Progress(std::FILE* out, double interval_s, bool live);
  /// For stderr: live when it is a terminal.
  static Progress to_stderr(double interval_s);

  bool enabled() const { return interval_s_ > 0; }
  enum class Announce { yes, no };
  /// A start-up step begins ("sending weights"): says so at once (unless
  /// `announce` is no), since it may take minutes.
  void step(const std::string& what, Announce announce = Announce::yes);
  /// The step is over; `detail` (may be empty) says what it produced.
  void step_done(const std::string& detail = "");
  /// Start-up is over: the frames begin; `total` of them.
  void start_frames(std::int64_t total);
  /// One frame done.
  void frame(double latency_ms, InferenceOutcome outcome, const std::vector<int>& suspects);
  /// The frames are over: ends the live line.
  void finish();

  /// "120/1000 frames, 34.1 frames/s, p50 28.1 ms, p99 41.0 ms, degraded 0,
  /// failed 0, suspected: none" — the status as of now.
  std::string status() const;

 private:
  double now_s() const;
  void print_status();

  std::FILE* out_;
  double interval_s_;
  bool live_;
  double step_start_s_ = 0, startup_start_s_ = 0, frames_start_s_ = 0, last_print_s_ = 0;
  std::string step_;
  std::int64_t total_ = 0, degraded_ = 0, failed_ = 0;
  std::vector<double> latencies_ms_;
  std::vector<int> suspects_;
  bool printed_live_ = false;
};

}  // namespace cdcnn::runtime
