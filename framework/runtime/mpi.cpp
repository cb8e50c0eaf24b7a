#include "runtime/mpi.hpp"

#include <algorithm>
#include <thread>

#include "core/error.hpp"

namespace cdcnn::mpi {

void check(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw Error(cat(call, " failed: ", std::string(text, static_cast<std::size_t>(length))));
}

Environment::Environment() {
  int provided = 0;
  CDCNN_CHECK_MPI(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided));
  CDCNN_CHECK_MPI(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
  CDCNN_CHECK_MPI(MPI_Comm_rank(MPI_COMM_WORLD, &rank_));
  CDCNN_CHECK_MPI(MPI_Comm_size(MPI_COMM_WORLD, &size_));
}

Environment::~Environment() {
  if (leave_code_) {
    std::fflush(nullptr);
    std::_Exit(*leave_code_);
  }
  MPI_Finalize();
}

std::string Environment::host() {
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  MPI_Get_processor_name(name, &length);
  return std::string(name, static_cast<std::size_t>(length));
}

Request& Request::operator=(Request&& other) noexcept {
  if (this != &other) {
    cancel();
    request_ = other.request_;
    other.request_ = MPI_REQUEST_NULL;
  }
  return *this;
}

Request::~Request() { cancel(); }

std::optional<MPI_Status> Request::test() {
  if (!pending()) return std::nullopt;
  int done = 0;
  MPI_Status status;
  CDCNN_CHECK_MPI(MPI_Test(&request_, &done, &status));
  if (!done) return std::nullopt;
  return status;
}

void Request::cancel() noexcept {
  if (!pending()) return;
  MPI_Cancel(&request_);
  // A cancelled receive completes at once. A send to a peer that is gone may
  // never complete (Open MPI cannot always cancel a started rendezvous), so
  // the wait is bounded; past it the request is freed and left to MPI.
  const double give_up = MPI_Wtime() + 0.1;
  int done = 0;
  while (!done && MPI_Wtime() < give_up) {
    MPI_Test(&request_, &done, MPI_STATUS_IGNORE);
    if (!done) std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  if (!done) MPI_Request_free(&request_);
  request_ = MPI_REQUEST_NULL;
}

void Request::abandon() noexcept {
  if (!pending()) return;
  MPI_Cancel(&request_);
  MPI_Request_free(&request_);
  request_ = MPI_REQUEST_NULL;
}

namespace {
void wait_sleeping(MPI_Request& r) {
  Request request(r);
  Backoff backoff(std::chrono::microseconds(50), std::chrono::microseconds(2000));
  while (!request.test()) backoff.pause();
}
}  // namespace

std::vector<std::string> gather_hosts(MPI_Comm comm) {
  int rank = 0, size = 1;
  CDCNN_CHECK_MPI(MPI_Comm_rank(comm, &rank));
  CDCNN_CHECK_MPI(MPI_Comm_size(comm, &size));
  constexpr int kChars = MPI_MAX_PROCESSOR_NAME;
  char mine[kChars] = {};
  Environment::host().copy(mine, kChars - 1);
  std::vector<char> all(rank == 0 ? static_cast<std::size_t>(size) * kChars : 0);
  CDCNN_CHECK_MPI(MPI_Gather(mine, kChars, MPI_CHAR, all.data(), kChars, MPI_CHAR, 0, comm));
  std::vector<std::string> hosts;
  for (int r = 0; rank == 0 && r < size; ++r) hosts.emplace_back(&all[static_cast<std::size_t>(r) * kChars]);
  return hosts;
}

int min_over_ranks(int value, MPI_Comm comm) {
  int result = 0;
  MPI_Request r;
  CDCNN_CHECK_MPI(MPI_Iallreduce(&value, &result, 1, MPI_INT, MPI_MIN, comm, &r));
  wait_sleeping(r);
  return result;
}

void barrier(MPI_Comm comm) {
  MPI_Request r;
  CDCNN_CHECK_MPI(MPI_Ibarrier(comm, &r));
  wait_sleeping(r);
}

Request isend_bytes(const void* data, int bytes, int dest, int tag, MPI_Comm comm) {
  MPI_Request r;
  CDCNN_CHECK_MPI(MPI_Isend(data, bytes, MPI_BYTE, dest, tag, comm, &r));
  return Request(r);
}

Request irecv_bytes(void* data, int bytes, int source, int tag, MPI_Comm comm) {
  MPI_Request r;
  CDCNN_CHECK_MPI(MPI_Irecv(data, bytes, MPI_BYTE, source, tag, comm, &r));
  return Request(r);
}

void Backoff::pause() {
  std::this_thread::sleep_for(current_);
  current_ = std::min(max_, current_ * 2);
}

}  // namespace cdcnn::mpi
