#include "trace/summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>

#include "core/csv.hpp"
#include "core/strings.hpp"
#include "core/text_table.hpp"

namespace cdcnn {

TraceSummary summarize(const Trace& trace, const std::string& name) {
  TraceSummary s;
  s.name = name;
  if (auto it = trace.attributes.find("codes"); it != trace.attributes.end()) s.codes = it->second;
  if (auto it = trace.attributes.find("ranks"); it != trace.attributes.end()) s.ranks = std::atoi(it->second.c_str());
  std::vector<double> latencies;
  bool verified = false;
  for (const auto& r : trace.inferences) {
    latencies.push_back(r.latency_ms);
    if (r.outcome >= 0 && r.outcome < 4) ++s.outcomes[r.outcome];
    if (r.outcome <= static_cast<std::int8_t>(InferenceOutcome::recovered) && !std::isnan(r.max_relative_error)) {
      verified = true;
      s.max_relative_error = std::max(s.max_relative_error, r.max_relative_error);
    }
  }
  if (!verified) s.max_relative_error = NAN;
  s.inferences = static_cast<std::int64_t>(latencies.size());
  s.p50_ms = percentile(latencies, 50);
  s.p95_ms = percentile(latencies, 95);
  s.p99_ms = percentile(latencies, 99);
  s.max_ms = percentile(latencies, 100);
  s.mean_ms = latencies.empty() ? NAN : std::accumulate(latencies.begin(), latencies.end(), 0.0) / latencies.size();
  s.late = static_cast<std::int64_t>(trace.late.size());
  for (const auto& h : trace.health) s.suspicions += h.event == 0;

  // The slowest used shard of every (inference, layer).
  std::map<std::pair<std::int64_t, std::int32_t>, double> slowest;
  for (const auto& sh : trace.shards) {
    if (sh.fate != static_cast<std::int8_t>(ShardFate::used) || std::isnan(sh.compute_ms)) continue;
    double& w = slowest[{sh.inference, sh.layer}];
    w = std::max(w, sh.compute_ms + (std::isnan(sh.injected_delay_ms) ? 0.0 : sh.injected_delay_ms));
  }
  std::vector<double> overheads;
  for (const auto& l : trace.layers) {
    auto it = slowest.find({l.inference, l.layer});
    if (it == slowest.end() || l.outcome > static_cast<std::int8_t>(InferenceOutcome::recovered)) continue;
    overheads.push_back(l.complete_ms - l.dispatch_ms - it->second - l.decode_ms);
  }
  s.overhead_ms_per_layer = percentile(overheads, 50);
  return s;
}

namespace {

std::string number(double v, const char* format = "%.2f") {
  if (std::isnan(v)) return "-";
  char b[64];
  std::snprintf(b, sizeof b, format, v);
  return b;
}

std::vector<std::vector<std::string>> cells(const std::vector<TraceSummary>& rows) {
  std::vector<std::vector<std::string>> out = {{"run", "codes", "ranks", "inferences", "p50_ms", "p95_ms", "p99_ms",
                                                "max_ms", "exact", "recovered", "degraded", "failed", "late",
                                                "suspicions", "max_rel_error", "overhead_ms_per_layer"}};
  for (const auto& r : rows)
    out.push_back({r.name, r.codes, std::to_string(r.ranks), std::to_string(r.inferences), number(r.p50_ms),
                   number(r.p95_ms), number(r.p99_ms), number(r.max_ms), std::to_string(r.outcomes[0]),
                   std::to_string(r.outcomes[1]), std::to_string(r.outcomes[2]), std::to_string(r.outcomes[3]),
                   std::to_string(r.late), std::to_string(r.suspicions), number(r.max_relative_error, "%.2g"),
                   number(r.overhead_ms_per_layer, "%.3f")});
  return out;
}

}  // namespace

std::string format_table(const std::vector<TraceSummary>& rows) {
  auto c = cells(rows);
  // The codes column is long (one entry per split layer): show only the
  // distinct codes, which is what a comparison table needs.
  for (std::size_t i = 1; i < c.size(); ++i) {
    std::vector<std::string> distinct;
    std::size_t pos = 0;
    const std::string& codes = c[i][1];
    while (pos < codes.size()) {
      const auto end = std::min(codes.find(' ', pos), codes.size());
      const std::string item = codes.substr(pos, end - pos);
      const auto eq = item.find('=');
      const std::string code = eq == std::string::npos ? item : item.substr(eq + 1);
      if (std::find(distinct.begin(), distinct.end(), code) == distinct.end()) distinct.push_back(code);
      pos = end + 1;
    }
    const std::string joined = join(distinct, "+");
    c[i][1] = joined.empty() ? "(none split)" : joined;
  }
  // Text left, numbers right.
  std::vector<Align> align(c[0].size(), Align::right);
  align[0] = align[1] = Align::left;
  return format_text_table(c, align);
}

std::string format_csv(const std::vector<TraceSummary>& rows) { return csv_text(cells(rows)); }

}  // namespace cdcnn
