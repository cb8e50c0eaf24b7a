#include "runtime/watchdog.hpp"

#include <cstdio>
#include <cstdlib>

namespace cdcnn::runtime {

Watchdog::Watchdog(std::chrono::milliseconds limit, std::string message, int exit_code)
    : thread_([this, limit, message = std::move(message), exit_code] {
        std::unique_lock lock(mutex_);
        if (wake_.wait_for(lock, limit, [this] { return disarmed_; })) return;
        std::fprintf(stderr, "%s\n", message.c_str());
        std::fflush(nullptr);
        std::_Exit(exit_code);
      }) {}

Watchdog::~Watchdog() {
  disarm();
  thread_.join();
}

void Watchdog::disarm() {
  {
    std::lock_guard lock(mutex_);
    disarmed_ = true;
  }
  wake_.notify_all();
}

}  // namespace cdcnn::runtime
