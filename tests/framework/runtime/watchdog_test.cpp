#include "runtime/watchdog.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace cdcnn::runtime {
namespace {

using namespace std::chrono_literals;

TEST(Watchdog, EndsTheProcessWithItsLineWhenNotDisarmedInTime) {
  EXPECT_EXIT(
      {
        Watchdog dog(50ms, "start-up not finished: leaving", 3);
        std::this_thread::sleep_for(5s);  // a hung MPI_Init
      },
      testing::ExitedWithCode(3), "start-up not finished: leaving");
}

TEST(Watchdog, StaysQuietOnceDisarmed) {
  EXPECT_EXIT(
      {
        Watchdog dog(200ms, "should not be written", 3);
        dog.disarm();
        std::this_thread::sleep_for(400ms);  // past the limit
        std::exit(0);
      },
      testing::ExitedWithCode(0), "^$");
}

TEST(Watchdog, ItsDestructorDisarmsWithoutWaitingForTheLimit) {
  const auto start = std::chrono::steady_clock::now();
  { Watchdog dog(std::chrono::hours(1), "never"); }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::minutes(1));  // not an hour: no timing claim
}

}  // namespace
}  // namespace cdcnn::runtime
