// cdcnn run: distributed inference under mpirun (docs/architecture.md §3). Every rank runs
// this command with the same arguments; rank 0 becomes the master, the others
// workers. The flags fill a RunConfig (cli/run_options.hpp) and
// runtime::run_distributed runs it: set-up errors are agreed on by all ranks
// (one collective at start-up), so that a bad flag or file ends every rank
// cleanly, with one line. This file adds the start-up watchdog and the summary.

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "cli/command.hpp"
#include "cli/run_options.hpp"
#include "core/error.hpp"
#include "core/text_table.hpp"
#include "runtime/mpi.hpp"
#include "runtime/run.hpp"
#include "runtime/watchdog.hpp"
#include "trace/summary.hpp"

namespace cdcnn::cli {

namespace {

using namespace runtime;

/// --startup-timeout-s, read before MPI_Init (and before the options are
/// parsed, which needs MPI to agree on errors): the default if absent or bad.
double startup_timeout_s(const Args& args) {
  const std::string flag = "--startup-timeout-s";
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string value;
    if (args[i] == flag && i + 1 < args.size()) value = args[i + 1];
    else if (args[i].rfind(flag + "=", 0) == 0) value = args[i].substr(flag.size() + 1);
    else continue;
    try {
      const double s = std::stod(value);
      if (s > 0 && std::isfinite(s)) return s;
    } catch (const std::exception&) {
    }  // the option parser says what is wrong with it
  }
  return RunConfig{}.startup_timeout_s;
}

/// The master's tally of the inferences, printed at the end.
struct Tally {
  std::vector<double> latencies;
  std::array<std::int64_t, 4> outcomes{};  // by InferenceOutcome
  std::array<std::int64_t, 5> checks{};    // by CheckResult
  double worst_error = 0.0;                // of exact and recovered outputs

  void add(const InferenceResult& r, double error) {
    latencies.push_back(r.latency_ms);
    ++outcomes[static_cast<std::size_t>(r.outcome)];
    ++checks[static_cast<std::size_t>(r.check)];
    if (!std::isnan(error) && r.outcome <= InferenceOutcome::recovered) worst_error = std::max(worst_error, error);
  }
};

/// One line per worker that had any health event, and the ranks that never
/// acknowledged the stop (mpirun does not report a worker's death).
void print_health(const std::vector<WorkerHealth::Event>& log, const std::vector<int>& unanswered) {
  std::map<int, std::array<int, 3>> counts;  // rank → suspected, probed, readmitted
  for (const auto& e : log)
    if (e.what != HealthEvent::unresponsive) ++counts[e.rank][static_cast<std::size_t>(e.what)];
  for (const auto& [rank, c] : counts)
    std::printf("worker health: rank %d suspected %d time(s), probed %d, readmitted %d\n", rank, c[0], c[1], c[2]);
  if (!unanswered.empty()) {
    std::string ranks;
    for (int r : unanswered) ranks += cat(ranks.empty() ? "" : ", ", r);
    std::printf("rank(s) %s did not acknowledge the stop: dead or unreachable\n", ranks.c_str());
  }
}

void print_summary(const RunConfig& c, const Tally& t, const RunOutcome& out, int world) {
  const auto& l = t.latencies;
  std::printf("%lld inferences on %d ranks: latency p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms\n",
              static_cast<long long>(l.size()), world, percentile(l, 50), percentile(l, 95), percentile(l, 99),
              percentile(l, 100));
  if (c.in_flight > 1 || c.rate_fps > 0)
    std::printf("throughput %.2f frames/s with %d in flight%s; frames dropped at the source %lld\n",
                out.frames_wall_s > 0 ? static_cast<double>(l.size()) / out.frames_wall_s : 0.0, c.in_flight,
                c.rate_fps > 0 ? cat(", source at ", c.rate_fps, " frames/s").c_str() : "",
                static_cast<long long>(out.frames_dropped));
  std::printf("exact %lld, recovered by decoding %lld, degraded %lld, failed %lld; late results dropped %lld\n",
              static_cast<long long>(t.outcomes[0]), static_cast<long long>(t.outcomes[1]),
              static_cast<long long>(t.outcomes[2]), static_cast<long long>(t.outcomes[3]),
              static_cast<long long>(out.late_results));
  if (c.master.check)
    std::printf("consistency check: consistent %lld, corrected %lld, unverified (no spare shard) %lld, "
                "inconsistent %lld\n",
                static_cast<long long>(t.checks[1]), static_cast<long long>(t.checks[2]),
                static_cast<long long>(t.checks[3]), static_cast<long long>(t.checks[4]));
  if (c.verify) std::printf("max relative error of exact and recovered outputs vs single-process: %.3g\n", t.worst_error);
  print_health(out.health, out.unanswered);
  // Per rank: does the plan fit the device? (A rank that did not acknowledge
  // the stop did not say.)
  std::string memory;
  for (std::size_t r = 0; r < out.peak_rss_mb.size(); ++r)
    memory += cat(r ? ", " : "", r, r < out.hosts.size() ? " (" + out.hosts[r] + ")" : "", " ",
                  std::isnan(out.peak_rss_mb[r]) ? "?" : format_cell(out.peak_rss_mb[r], "%.0f"));
  if (!memory.empty()) std::printf("peak resident memory, MB, by rank: %s\n", memory.c_str());
  if (!out.memory.empty())
    std::printf("memory by rank, MB (10^6 bytes), estimated (docs/architecture.md §3) and measured:\n%s",
                format_memory_table(out.memory, out.peak_rss_mb).c_str());
  if (!c.trace_file.empty()) std::printf("trace: %s\n", c.trace_file.c_str());
}

}  // namespace

int run_command(const Args& args) {
  // Before MPI_Init: a peer dying now leaves MPI_Init blocked for good.
  const double startup_s = startup_timeout_s(args);
  const char* env_rank = std::getenv("OMPI_COMM_WORLD_RANK");
  Watchdog startup(std::chrono::milliseconds(static_cast<std::int64_t>(std::min(startup_s, 1e9) * 1e3)),
                   cat("cdcnn run: rank ", env_rank ? env_rank : "?", ": start-up not finished after ", startup_s,
                       " s (--startup-timeout-s): a peer is presumed dead, leaving"));
  mpi::Environment env;
  std::string command_line = "cdcnn run";
  for (const auto& a : args) command_line += " " + a;
  Tally tally;
  RunConfig config;
  const RunOutcome out = run_distributed(
      config, RunHooks{.configure = [&](RunConfig& c) { return parse_run_options(args, c); },
                       .command_line = command_line,
                       .on_inference = [&](const Tensor&, InferenceResult&& r, double error) { tally.add(r, error); },
                       .startup = &startup});
  if (out.leave_code) env.leave_without_finalize(*out.leave_code);
  if (out.ran && env.rank() == 0) print_summary(config, tally, out, env.size());
  return 0;
}

}  // namespace cdcnn::cli
