#include "trace/trace.hpp"

#include <cstddef>

#include "core/error.hpp"
#include "io/hdf5.hpp"
#include "io/table.hpp"

namespace cdcnn {

namespace {

#define CDCNN_COLUMN(Record, member, type) h5::Column{#member, offsetof(Record, member), type}

const std::vector<h5::Column>& inference_columns() {
  static const std::vector<h5::Column> c = {
      CDCNN_COLUMN(InferenceRecord, inference, H5T_NATIVE_INT64),
      CDCNN_COLUMN(InferenceRecord, start_ms, H5T_NATIVE_DOUBLE),
      CDCNN_COLUMN(InferenceRecord, latency_ms, H5T_NATIVE_DOUBLE),
      CDCNN_COLUMN(InferenceRecord, outcome, H5T_NATIVE_INT8),
      CDCNN_COLUMN(InferenceRecord, blocks_decoded, H5T_NATIVE_INT32),
      CDCNN_COLUMN(InferenceRecord, max_relative_error, H5T_NATIVE_DOUBLE),
      CDCNN_COLUMN(InferenceRecord, check, H5T_NATIVE_INT8)};
  return c;
}

const std::vector<h5::Column>& layer_columns() {
  static const std::vector<h5::Column> c = {
      CDCNN_COLUMN(LayerRecord, inference, H5T_NATIVE_INT64),   CDCNN_COLUMN(LayerRecord, layer, H5T_NATIVE_INT32),
      CDCNN_COLUMN(LayerRecord, dispatch_ms, H5T_NATIVE_DOUBLE), CDCNN_COLUMN(LayerRecord, complete_ms, H5T_NATIVE_DOUBLE),
      CDCNN_COLUMN(LayerRecord, decode_ms, H5T_NATIVE_DOUBLE),   CDCNN_COLUMN(LayerRecord, shards, H5T_NATIVE_INT32),
      CDCNN_COLUMN(LayerRecord, arrived, H5T_NATIVE_INT32),      CDCNN_COLUMN(LayerRecord, blocks_decoded, H5T_NATIVE_INT32),
      CDCNN_COLUMN(LayerRecord, outcome, H5T_NATIVE_INT8)};
  return c;
}

const std::vector<h5::Column>& shard_columns() {
  static const std::vector<h5::Column> c = {
      CDCNN_COLUMN(ShardRecord, inference, H5T_NATIVE_INT64),
      CDCNN_COLUMN(ShardRecord, layer, H5T_NATIVE_INT32),
      CDCNN_COLUMN(ShardRecord, shard, H5T_NATIVE_INT32),
      CDCNN_COLUMN(ShardRecord, rank, H5T_NATIVE_INT32),
      CDCNN_COLUMN(ShardRecord, dispatch_ms, H5T_NATIVE_DOUBLE),
      CDCNN_COLUMN(ShardRecord, arrival_ms, H5T_NATIVE_DOUBLE),
      CDCNN_COLUMN(ShardRecord, compute_ms, H5T_NATIVE_DOUBLE),
      CDCNN_COLUMN(ShardRecord, injected_delay_ms, H5T_NATIVE_DOUBLE),
      CDCNN_COLUMN(ShardRecord, fate, H5T_NATIVE_INT8)};
  return c;
}

const std::vector<h5::Column>& late_columns() {
  static const std::vector<h5::Column> c = {
      CDCNN_COLUMN(LateRecord, inference, H5T_NATIVE_INT64), CDCNN_COLUMN(LateRecord, layer, H5T_NATIVE_INT32),
      CDCNN_COLUMN(LateRecord, shard, H5T_NATIVE_INT32), CDCNN_COLUMN(LateRecord, rank, H5T_NATIVE_INT32),
      CDCNN_COLUMN(LateRecord, arrival_ms, H5T_NATIVE_DOUBLE)};
  return c;
}

const std::vector<h5::Column>& health_columns() {
  static const std::vector<h5::Column> c = {
      CDCNN_COLUMN(HealthRecord, time_ms, H5T_NATIVE_DOUBLE), CDCNN_COLUMN(HealthRecord, rank, H5T_NATIVE_INT32),
      CDCNN_COLUMN(HealthRecord, inference, H5T_NATIVE_INT64), CDCNN_COLUMN(HealthRecord, event, H5T_NATIVE_INT8)};
  return c;
}

/// The host column's type: a fixed-length string as wide as RankRecord::host.
/// Open for as long as the process (columns name their type by id); HDF5
/// closes it at exit.
hid_t host_type() {
  static const hid_t type = [] {
    const hid_t t = H5Tcopy(H5T_C_S1);
    require(t >= 0 && H5Tset_size(t, sizeof(RankRecord::host)) >= 0, "cannot make an HDF5 string type");
    return t;
  }();
  return type;
}

const std::vector<h5::Column>& rank_columns() {
  static const std::vector<h5::Column> c = {
      CDCNN_COLUMN(RankRecord, rank, H5T_NATIVE_INT32), CDCNN_COLUMN(RankRecord, host, host_type()),
      CDCNN_COLUMN(RankRecord, estimated_mb, H5T_NATIVE_DOUBLE), CDCNN_COLUMN(RankRecord, peak_mb, H5T_NATIVE_DOUBLE)};
  return c;
}

#undef CDCNN_COLUMN

template <class Record>
void append_and_clear(h5::AppendableTable& table, std::vector<Record>& pending) {
  table.append(pending.data(), pending.size());
  table.flush();
  pending.clear();
}

template <class Record>
std::vector<Record> read_table(const h5::Location& root, const char* name, const std::vector<h5::Column>& columns) {
  const auto table = h5::AppendableTable::open(root, name, sizeof(Record), columns);
  std::vector<Record> out(static_cast<std::size_t>(table.size()));
  table.read_all(out.data());
  return out;
}

}  // namespace

RankRecord rank_record(int rank, const std::string& host, double estimated_mb, double peak_mb) {
  RankRecord r{.rank = rank, .host = {}, .estimated_mb = estimated_mb, .peak_mb = peak_mb};
  host.copy(r.host, sizeof r.host - 1);
  return r;
}

struct TraceWriter::Tables {
  explicit Tables(const std::string& path) : file(path, h5::File::Mode::stream) {}
  h5::File file;
  std::unique_ptr<h5::AppendableTable> inferences, layers, shards, late, health, ranks;
};

TraceWriter::TraceWriter(const std::string& path, const std::map<std::string, std::string>& attributes,
                         const std::vector<RankRecord>& ranks)
    : path_(path), tables_(std::make_unique<Tables>(path)), ranks_(ranks) {
  h5::File& file = tables_->file;
  file.write_string("format", "cdcnn-trace");
  file.write_ints("format_version", {1}, true);
  for (const auto& [key, value] : attributes) file.write_string(key, value);
  tables_->inferences =
      std::make_unique<h5::AppendableTable>(file, "inferences", sizeof(InferenceRecord), inference_columns(), 64);
  tables_->layers = std::make_unique<h5::AppendableTable>(file, "layers", sizeof(LayerRecord), layer_columns());
  tables_->shards = std::make_unique<h5::AppendableTable>(file, "shards", sizeof(ShardRecord), shard_columns(), 1024);
  tables_->late = std::make_unique<h5::AppendableTable>(file, "late", sizeof(LateRecord), late_columns());
  tables_->health = std::make_unique<h5::AppendableTable>(file, "health", sizeof(HealthRecord), health_columns());
  // Its rows exist from the start (SWMR allows no new dataset later, and a
  // killed run keeps the estimates); only their values change.
  tables_->ranks = std::make_unique<h5::AppendableTable>(file, "ranks", sizeof(RankRecord), rank_columns(), 64);
  tables_->ranks->append(ranks_.data(), ranks_.size());
  file.start_streaming();
}

TraceWriter::~TraceWriter() = default;

void TraceWriter::flush() {
  // Shards and layers before inferences: a reader never sees an inference row
  // whose details are not on disk yet.
  append_and_clear(*tables_->shards, shards_);
  append_and_clear(*tables_->late, late_);
  append_and_clear(*tables_->health, health_);
  append_and_clear(*tables_->layers, layers_);
  append_and_clear(*tables_->inferences, inferences_);
}

void TraceWriter::set_peak_mb(const std::vector<double>& peak_mb) {
  require(peak_mb.size() == ranks_.size(), path_, ": ", peak_mb.size(), " peaks for a trace opened with ",
          ranks_.size(), " ranks");
  for (std::size_t r = 0; r < ranks_.size(); ++r) ranks_[r].peak_mb = peak_mb[r];
  tables_->ranks->overwrite(0, ranks_.data(), ranks_.size());
  tables_->ranks->flush();
}

Trace read_trace(const std::string& path) {
  h5::File file(path, h5::File::Mode::read);
  require(file.has_attribute("format") && file.read_string("format") == "cdcnn-trace", path,
          ": not a cdcnn trace file");
  Trace t;
  for (const auto& name : file.attribute_names())
    if (name != "format_version") t.attributes[name] = file.read_string(name);
  t.inferences = read_table<InferenceRecord>(file, "inferences", inference_columns());
  t.layers = read_table<LayerRecord>(file, "layers", layer_columns());
  t.shards = read_table<ShardRecord>(file, "shards", shard_columns());
  t.late = read_table<LateRecord>(file, "late", late_columns());
  // Traces written before the health table existed have none.
  if (file.has("health")) t.health = read_table<HealthRecord>(file, "health", health_columns());
  if (file.has("ranks")) t.ranks = read_table<RankRecord>(file, "ranks", rank_columns());
  return t;
}

}  // namespace cdcnn
