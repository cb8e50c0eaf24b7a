#include "plan/profile.hpp"

#include <algorithm>
#include <chrono>

#include "codes/encoding.hpp"
#include "core/error.hpp"
#include "core/percentile.hpp"
#include "core/rng.hpp"
#include "layers/merge.hpp"

namespace cdcnn {

namespace {

constexpr std::int64_t kHeaderBytes = kMessageHeaderBytes;
constexpr std::int64_t kFloat = sizeof(float);

/// Median wall time of `repeats` runs of `work`, after one untimed run.
template <class Work>
double median_ms(int repeats, Work&& work) {
  work();
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    work();
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return percentile(std::move(times), 50);
}

}  // namespace

const ShardProfile& LayerProfile::shard(int k, const std::string& where) const {
  const auto found = std::find_if(shards.begin(), shards.end(), [&](const ShardProfile& s) { return s.k == k; });
  require(found != shards.end(), where.empty() ? cat("layer '", name, "'") : where,
          ": the profile has no shard time for k=", k, " (profile it with --k ", k, ")");
  return *found;
}

Profile profile_compute(const Model& model, const ProfileOptions& options) {
  require(options.repeats >= 1, "--repeats must be at least 1");
  require(!options.ks.empty(), "--k needs at least one split width");
  for (int k : options.ks) require(k >= 1, "--k: split widths must be at least 1, got ", k);
  Profile p;
  p.model = model.name();
  p.repeats = options.repeats;

  Tensor x(model.input_shape());
  Rng rng(options.seed);
  for (float& v : x.values()) v = static_cast<float>(rng.normal());
  ModelPass pass(model, x);
  while (!pass.done()) {
    const std::size_t i = pass.next();
    const Layer& layer = model.layer(i);
    LayerProfile l;
    l.name = layer.name();
    l.kind = std::string(layer.kind());
    l.parameter_bytes = layer.parameter_count() * kFloat;
    l.output_bytes = numel(model.output_shape_of(i)) * kFloat;
    l.input_bytes = kHeaderBytes;
    for (const Shape& s : model.input_shapes_of(i)) l.input_bytes += numel(s) * kFloat;
    l.ms = median_ms(options.repeats, [&] {
      if (const MergeLayer* merge = layer.as_merge())
        (void)merge->merge(pass.inputs());
      else
        (void)layer.forward(pass.input());
    });
    if (const LinearLayer* linear = layer.as_linear()) {
      l.linear = true;
      l.rows = linear->rows();
      l.cols = linear->cols();
      l.positions = numel(model.output_shape_of(i)) / l.rows;
      const Tensor& input = pass.input();
      for (int k : options.ks) {
        if (k > l.rows) continue;
        ShardProfile s;
        s.k = k;
        s.rows_per_block = rows_per_block(l.rows, k);
        const Matrix w = linear->weight().topRows(s.rows_per_block);
        const Vector b = linear->bias().head(s.rows_per_block);
        s.ms = median_ms(options.repeats, [&] { (void)linear->multiply(input, w, b); });
        s.result_bytes = kHeaderBytes + s.rows_per_block * l.positions * kFloat;
        s.weight_bytes = s.rows_per_block * (l.cols + 1) * kFloat;
        l.shards.push_back(s);
      }
    }
    p.layers.push_back(std::move(l));
    pass.run();
  }
  return p;
}

}  // namespace cdcnn
