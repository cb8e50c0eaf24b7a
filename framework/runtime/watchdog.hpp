#pragma once
// A last resort against hanging forever where no timeout of our own can reach:
// MPI_Init itself blocks for good when a peer dies while the job starts (Open
// MPI 4.1 waits in PMIx for the dead process's connection data), and so do
// the set-up collectives. Armed before MPI_Init, disarmed once start-up is
// over; if it fires, it writes its line and ends the process at once.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace cdcnn::runtime {

class Watchdog {
 public:
  /// Unless disarm() is called within `limit`, writes `message` and a newline
  /// to stderr and ends the process with `exit_code` (std::_Exit: no MPI_Finalize,
  /// which would wait for the dead peer too, and no destructors).
  Watchdog(std::chrono::milliseconds limit, std::string message, int exit_code = 1);
  ~Watchdog();  ///< disarms
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void disarm();

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool disarmed_ = false;
  std::thread thread_;
};

}  // namespace cdcnn::runtime
