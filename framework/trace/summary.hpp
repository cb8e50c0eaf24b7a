#pragma once
// What a run's trace says in one row: latency percentiles, outcomes, late
// results, accuracy against single-process inference, and the framework's own
// overhead per split layer. `cdcnn run` prints it at the end; `cdcnn report`
// prints it for any number of traces, side by side, as a table or CSV.

#include <cstdint>
#include <string>
#include <vector>

#include "core/percentile.hpp"
#include "trace/trace.hpp"

namespace cdcnn {

struct TraceSummary {
  std::string name;   ///< the trace's file name without directory and extension
  std::string codes;  ///< "conv1=sum conv2=sum ..." as the run recorded it
  int ranks = 0;
  std::int64_t inferences = 0;
  double p50_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0, mean_ms = 0;
  std::int64_t outcomes[4] = {0, 0, 0, 0};  ///< exact, recovered, degraded, failed
  std::int64_t late = 0;
  std::int64_t suspicions = 0;
  double max_relative_error = 0;  ///< over exact and recovered inferences; NaN if not verified
  /// Median over split layers of: (complete − dispatch) − the slowest used
  /// shard's (compute + injected delay) − decode. What the framework adds
  /// (messages, copies, polling) on top of the work it waited for.
  double overhead_ms_per_layer = 0;
};

TraceSummary summarize(const Trace& trace, const std::string& name);

/// An aligned table with a header line, one row per summary.
std::string format_table(const std::vector<TraceSummary>& rows);
/// CSV with a header line (RFC 4180 fields: core/csv.hpp).
std::string format_csv(const std::vector<TraceSummary>& rows);

}  // namespace cdcnn
