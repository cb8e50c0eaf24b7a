#include "runtime/mpi.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "core/error.hpp"

namespace cdcnn {
namespace {

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
int world_size() {
  int s = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

TEST(Mpi, ErrorsBecomeExceptionsNamingTheCall) {
  int value = 0;
  try {
    CDCNN_CHECK_MPI(MPI_Send(&value, 1, MPI_INT, world_size() + 5, 0, MPI_COMM_WORLD));
    FAIL() << "a send to a rank that does not exist succeeded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("MPI_Send"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("failed: "), std::string::npos) << e.what();
  }
}

TEST(Mpi, RequestsCompleteAndPendingReceivesAreCancelledOnDestruction) {
  const int rank = world_rank(), size = world_size();
  if (size < 2) GTEST_SKIP() << "needs two ranks";
  if (rank == 0) {
    // A receive nobody will ever match: its destructor must cancel it, not hang.
    std::vector<char> never(16);
    { mpi::Request r = mpi::irecv_bytes(never.data(), 16, 1, 999); EXPECT_TRUE(r.pending()); }
    int got = 0;
    mpi::Request r = mpi::irecv_bytes(&got, sizeof got, 1, 7);
    mpi::Backoff backoff;
    std::optional<MPI_Status> status;
    while (!(status = r.test())) backoff.pause();
    EXPECT_EQ(got, 42);
    EXPECT_EQ(status->MPI_SOURCE, 1);
    EXPECT_FALSE(r.pending());
  } else if (rank == 1) {
    const int value = 42;
    mpi::Request s = mpi::isend_bytes(&value, sizeof value, 0, 7);
    mpi::Backoff backoff;
    while (!s.test()) backoff.pause();
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

TEST(Backoff, GrowsToItsMaximumAndResets) {
  using namespace std::chrono;
  mpi::Backoff b(microseconds(100), microseconds(400));
  const auto start = steady_clock::now();
  for (int i = 0; i < 5; ++i) b.pause();  // 100 + 200 + 400 + 400 + 400 µs at least
  EXPECT_GE(duration_cast<microseconds>(steady_clock::now() - start).count(), 1500);
}

}  // namespace
}  // namespace cdcnn
