#include "runtime/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/error.hpp"
#include "core/percentile.hpp"

namespace cdcnn::runtime {

namespace {

constexpr double kLiveEvery_s = 0.25;

}  // namespace

Progress::Progress(std::FILE* out, double interval_s, bool live)
    : out_(out), interval_s_(interval_s), live_(live) {
  startup_start_s_ = now_s();
}

Progress Progress::to_stderr(double interval_s) { return Progress(stderr, interval_s, isatty(fileno(stderr)) == 1); }

double Progress::now_s() const {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

void Progress::step(const std::string& what, Announce announce) {
  step_ = what;
  step_start_s_ = now_s();
  if (!enabled() || announce == Announce::no) return;
  std::fprintf(out_, "cdcnn run: %s ...\n", what.c_str());
  std::fflush(out_);
}

void Progress::step_done(const std::string& detail) {
  if (!enabled()) return;
  std::fprintf(out_, "cdcnn run: %s: done in %.2f s%s%s\n", step_.c_str(), now_s() - step_start_s_,
               detail.empty() ? "" : ", ", detail.c_str());
  std::fflush(out_);
}

void Progress::start_frames(std::int64_t total) {
  total_ = total;
  frames_start_s_ = last_print_s_ = now_s();
  latencies_ms_.reserve(static_cast<std::size_t>(std::min<std::int64_t>(total, 1 << 20)));
  if (!enabled()) return;
  std::fprintf(out_, "cdcnn run: ready after %.2f s; running %lld frame(s)\n", frames_start_s_ - startup_start_s_,
               static_cast<long long>(total));
  std::fflush(out_);
}

std::string Progress::status() const {
  const auto done = static_cast<std::int64_t>(latencies_ms_.size());
  const double elapsed = now_s() - frames_start_s_;
  std::string suspects;
  for (int r : suspects_) suspects += (suspects.empty() ? "" : ",") + std::to_string(r);
  char line[256];
  std::snprintf(line, sizeof line,
                "%lld/%lld frames, %.1f frames/s, p50 %.2f ms, p99 %.2f ms, degraded %lld, failed %lld, suspected: %s",
                static_cast<long long>(done), static_cast<long long>(total_),
                elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0, percentile(latencies_ms_, 50),
                percentile(latencies_ms_, 99), static_cast<long long>(degraded_), static_cast<long long>(failed_),
                suspects.empty() ? "none" : suspects.c_str());
  return line;
}

void Progress::print_status() {
  if (live_) {
    std::fprintf(out_, "\rcdcnn run: %s\033[K", status().c_str());
    printed_live_ = true;
  } else {
    std::fprintf(out_, "cdcnn run: %s\n", status().c_str());
  }
  std::fflush(out_);
  last_print_s_ = now_s();
}

void Progress::frame(double latency_ms, InferenceOutcome outcome, const std::vector<int>& suspects) {
  latencies_ms_.push_back(latency_ms);
  degraded_ += outcome == InferenceOutcome::degraded;
  failed_ += outcome == InferenceOutcome::failed;
  suspects_ = suspects;
  if (enabled() && now_s() - last_print_s_ >= (live_ ? kLiveEvery_s : interval_s_)) print_status();
}

void Progress::finish() {
  if (!enabled()) return;
  // A live line ends with the final status; a log gets one only if the run
  // was long enough to have printed a line already.
  if (live_) {
    print_status();
    std::fputc('\n', out_);
  } else if (now_s() - frames_start_s_ >= interval_s_) {
    print_status();
  }
  std::fflush(out_);
}

}  // namespace cdcnn::runtime
