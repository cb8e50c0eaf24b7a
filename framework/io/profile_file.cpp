#include "io/profile_file.hpp"

#include <cmath>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "io/hdf5.hpp"

namespace cdcnn {

namespace {

constexpr const char* kFormat = "cdcnn-profile";
constexpr std::int64_t kFormatVersion = 1;

/// A scalar attribute: Error naming it unless it holds exactly one value.
std::int64_t one_int(const h5::Location& g, const std::string& key) {
  const auto v = g.read_ints(key);
  require(v.size() == 1, g.where(), ": attribute '", key, "' must be one integer");
  return v[0];
}
double one_time(const h5::Location& g, const std::string& key) {
  const auto v = g.read_reals(key);
  require(v.size() == 1 && std::isfinite(v[0]) && v[0] >= 0, g.where(), ": attribute '", key,
          "' must be one non-negative number");
  return v[0];
}
/// A list attribute of `count` entries.
template <class T>
std::vector<T> list(const h5::Location& g, const std::string& key, std::size_t count, std::vector<T> values) {
  require(values.size() == count, g.where(), ": attribute '", key, "' has ", values.size(), " entries, expected ",
          count);
  return values;
}

}  // namespace

void save_profile(const Profile& p, const std::string& path) {
  h5::File f(path, h5::File::Mode::truncate);
  f.write_string("format", kFormat);
  f.write_ints("format_version", {kFormatVersion}, true);
  f.write_string("model", p.model);
  f.write_string("host", p.host);
  f.write_ints("repeats", {p.repeats}, true);
  const h5::Location layers = f.create_group("layers");
  layers.write_ints("count", {static_cast<std::int64_t>(p.layers.size())}, true);
  for (std::size_t i = 0; i < p.layers.size(); ++i) {
    const LayerProfile& l = p.layers[i];
    const h5::Location g = layers.create_group(std::to_string(i));
    g.write_string("name", l.name);
    g.write_string("kind", l.kind);
    g.write_reals("ms", {l.ms}, true);
    g.write_ints("input_bytes", {l.input_bytes}, true);
    g.write_ints("output_bytes", {l.output_bytes}, true);
    g.write_ints("parameter_bytes", {l.parameter_bytes}, true);
    g.write_ints("linear", {l.linear ? 1 : 0}, true);
    if (!l.linear) continue;
    g.write_ints("rows", {l.rows}, true);
    g.write_ints("cols", {l.cols}, true);
    g.write_ints("positions", {l.positions}, true);
    if (l.shards.empty()) continue;
    std::vector<std::int64_t> k, rpb, result, weight;
    std::vector<double> ms;
    for (const ShardProfile& s : l.shards) {
      k.push_back(s.k);
      rpb.push_back(s.rows_per_block);
      result.push_back(s.result_bytes);
      weight.push_back(s.weight_bytes);
      ms.push_back(s.ms);
    }
    g.write_ints("k", k);
    g.write_ints("rows_per_block", rpb);
    g.write_ints("result_bytes", result);
    g.write_ints("weight_bytes", weight);
    g.write_reals("shard_ms", ms);
  }
  const h5::Location links = f.create_group("links");
  links.write_ints("count", {static_cast<std::int64_t>(p.links.size())}, true);
  if (p.links.empty()) return;
  std::vector<std::int64_t> from, to;
  std::vector<double> latency, bandwidth;
  std::vector<std::string> from_host, to_host;
  for (const LinkProfile& l : p.links) {
    from.push_back(l.from);
    to.push_back(l.to);
    latency.push_back(l.latency_ms);
    bandwidth.push_back(l.bandwidth_MBps);
    from_host.push_back(l.from_host);
    to_host.push_back(l.to_host);
  }
  links.write_ints("from", from);
  links.write_ints("to", to);
  links.write_reals("latency_ms", latency);
  links.write_reals("bandwidth_MBps", bandwidth);
  links.write_string("from_host", join(from_host, ","));
  links.write_string("to_host", join(to_host, ","));
}

Profile load_profile(const std::string& path) {
  h5::File f(path, h5::File::Mode::read);
  require(f.has_attribute("format") && f.read_string("format") == kFormat, f.where(),
          ": not a cdcnn profile (attribute 'format' must be \"", kFormat, "\"; cdcnn profile writes one)");
  require(one_int(f, "format_version") == kFormatVersion, f.where(), ": format_version must be ", kFormatVersion);
  Profile p;
  p.model = f.read_string("model");
  p.host = f.read_string("host");
  p.repeats = static_cast<int>(one_int(f, "repeats"));
  const h5::Location layers = f.group("layers");
  const std::int64_t count = one_int(layers, "count");
  require(count >= 0 && count == static_cast<std::int64_t>(layers.children().size()), layers.where(),
          ": 'count' says ", count, " but there are ", layers.children().size(), " layer groups");
  for (std::int64_t i = 0; i < count; ++i) {
    const h5::Location g = layers.group(std::to_string(i));
    LayerProfile l;
    l.name = g.read_string("name");
    l.kind = g.read_string("kind");
    l.ms = one_time(g, "ms");
    l.input_bytes = one_int(g, "input_bytes");
    l.output_bytes = one_int(g, "output_bytes");
    l.parameter_bytes = one_int(g, "parameter_bytes");
    l.linear = one_int(g, "linear") != 0;
    if (l.linear) {
      l.rows = one_int(g, "rows");
      l.cols = one_int(g, "cols");
      l.positions = one_int(g, "positions");
      if (g.has_attribute("k")) {
        const auto k = g.read_ints("k");
        const auto rpb = list(g, "rows_per_block", k.size(), g.read_ints("rows_per_block"));
        const auto result = list(g, "result_bytes", k.size(), g.read_ints("result_bytes"));
        const auto weight = list(g, "weight_bytes", k.size(), g.read_ints("weight_bytes"));
        const auto ms = list(g, "shard_ms", k.size(), g.read_reals("shard_ms"));
        for (std::size_t j = 0; j < k.size(); ++j) {
          require(k[j] >= 1 && rpb[j] >= 1 && std::isfinite(ms[j]) && ms[j] >= 0, g.where(), ": shard entry ", j,
                  " (k=", k[j], ") is not a valid measurement");
          l.shards.push_back({static_cast<int>(k[j]), rpb[j], ms[j], result[j], weight[j]});
        }
      }
    }
    p.layers.push_back(std::move(l));
  }
  const h5::Location links = f.group("links");
  const std::int64_t n = one_int(links, "count");
  if (n > 0) {
    const auto size = static_cast<std::size_t>(n);
    const auto from = list(links, "from", size, links.read_ints("from"));
    const auto to = list(links, "to", size, links.read_ints("to"));
    const auto latency = list(links, "latency_ms", size, links.read_reals("latency_ms"));
    const auto bandwidth = list(links, "bandwidth_MBps", size, links.read_reals("bandwidth_MBps"));
    const auto from_host = list(links, "from_host", size, split(links.read_string("from_host"), ','));
    const auto to_host = list(links, "to_host", size, split(links.read_string("to_host"), ','));
    for (std::size_t j = 0; j < size; ++j)
      p.links.push_back({static_cast<int>(from[j]), static_cast<int>(to[j]), from_host[j], to_host[j], latency[j],
                         bandwidth[j]});
  }
  return p;
}

}  // namespace cdcnn
