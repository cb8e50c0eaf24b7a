#include "plan/memory.hpp"

#include <algorithm>
#include <cmath>

#include "codes/encoding.hpp"
#include "core/error.hpp"
#include "core/text_table.hpp"
#include "plan/profile.hpp"

namespace cdcnn {

namespace {

constexpr std::int64_t kFloat = sizeof(float);
constexpr std::int64_t kHeaderBytes = kMessageHeaderBytes;

std::int64_t bytes(const Shape& shape) { return numel(shape) * kFloat; }

/// One split layer with the sizes the estimate needs.
struct Split {
  std::size_t layer = 0;
  std::vector<int> ranks;
  int n = 0, k = 0;
  std::int64_t shard = 0;   // one shard's weights and bias
  std::int64_t bias = 0;    // one shard's bias
  std::int64_t block = 0;   // one shard's result, rows_per_block × P
  std::int64_t input = 0;   // the layer's input
  std::int64_t output = 0;  // m × P
};

double mb(std::int64_t b) { return static_cast<double>(b) / 1e6; }

}  // namespace

std::int64_t RankMemory::total() const { return base + weights + shards + std::max(startup, activations + workspace); }

int plan_world_size(const Plan& plan) {
  int most = 0;
  for (const auto& s : plan.splits)
    for (int r : s.ranks) most = std::max(most, r);
  for (int r : plan.input.ranks) most = std::max(most, r);
  return most + 1;
}

std::vector<RankMemory> estimate_memory(const Model& model, const Plan& plan, int world_size,
                                        const MemoryOptions& options, const CodeRegistry& registry) {
  check_plan_against_model(plan, model);
  require(world_size >= 1, "memory estimate: a world of ", world_size, " ranks");
  std::vector<Split> splits;
  std::vector<bool> split_layer(model.size(), false);
  for (const auto& line : plan.splits) {
    const std::unique_ptr<Code> code = make_code(plan, line, registry);
    require(!line.ranks.empty(), plan.where(line), ": layer '", line.layer, "' has no ranks (memory is per rank)");
    for (int r : line.ranks)
      require(r >= 1 && r < world_size, plan.where(line), ": rank ", r, " is not a worker of ", world_size, " ranks");
    Split s;
    s.layer = model.index_of(line.layer);
    s.ranks = line.ranks;
    s.n = code->n();
    s.k = code->k();
    const LinearLayer& linear = *model.layer(s.layer).as_linear();
    const Index rpb = rows_per_block(linear.rows(), s.k);
    const Index positions = numel(model.output_shape_of(s.layer)) / linear.rows();
    s.shard = rpb * (linear.cols() + 1) * kFloat;
    s.bias = rpb * kFloat;
    s.block = rpb * positions * kFloat;
    s.input = bytes(model.input_shape_of(s.layer));
    s.output = linear.rows() * positions * kFloat;
    splits.push_back(s);
    split_layer[s.layer] = true;
  }
  auto workspace = [&](std::size_t layer) {
    const LinearLayer* linear = model.layer(layer).as_linear();
    return linear ? linear->workspace_bytes(model.input_shape_of(layer)) : 0;
  };
  std::int64_t largest_result = 0, largest_input = 0;
  for (const auto& s : splits) {
    largest_result = std::max(largest_result, s.block);
    largest_input = std::max(largest_input, s.input);
  }

  std::vector<RankMemory> out(static_cast<std::size_t>(world_size));
  for (int r = 0; r < world_size; ++r) out[static_cast<std::size_t>(r)].rank = r;

  // The master.
  RankMemory& master = out[0];
  std::int64_t split_weights = 0, largest_split = 0, band = 0;
  for (std::size_t i = 0; i < model.size(); ++i) {
    const std::int64_t params = model.layer(i).parameter_count() * kFloat;
    if (split_layer[i]) {
      split_weights += params;
      largest_split = std::max(largest_split, params);
    } else {
      master.weights += params;
    }
    if (!split_layer[i] || options.master_verifies) {  // the master runs its forward()
      const LinearLayer* linear = model.layer(i).as_linear();
      if (!linear) continue;
      master.weights += linear->forward_retained_bytes();
      band = std::max(band, linear->forward_workspace_bytes(model.input_shape_of(i)));
    }
  }
  if (options.master_verifies) master.weights += split_weights;
  std::int64_t at_split = 0, largest_shard = 0;
  for (const auto& s : splits) {
    at_split = std::max(at_split, s.input + kHeaderBytes + (s.n + s.k) * s.block + s.output);
    largest_shard = std::max(largest_shard, s.shard + kHeaderBytes);
  }
  // Each split layer's output storage is kept as a spare between frames
  // (ModelPass::keep_spares): no allocation per layer per frame.
  std::int64_t spares = 0;
  for (const auto& s : splits) spares += s.output;
  master.activations = model.peak_activation_bytes() + at_split + spares +
                       (world_size - 1) * (splits.empty() ? 0 : largest_result + kHeaderBytes);
  master.workspace = options.threads * band;
  if (options.master_sends_weights && !splits.empty())
    master.startup = (options.master_verifies ? 0 : largest_split) + largest_shard;  // one split layer at a time

  // The workers.
  for (int r = 1; r < world_size; ++r) {
    RankMemory& w = out[static_cast<std::size_t>(r)];
    std::int64_t at_layer = 0, shard = 0, bands = 0;  // shard: the largest message of a shard's bias
    std::int64_t inputs = 0;  // one input tensor kept per split layer it holds (worker.cpp)
    for (const auto& s : splits) {
      const auto held = std::count(s.ranks.begin(), s.ranks.end(), r);
      if (held == 0) continue;
      w.shards += held * s.shard;
      shard = std::max(shard, s.bias + kHeaderBytes);
      inputs += s.input;
      at_layer = std::max(at_layer, 2 * held * (s.block + kHeaderBytes));
      bands = std::max(bands, workspace(s.layer));
    }
    // The receive buffer is sized for the largest input of any split layer.
    w.activations = (splits.empty() ? 0 : largest_input + kHeaderBytes) + inputs + at_layer;
    w.workspace = options.threads * bands;
    w.startup = shard;
  }
  for (int r : plan.input.ranks)
    if (r >= 0 && r < world_size) out[static_cast<std::size_t>(r)].activations += bytes(model.input_shape());
  return out;
}

std::string format_memory_table(const std::vector<RankMemory>& ranks, const std::vector<double>& measured_mb) {
  const bool measured = std::any_of(measured_mb.begin(), measured_mb.end(), [](double v) { return !std::isnan(v); });
  std::vector<std::vector<std::string>> rows{
      {"rank", "weights MB", "shards MB", "activations MB", "workspace MB", "start-up MB", "base MB", "estimate MB"}};
  if (measured) rows[0].push_back("measured peak MB");
  for (const auto& m : ranks) {
    rows.push_back({std::to_string(m.rank), format_cell(mb(m.weights), "%.1f"), format_cell(mb(m.shards), "%.1f"),
                    format_cell(mb(m.activations), "%.1f"), format_cell(mb(m.workspace), "%.1f"),
                    format_cell(mb(m.startup), "%.1f"), format_cell(mb(m.base), "%.0f"),
                    format_cell(mb(m.total()), "%.0f")});
    if (measured) {
      const auto r = static_cast<std::size_t>(m.rank);
      rows.back().push_back(r < measured_mb.size() && !std::isnan(measured_mb[r]) ? format_cell(measured_mb[r], "%.0f")
                                                                                  : "?");
    }
  }
  return format_text_table(rows, std::vector<Align>(rows[0].size(), Align::right));
}

void check_memory(const std::vector<RankMemory>& ranks, double limit_mb, const std::string& flag) {
  if (limit_mb <= 0) return;
  for (const auto& m : ranks)
    require(static_cast<double>(m.total()) <= limit_mb * 1e6, flag, ": rank ", m.rank, " needs an estimated ",
            format_cell(mb(m.total()), "%.0f"), " MB, more than ", flag, " ", format_cell(limit_mb, "%g"),
            " (add ranks, split more, or raise ", flag, ")");
}

}  // namespace cdcnn
