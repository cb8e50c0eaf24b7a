#pragma once
// The per-run trace (docs/architecture.md §5): one HDF5 file with the run's configuration
// as attributes and five tables appended while the run goes on —
//   /inferences   one row per inference: latency and outcome
//   /layers       one row per (inference, split layer): dispatch, decodable, decode time
//   /shards       one row per shard dispatched: rank, times, injected delay, fate
//   /late         one row per result that arrived after its layer was done
//   /health       one row per worker health event: suspected, probed, readmitted,
//                 unresponsive at the stop (runtime/health.hpp)
// and one table of fixed size, made when the file is opened and filled in later —
//   /ranks        one row per rank: host, estimated memory (plan/memory.hpp),
//                 measured peak resident memory (NaN until the run ends)
// The file is written in HDF5's SWMR mode and flushed after every inference,
// so a run killed at any point (SIGTERM, SIGKILL, power loss) leaves a valid
// file holding every inference flushed before the kill; h5py and h5dump open it.
// Times are milliseconds since the run started, on the master's clock.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "codes/outcome.hpp"

namespace cdcnn {

// InferenceOutcome and CheckResult, the outcome columns: codes/outcome.hpp.

enum class ShardFate : std::int8_t {
  used = 0,            ///< arrived in time and went into the layer's output
  unneeded = 1,        ///< arrived in time, but the layer was complete without it
  decoded_around = 2,  ///< had not arrived when the layer completed by decoding
  lost = 3,            ///< had not arrived and the layer could not be completed
  skipped = 4,         ///< not sent: its rank was suspected and the layer decodable without it
  corrupt = 5,         ///< arrived with wrong numbers (NaN/Inf, or located by the consistency check): not used
};

struct InferenceRecord {
  std::int64_t inference;
  double start_ms;
  double latency_ms;
  std::int8_t outcome;  ///< InferenceOutcome
  std::int32_t blocks_decoded;
  double max_relative_error;  ///< against single-process inference; NaN when not verified
  std::int8_t check = 0;      ///< CheckResult
};

struct LayerRecord {
  std::int64_t inference;
  std::int32_t layer;        ///< index in the model
  double dispatch_ms;        ///< the master began sending the input (packing it included)
  double complete_ms;        ///< output assembled (or the deadline gave up)
  double decode_ms;          ///< time spent decoding (0 if nothing was missing)
  std::int32_t shards;       ///< n
  std::int32_t arrived;      ///< shards that arrived before completion
  std::int32_t blocks_decoded;
  std::int8_t outcome;       ///< InferenceOutcome for this layer
};

struct ShardRecord {
  std::int64_t inference;
  std::int32_t layer;
  std::int32_t shard;
  std::int32_t rank;
  double dispatch_ms;
  double arrival_ms;         ///< NaN if it had not arrived when the layer completed
  double compute_ms;         ///< as reported by the worker (NaN if unknown)
  double injected_delay_ms;  ///< as reported by the worker (NaN if unknown)
  std::int8_t fate;          ///< ShardFate
};

struct LateRecord {
  std::int64_t inference;
  std::int32_t layer;
  std::int32_t shard;
  std::int32_t rank;
  double arrival_ms;
};

struct HealthRecord {
  double time_ms;
  std::int32_t rank;
  std::int64_t inference;  ///< the newest inference the rank had been sent
  std::int8_t event;       ///< runtime::HealthEvent: 0 suspected, 1 probed, 2 readmitted, 3 unresponsive
};

/// A row of /ranks. The host is cut to 63 characters.
struct RankRecord {
  std::int32_t rank;
  char host[64];        ///< NUL-terminated
  double estimated_mb;  ///< plan/memory.hpp's total (10^6 bytes); NaN if unknown
  double peak_mb;       ///< measured peak resident memory (MB); NaN until the run ends, or unknown
};
/// A row of /ranks from its values.
RankRecord rank_record(int rank, const std::string& host, double estimated_mb, double peak_mb);

class TraceWriter {
 public:
  /// Creates `path` (truncating it) with the given attributes — the whole
  /// configuration, the command line, hostnames — and the /ranks table
  /// holding `ranks` (peaks NaN until set_peak_mb), then switches to SWMR.
  TraceWriter(const std::string& path, const std::map<std::string, std::string>& attributes,
              const std::vector<RankRecord>& ranks = {});

  ~TraceWriter();
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  /// Rows wait in memory until the next flush.
  void add(const InferenceRecord& r) { inferences_.push_back(r); }
  void add(const LayerRecord& r) { layers_.push_back(r); }
  void add(const ShardRecord& r) { shards_.push_back(r); }
  void add(const LateRecord& r) { late_.push_back(r); }
  void add(const HealthRecord& r) { health_.push_back(r); }
  /// Appends everything added since the last flush and pushes it to disk.
  void flush();
  /// Rewrites /ranks with every rank's measured peak (by rank; one per row
  /// the trace was opened with, NaN for unknown) and pushes it to disk.
  /// Error if the count differs.
  void set_peak_mb(const std::vector<double>& peak_mb);
  const std::string& path() const { return path_; }

 private:
  struct Tables;  // the HDF5 file and its tables: HDF5 stays inside trace.cpp
  std::string path_;
  std::unique_ptr<Tables> tables_;
  std::vector<InferenceRecord> inferences_;
  std::vector<LayerRecord> layers_;
  std::vector<ShardRecord> shards_;
  std::vector<LateRecord> late_;
  std::vector<HealthRecord> health_;
  std::vector<RankRecord> ranks_;
};

/// A trace read back whole (tests, analyses in C++).
struct Trace {
  std::map<std::string, std::string> attributes;
  std::vector<InferenceRecord> inferences;
  std::vector<LayerRecord> layers;
  std::vector<ShardRecord> shards;
  std::vector<LateRecord> late;
  std::vector<HealthRecord> health;
  std::vector<RankRecord> ranks;  ///< empty in traces written before /ranks existed
};
Trace read_trace(const std::string& path);

}  // namespace cdcnn
