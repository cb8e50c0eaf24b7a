#pragma once
// RAII over the few MPI calls the runtime uses (STYLE.md: Ginkgo's
// mpi::request, KaMPIng). MPI_COMM_WORLD is borrowed, with MPI_ERRORS_RETURN
// installed so that every error reaches CDCNN_CHECK_MPI and becomes a
// cdcnn::Error carrying the call and MPI_Error_string. Requests are move-only;
// a request's destructor cancels it if still pending and then completes it, so
// a pending receive never outlives its buffer.

#include <mpi.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace cdcnn::mpi {

/// Throws cdcnn::Error("MPI_Xxx failed: <MPI_Error_string>") unless MPI_SUCCESS.
void check(int code, const char* call);
#define CDCNN_CHECK_MPI(call) ::cdcnn::mpi::check((call), #call)

/// MPI_Init_thread(FUNNELED) and MPI_Finalize; world gets MPI_ERRORS_RETURN.
class Environment {
 public:
  /// MPI_Init_thread without arguments (Open MPI takes its settings from
  /// mpirun's environment, not from argv).
  Environment();
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }
  /// This process's host name (MPI_Get_processor_name).
  static std::string host();
  /// When a process of the job has died, MPI_Finalize's fence may wait for it
  /// forever (Open MPI 4.1 without ULFM): the destructor then flushes stdio
  /// and ends the process with `exit_code` instead of finalizing. Needs
  /// mpirun --enable-recovery, which also keeps such an exit from killing the job.
  void leave_without_finalize(int exit_code = 0) { leave_code_ = exit_code; }

 private:
  int rank_ = 0, size_ = 1;
  std::optional<int> leave_code_;
};

/// A nonblocking operation in flight.
class Request {
 public:
  Request() = default;
  explicit Request(MPI_Request r) : request_(r) {}
  Request(Request&& other) noexcept : request_(other.request_) { other.request_ = MPI_REQUEST_NULL; }
  Request& operator=(Request&& other) noexcept;
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;
  /// Cancels a pending request, then waits for it to finish (a cancelled
  /// receive completes at once; a send to a vanished peer is waited for
  /// 100 ms, then freed). Never throws.
  ~Request();

  bool pending() const { return request_ != MPI_REQUEST_NULL; }
  /// Completes the request if it is done: returns its status, else nullopt.
  std::optional<MPI_Status> test();
  /// Cancels and completes (see the destructor).
  void cancel() noexcept;
  /// Cancels and frees at once, without waiting: for sends to a peer known to
  /// be gone, whose buffer MPI will never touch again.
  void abandon() noexcept;
  MPI_Request* handle() { return &request_; }

 private:
  MPI_Request request_ = MPI_REQUEST_NULL;
};

/// MPI_Allreduce(MPI_MIN) of one int, and MPI_Barrier, that wait without
/// spinning: ranks that arrive early sleep (Backoff) instead of busy-polling
/// in a blocking collective, which on an oversubscribed host would steal the
/// cores the late ranks need to finish their set-up.
int min_over_ranks(int value, MPI_Comm comm = MPI_COMM_WORLD);
/// Every rank's host name (Environment::host), by rank, on rank 0; an empty
/// list on the others. Collective: only while every rank is alive (start-up).
std::vector<std::string> gather_hosts(MPI_Comm comm = MPI_COMM_WORLD);
void barrier(MPI_Comm comm = MPI_COMM_WORLD);

Request isend_bytes(const void* data, int bytes, int dest, int tag, MPI_Comm comm = MPI_COMM_WORLD);
Request irecv_bytes(void* data, int bytes, int source, int tag, MPI_Comm comm = MPI_COMM_WORLD);

/// Sleeps for a short while. Idle loops call it between tests instead of
/// spinning: on an oversubscribed host (9 ranks on 2 cores) a spinning idle
/// rank steals the core a computing rank needs. The pause grows from `min`
/// to `max` while nothing happens and resets when something does.
class Backoff {
 public:
  explicit Backoff(std::chrono::microseconds min = std::chrono::microseconds(20),
                   std::chrono::microseconds max = std::chrono::microseconds(1000))
      : min_(min), max_(max), current_(min) {}
  void pause();
  void reset() { current_ = min_; }

 private:
  std::chrono::microseconds min_, max_, current_;
};

}  // namespace cdcnn::mpi
