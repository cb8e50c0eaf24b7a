#include "runtime/link_probe.hpp"

#include <algorithm>
#include <string>

#include "core/error.hpp"
#include "core/percentile.hpp"
#include "runtime/mpi.hpp"

namespace cdcnn::runtime {

namespace {

constexpr int kPing = 21, kReport = 22;

/// Median round trip (ms) of `bytes` from `self` to `peer` and back; the
/// peer echoes (echo = true).
double round_trip_ms(std::vector<char>& buffer, int bytes, int peer, bool echo, int repeats) {
  std::vector<double> times;
  for (int i = 0; i <= repeats; ++i) {  // the first is a warm-up
    if (echo) {
      CDCNN_CHECK_MPI(MPI_Recv(buffer.data(), bytes, MPI_BYTE, peer, kPing, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
      CDCNN_CHECK_MPI(MPI_Send(buffer.data(), bytes, MPI_BYTE, peer, kPing, MPI_COMM_WORLD));
      continue;
    }
    const double t0 = MPI_Wtime();
    CDCNN_CHECK_MPI(MPI_Send(buffer.data(), bytes, MPI_BYTE, peer, kPing, MPI_COMM_WORLD));
    CDCNN_CHECK_MPI(MPI_Recv(buffer.data(), bytes, MPI_BYTE, peer, kPing, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
    if (i > 0) times.push_back((MPI_Wtime() - t0) * 1e3);
  }
  return echo ? 0.0 : percentile(std::move(times), 50);
}

}  // namespace

std::vector<LinkProfile> measure_links(const LinkProbeOptions& options) {
  require(options.repeats >= 1, "--link-repeats must be at least 1");
  require(options.large_bytes >= 1 && options.large_bytes <= (std::int64_t{1} << 30),
          "--link-bytes must be between 1 and 2^30");
  int rank = 0, world = 1;
  CDCNN_CHECK_MPI(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  CDCNN_CHECK_MPI(MPI_Comm_size(MPI_COMM_WORLD, &world));

  const std::vector<std::string> hosts = mpi::gather_hosts();

  const int small = 8, large = static_cast<int>(options.large_bytes);
  std::vector<char> buffer(static_cast<std::size_t>(large), 0);
  std::vector<LinkProfile> links;
  for (int a = 0; a < world; ++a)
    for (int b = a + 1; b < world; ++b) {
      mpi::barrier();
      double result[2] = {0, 0};  // latency ms, bandwidth MB/s, measured by a
      if (rank == a || rank == b) {
        const int peer = rank == a ? b : a;
        const bool echo = rank == b;
        const double small_rt = round_trip_ms(buffer, small, peer, echo, options.repeats);
        const double large_rt = round_trip_ms(buffer, large, peer, echo, options.repeats);
        const double latency = small_rt / 2;
        // The large message's one-way time beyond the latency is its transfer.
        const double transfer_ms = std::max(large_rt / 2 - latency, 1e-6);
        result[0] = latency;
        result[1] = static_cast<double>(large) / 1e6 / (transfer_ms / 1e3);
      }
      if (a != 0 && rank == a) CDCNN_CHECK_MPI(MPI_Send(result, 2, MPI_DOUBLE, 0, kReport, MPI_COMM_WORLD));
      if (rank != 0) continue;
      if (a != 0) CDCNN_CHECK_MPI(MPI_Recv(result, 2, MPI_DOUBLE, a, kReport, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
      links.push_back({a, b, hosts[static_cast<std::size_t>(a)], hosts[static_cast<std::size_t>(b)], result[0], result[1]});
    }
  mpi::barrier();
  return links;
}

}  // namespace cdcnn::runtime
