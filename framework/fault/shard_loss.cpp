#include "fault/shard_loss.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "codes/combinations.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"

namespace cdcnn {

namespace {

const LinearLayer& linear_layer(const Model& model, std::size_t index) {
  const Layer& layer = model.layer(index);
  const LinearLayer* linear = layer.as_linear();
  if (!linear) {
    std::string known;
    for (std::size_t i = 0; i < model.size(); ++i)
      if (model.layer(i).as_linear()) known += (known.empty() ? "" : ", ") + model.layer(i).name();
    throw Error(cat(layer.where(), " of model '", model.name(), "' is not a dense or conv layer, it cannot be split",
                    " (linear layers: ", known, ")"));
  }
  return *linear;
}

ShardMask complement(const ShardMask& mask) {
  ShardMask out(mask.size());
  for (std::size_t j = 0; j < mask.size(); ++j) out[j] = !mask[j];
  return out;
}

Index argmax(const Tensor& y) {
  return std::max_element(y.values().begin(), y.values().end()) - y.values().begin();
}

}  // namespace

ShardLoss::ShardLoss(const Model& model, const std::string& layer, std::shared_ptr<const Code> code)
    : model_(model),
      layer_index_(model.index_of(layer)),
      layer_(linear_layer(model, layer_index_)),
      code_(std::move(code)) {
  require(code_ != nullptr, "shard loss: no code given");
  require(code_->k() <= layer_.rows(), layer_.where(), ": cannot split its ", layer_.rows(), " output rows ",
          code_->k(), " ways (k must be at most the rows)");
  encoded_ = encode_layer(*code_, layer_.weight(), layer_.bias());
  const int n = code_->n();
  const Index rpb = encoded_.rows_per_block;
  stacked_weights_.resize(n * rpb, encoded_.cols);
  stacked_biases_.resize(n * rpb);
  for (int j = 0; j < n; ++j) {
    stacked_weights_.middleRows(j * rpb, rpb) = encoded_.weights[static_cast<std::size_t>(j)];
    stacked_biases_.segment(j * rpb, rpb) = encoded_.biases[static_cast<std::size_t>(j)];
  }
}

Index ShardLoss::rows_of_block(int block) const {
  require(block >= 0 && block < code_->k(), "shard loss: block ", block, " is not in 0..", code_->k() - 1);
  return std::max<Index>(0, std::min(encoded_.rows_per_block, encoded_.rows - block * encoded_.rows_per_block));
}

void ShardLoss::check_lost(const ShardMask& lost) const {
  require(static_cast<int>(lost.size()) == code_->n(), "shard loss: the loss mask has ", lost.size(),
          " entries, code ", code_->spec(), " with k=", code_->k(), " has n=", code_->n(), " shards");
}

ShardMask ShardLoss::missing_blocks(const ShardMask& lost) const {
  check_lost(lost);
  return unheld_blocks(*code_, complement(lost));
}

ShardMask ShardLoss::lost_blocks(const ShardMask& lost) const {
  check_lost(lost);
  ShardMask blocks(static_cast<std::size_t>(code_->k()), true);
  ShardMask seen(static_cast<std::size_t>(code_->k()), false);
  for (int j = 0; j < code_->n(); ++j) {
    const int i = code_->verbatim_block(j);
    if (i < 0 || seen[static_cast<std::size_t>(i)]) continue;
    seen[static_cast<std::size_t>(i)] = true;
    blocks[static_cast<std::size_t>(i)] = lost[static_cast<std::size_t>(j)];
  }
  return blocks;
}

Index ShardLoss::rows_in(const ShardMask& blocks) const {
  require(static_cast<int>(blocks.size()) == code_->k(), "shard loss: the block mask has ", blocks.size(),
          " entries, expected k=", code_->k());
  Index rows = 0;
  for (int i = 0; i < code_->k(); ++i)
    if (blocks[static_cast<std::size_t>(i)]) rows += rows_of_block(i);
  return rows;
}

std::vector<Matrix> ShardLoss::shard_outputs(const Tensor& layer_input) const {
  // One GEMM for all shards: each row of the product depends only on its own
  // row of weights, so this is every Z_j = W'_j·X + b'_j at once.
  const Matrix z = layer_.multiply(layer_input, stacked_weights_, stacked_biases_);
  const Index rpb = encoded_.rows_per_block;
  std::vector<Matrix> shards;
  shards.reserve(static_cast<std::size_t>(code_->n()));
  for (int j = 0; j < code_->n(); ++j) shards.emplace_back(z.middleRows(j * rpb, rpb));
  return shards;
}

LossyOutput ShardLoss::assemble(const std::vector<Matrix>& shards, const ShardMask& lost,
                                const Shape& input_shape) const {
  check_lost(lost);
  const int n = code_->n(), k = code_->k();
  require(static_cast<int>(shards.size()) == n, "shard loss: ", shards.size(), " shard outputs, expected n=", n);
  // The runtime master's own decode-or-zero-fill, under --policy zero-fill.
  const Index cols = shards.front().cols();
  std::vector<Matrix> data(static_cast<std::size_t>(k), Matrix(encoded_.rows_per_block, cols));
  std::vector<std::span<const float>> in(static_cast<std::size_t>(n));
  for (int j = 0; j < n; ++j)
    if (!lost[static_cast<std::size_t>(j)])
      in[static_cast<std::size_t>(j)] = {shards[static_cast<std::size_t>(j)].data(),
                                         static_cast<std::size_t>(shards[static_cast<std::size_t>(j)].size())};
  std::vector<std::span<float>> out;
  for (auto& d : data) out.emplace_back(d.data(), static_cast<std::size_t>(d.size()));
  const Recovery recovery = recover_blocks(*code_, in, out, Undecodable::zero_fill);
  LossyOutput result;
  result.outcome = recovery.outcome;
  result.blocks_decoded = recovery.blocks_decoded();
  result.zeroed = recovery.zeroed;
  result.output = layer_.raise(assemble_output(data, encoded_.rows), input_shape);
  return result;
}

LossyOutput ShardLoss::forward(const Tensor& x, const ShardMask& lost) const {
  require(x.shape() == model_.input_shape(), "model '", model_.name(), "' expects input of shape ",
          to_string(model_.input_shape()), ", got ", to_string(x.shape()));
  ModelPass pass(model_, x);
  pass.run_until(layer_index_);
  LossyOutput out = assemble(shard_outputs(pass.input()), lost, pass.input().shape());
  pass.give(std::move(out.output));
  pass.run_until(model_.size());
  out.output = pass.take_output();
  return out;
}

std::vector<ShardMask> loss_sets(int n, const std::vector<int>& candidates, int count, int max_sets,
                                 std::uint64_t seed) {
  const int c = static_cast<int>(candidates.size());
  require(n >= 1, "loss sets: n must be at least 1, got ", n);
  for (int s : candidates) require(s >= 0 && s < n, "loss sets: shard ", s, " is not in 0..", n - 1);
  require(std::set<int>(candidates.begin(), candidates.end()).size() == candidates.size(),
          "loss sets: a shard is listed twice");
  require(count >= 0 && count <= c, "loss sets: cannot lose ", count, " of ", c, " shards");
  require(max_sets >= 1, "loss sets: at most ", max_sets, " sets asked for, need at least 1");

  // C(c, count), stopping as soon as it exceeds max_sets (no overflow).
  double subsets = 1.0;
  for (int i = 0; i < count; ++i) subsets = subsets * (c - i) / (i + 1);
  std::set<std::vector<int>> chosen;  // positions in `candidates`, ascending
  if (std::llround(subsets) <= max_sets) {
    for_each_combination(c, count, [&](std::span<const int> pick) { chosen.emplace(pick.begin(), pick.end()); });
  } else {
    Rng rng(seed);
    std::vector<int> order(static_cast<std::size_t>(c));
    while (static_cast<int>(chosen.size()) < max_sets) {
      for (int i = 0; i < c; ++i) order[static_cast<std::size_t>(i)] = i;
      for (int i = 0; i < count; ++i) {  // partial Fisher–Yates
        const int r = i + static_cast<int>(rng.next() % static_cast<std::uint64_t>(c - i));
        std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(r)]);
      }
      std::vector<int> pick(order.begin(), order.begin() + count);
      std::sort(pick.begin(), pick.end());
      chosen.insert(pick);
    }
  }
  std::vector<ShardMask> sets;
  for (const auto& pick : chosen) {
    ShardMask lost(static_cast<std::size_t>(n), false);
    for (int p : pick) lost[static_cast<std::size_t>(candidates[static_cast<std::size_t>(p)])] = true;
    sets.push_back(std::move(lost));
  }
  // Lexicographic in the shards lost (as the candidates' order may differ).
  std::sort(sets.begin(), sets.end(), [](const ShardMask& a, const ShardMask& b) {
    std::vector<int> sa, sb;
    for (std::size_t j = 0; j < a.size(); ++j) {
      if (a[j]) sa.push_back(static_cast<int>(j));
      if (b[j]) sb.push_back(static_cast<int>(j));
    }
    return sa < sb;
  });
  return sets;
}

