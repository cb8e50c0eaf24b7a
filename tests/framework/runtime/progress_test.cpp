#include "runtime/progress.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace cdcnn::runtime {
namespace {

/// Everything written to a temporary FILE*.
class Captured {
 public:
  Captured() : file_(std::tmpfile()) {}
  ~Captured() { std::fclose(file_); }
  std::FILE* file() { return file_; }
  std::string text() {
    std::fflush(file_);
    std::rewind(file_);
    std::string s;
    for (int c; (c = std::fgetc(file_)) != EOF;) s += static_cast<char>(c);
    return s;
  }

 private:
  std::FILE* file_;
};

TEST(Progress, SaysEachStartUpStepAndHowLongItTook) {
  Captured out;
  Progress p(out.file(), 5.0, false);
  p.step("sending weights");
  p.step_done("3 workers");
  p.start_frames(10);
  const std::string text = out.text();
  EXPECT_NE(text.find("cdcnn run: sending weights ...\n"), std::string::npos) << text;
  EXPECT_NE(text.find("cdcnn run: sending weights: done in "), std::string::npos) << text;
  EXPECT_NE(text.find(" s, 3 workers\n"), std::string::npos) << text;
  EXPECT_NE(text.find("cdcnn run: ready after "), std::string::npos) << text;
  EXPECT_NE(text.find("running 10 frame(s)\n"), std::string::npos) << text;
}

TEST(Progress, CountsFramesQuantilesOutcomesAndSuspects) {
  Captured out;
  Progress p(out.file(), 1e-9, false);  // a line after every frame
  p.start_frames(4);
  p.frame(30.0, InferenceOutcome::exact, {});
  p.frame(10.0, InferenceOutcome::degraded, {2});
  p.frame(20.0, InferenceOutcome::failed, {2, 5});
  const std::string status = p.status();
  EXPECT_EQ(status.rfind("3/4 frames, ", 0), 0u) << status;
  EXPECT_NE(status.find("p50 20.00 ms, p99 30.00 ms, degraded 1, failed 1, suspected: 2,5"), std::string::npos)
      << status;
  const std::string text = out.text();
  EXPECT_NE(text.find("cdcnn run: 1/4 frames"), std::string::npos) << text;
  EXPECT_NE(text.find("cdcnn run: 3/4 frames"), std::string::npos) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos) << "a log gets whole lines";
}

TEST(Progress, OnATerminalRewritesOneLineAndEndsIt) {
  Captured out;
  Progress p(out.file(), 5.0, true);
  p.start_frames(2);
  p.frame(1.0, InferenceOutcome::exact, {});
  p.frame(2.0, InferenceOutcome::exact, {});
  p.finish();
  const std::string text = out.text();
  EXPECT_NE(text.find("\rcdcnn run: 2/2 frames"), std::string::npos) << text;
  EXPECT_NE(text.find("\033[K\n"), std::string::npos) << text;
}

TEST(Progress, AtZeroSaysNothing) {
  Captured out;
  Progress p(out.file(), 0, true);
  p.step("building");
  p.step_done();
  p.start_frames(1);
  p.frame(1.0, InferenceOutcome::exact, {});
  p.finish();
  EXPECT_EQ(out.text(), "");
}

}  // namespace
}  // namespace cdcnn::runtime