LossAccuracy::LossAccuracy(const ShardLoss& loss, std::vector<ShardMask> patterns) : loss_(loss) {
  const Code& code = loss.code();
  for (auto& lost : patterns) {
    require(static_cast<int>(lost.size()) == code.n(), "loss pattern ", format_mask(lost), " has ", lost.size(),
            " entries, code ", code.spec(), " has n=", code.n(), " shards");
    Pattern p;
    const Recovery recovery = plan_recovery(code, complement(lost), Undecodable::zero_fill);
    p.outcome = recovery.outcome;
    p.lost_rows = loss.rows_in(loss.lost_blocks(lost));
    p.decoded_rows = loss.rows_in(recovery.decoded);
    p.zeroed_rows = loss.rows_in(recovery.zeroed);
    p.lost = std::move(lost);
    patterns_.push_back(std::move(p));
  }
}

void LossAccuracy::add(const Tensor& x, Index label) {
  const Model& model = loss_.model();
  // The pass up to the split layer, copied for each output of that layer:
  // later layers may still read earlier outputs (a residual branch).
  ModelPass before(model, x);
  before.run_until(loss_.layer_index());
  const Tensor& input = before.input();
  auto finish = [&model](ModelPass pass, Tensor layer_output) {
    pass.give(std::move(layer_output));
    pass.run_until(model.size());
    return pass.take_output();
  };
  const Tensor plain = finish(before, loss_.layer().forward(input));
  require(label >= 0 && label < plain.numel(), "label ", label, " is not a class of model '", model.name(),
          "' (", plain.numel(), " outputs)");
  const Index plain_class = argmax(plain);
  plain_correct_ += plain_class == label;
  const double plain_norm = plain.flat().cast<double>().norm();

  const std::vector<Matrix> shards = loss_.shard_outputs(input);
  for (Pattern& p : patterns_) {
    LossyOutput out = loss_.assemble(shards, p.lost, input.shape());
    const Tensor y = finish(before, std::move(out.output));
    const Index predicted = argmax(y);
    p.correct += predicted == label;
    p.agree += predicted == plain_class;
    const double diff = (y.flat().cast<double>() - plain.flat().cast<double>()).norm();
    p.max_rel_error = std::max(p.max_rel_error, plain_norm > 0 ? diff / plain_norm : diff);
  }
  ++images_;
}

}  // namespace cdcnn
