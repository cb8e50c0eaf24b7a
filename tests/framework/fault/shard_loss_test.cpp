#include "fault/shard_loss.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "codes/registry.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "io/inputs.hpp"
#include "io/model_file.hpp"

namespace cdcnn {
namespace {

const std::string kDataset = "/usr/share/datasets/fashion-mnist";

/// The trained Fashion-MNIST CNN: conv "0" (32 channels), conv "3" (64),
/// dense "7" (128), dense "10" (10 logits), with ReLU and pooling between.
const Model& fmnist() {
  static const Model model = open_model("fmnist-cnn");
  return model;
}

std::shared_ptr<const Code> make_code(const std::string& spec, int k) { return code_registry().make(spec, k); }

Tensor random_input(const Shape& shape, std::uint64_t seed) {
  Tensor x(shape);
  Rng rng(seed);
  for (float& v : x.values()) v = static_cast<float>(rng.normal());
  return x;
}

/// |y − reference|₂ / |reference|₂, or |y|₂ when the reference is all zeros.
double rel_error(const Tensor& y, const Tensor& reference) {
  const double scale = reference.flat().norm();
  return (y.flat() - reference.flat()).norm() / (scale > 0 ? scale : 1.0);
}

ShardMask mask(int n, const std::vector<int>& members) {
  ShardMask m(static_cast<std::size_t>(n), false);
  for (int j : members) m[static_cast<std::size_t>(j)] = true;
  return m;
}

/// The independent reference: run the model layer by layer, zero output rows
/// [first, last) of the named layer (channels of a conv: every position), go on.
Tensor zeroed_by_hand(const Model& model, const std::string& layer, const Tensor& x,
                      const std::vector<std::pair<Index, Index>>& zero_rows) {
  const std::size_t i = model.index_of(layer);
  ModelPass pass(model, x);
  pass.run_until(i);
  Tensor y = model.layer(i).forward(pass.input());
  const Index per_row = y.numel() / model.layer(i).as_linear()->rows();
  for (const auto& [first, last] : zero_rows)
    for (Index r = first; r < last; ++r)
      for (Index p = 0; p < per_row; ++p) y[r * per_row + p] = 0.0f;
  pass.give(std::move(y));
  pass.run_until(model.size());
  return pass.take_output();
}

TEST(ShardLoss, WithNothingLostEveryLayerGivesPlainInference) {
  const Model& model = fmnist();
  // k = 4 splits conv "0" 8+8+8+8, dense "10" 3+3+3+1 (two padding rows).
  for (const std::string layer : {"0", "3", "7", "10"})
    for (const std::string spec : {"uncoded", "sum"}) {
      const ShardLoss loss(model, layer, make_code(spec, 4));
      for (std::uint64_t seed = 0; seed < 3; ++seed) {
        const Tensor x = random_input(model.input_shape(), seed);
        const LossyOutput out = loss.forward(x, mask(loss.code().n(), {}));
        const Tensor plain = model.forward(x);
        EXPECT_EQ(out.outcome, InferenceOutcome::exact) << layer << " " << spec;
        EXPECT_EQ(out.blocks_decoded, 0);
        EXPECT_LT(rel_error(out.output, plain), 1e-5) << layer << " " << spec;
      }
    }
}

TEST(ShardLoss, ZeroFillOfAnUncodedShardEqualsZeroingItsRowsByHand) {
  const Model& model = fmnist();
  const Tensor x = random_input(model.input_shape(), 7);
  struct Case {
    std::string layer;
    int k;
    std::vector<int> lost;
    std::vector<std::pair<Index, Index>> rows;
  };
  const std::vector<Case> cases = {
      {"0", 4, {1}, {{8, 16}}},                  // 32 channels, 8 per block
      {"3", 4, {0, 3}, {{0, 16}, {48, 64}}},     // 64 channels, 16 per block
      {"7", 8, {2, 3, 4}, {{32, 80}}},           // 128 features, 16 per block
      {"10", 4, {3}, {{9, 10}}},                 // 10 logits in blocks of 3: the last holds one real row
      {"10", 4, {0, 1, 2, 3}, {{0, 10}}},        // everything lost
  };
  for (const auto& c : cases) {
    const ShardLoss loss(model, c.layer, make_code("uncoded", c.k));
    const LossyOutput out = loss.forward(x, mask(c.k, c.lost));
    EXPECT_EQ(out.outcome, InferenceOutcome::degraded);
    EXPECT_LT(rel_error(out.output, zeroed_by_hand(model, c.layer, x, c.rows)), 1e-5) << "layer " << c.layer;
    Index zeroed = 0;
    for (const auto& [first, last] : c.rows) zeroed += last - first;
    EXPECT_EQ(loss.rows_in(out.zeroed), zeroed) << "layer " << c.layer;
  }
}

TEST(ShardLoss, ACodeCoveringTheLossGivesPlainInference) {
  const Model& model = fmnist();
  const Tensor x = random_input(model.input_shape(), 11);
  const Tensor plain = model.forward(x);
  for (const std::string layer : {"3", "7"})
    for (const std::string spec : {"sum", "pairwise", "grouped-sum:g=2", "mds:r=2", "mds:r=3", "replication:n=2"}) {
      const ShardLoss loss(model, layer, make_code(spec, 4));
      const int n = loss.code().n();
      // Every loss set the code always survives, of every size up to its tolerance.
      for (int lost = 1; lost <= loss.code().tolerance(); ++lost) {
        std::vector<int> all(static_cast<std::size_t>(n));
        for (int j = 0; j < n; ++j) all[static_cast<std::size_t>(j)] = j;
        for (const ShardMask& set : loss_sets(n, all, lost, 1000, 0)) {
          const LossyOutput out = loss.forward(x, set);
          EXPECT_NE(out.outcome, InferenceOutcome::degraded) << spec << " " << format_mask(set);
          EXPECT_LT(rel_error(out.output, plain), 1e-4) << layer << " " << spec << " lost " << format_mask(set);
        }
      }
    }
}

TEST(ShardLoss, LosingAllDataShardsUnderAnMdsCodeWithAsManyParitiesIsDecoded) {
  const Model& model = fmnist();
  const Tensor x = random_input(model.input_shape(), 12);
  const ShardLoss loss(model, "3", make_code("mds:r=4", 4));
  const LossyOutput out = loss.forward(x, mask(8, {0, 1, 2, 3}));
  EXPECT_EQ(out.outcome, InferenceOutcome::recovered);
  EXPECT_EQ(out.blocks_decoded, 4);
  EXPECT_LT(rel_error(out.output, model.forward(x)), 1e-4);
}

TEST(ShardLoss, UndecodableKeepsTheBlocksThatArrivedVerbatimAndZeroFillsTheRest) {
  const Model& model = fmnist();
  const Tensor x = random_input(model.input_shape(), 13);
  // sum, k=4 (shard 4 the parity): two data shards lost is beyond it.
  {
    const ShardLoss loss(model, "3", make_code("sum", 4));
    const LossyOutput out = loss.forward(x, mask(5, {0, 2}));
    EXPECT_EQ(out.outcome, InferenceOutcome::degraded);
    EXPECT_EQ(out.zeroed, mask(4, {0, 2}));
    EXPECT_LT(rel_error(out.output, zeroed_by_hand(model, "3", x, {{0, 16}, {32, 48}})), 1e-5);
  }
  // mds:r=2, k=4: three data shards lost, both parities in; undecodable.
  {
    const ShardLoss loss(model, "7", make_code("mds:r=2", 4));
    const LossyOutput out = loss.forward(x, mask(6, {1, 2, 3}));
    EXPECT_EQ(out.outcome, InferenceOutcome::degraded);
    EXPECT_LT(rel_error(out.output, zeroed_by_hand(model, "7", x, {{32, 128}})), 1e-5);
  }
  // replication:n=2, k=2 (shards 2, 3 replicate blocks 0, 1): block 1's two
  // copies lost; block 0 arrived verbatim from its replica.
  {
    const ShardLoss loss(model, "7", make_code("replication:n=2", 2));
    const LossyOutput out = loss.forward(x, mask(4, {0, 1, 3}));
    EXPECT_EQ(out.outcome, InferenceOutcome::degraded);
    EXPECT_EQ(out.zeroed, mask(2, {1}));
    EXPECT_LT(rel_error(out.output, zeroed_by_hand(model, "7", x, {{64, 128}})), 1e-5);
  }
  // grouped-sum:g=2, k=4 (groups {0,1} and {2,3}, parities 4 and 5): group 1
  // lost twice makes the set undecodable. Block 2 alone could be rebuilt from
  // parity 5, but the runtime's master decodes whole sets only and zero-fills
  // every block not received verbatim — and so does the offline loss.
  {
    const ShardLoss loss(model, "3", make_code("grouped-sum:g=2", 4));
    const ShardMask lost = mask(6, {0, 1, 2});
    ShardMask arrived(6);
    for (int j = 0; j < 6; ++j) arrived[static_cast<std::size_t>(j)] = !lost[static_cast<std::size_t>(j)];
    ASSERT_TRUE(loss.code().recoverable_blocks(arrived)[2]);
    const LossyOutput out = loss.forward(x, lost);
    EXPECT_EQ(out.outcome, InferenceOutcome::degraded);
    EXPECT_EQ(out.zeroed, mask(4, {0, 1, 2}));
    EXPECT_LT(rel_error(out.output, zeroed_by_hand(model, "3", x, {{0, 48}})), 1e-5);
  }
}

TEST(ShardLoss, ALostReplicaOrParityAloneChangesNothing) {
  const Model& model = fmnist();
  const Tensor x = random_input(model.input_shape(), 14);
  const ShardLoss sum(model, "7", make_code("sum", 4));
  const LossyOutput parity_lost = sum.forward(x, mask(5, {4}));
  EXPECT_EQ(parity_lost.outcome, InferenceOutcome::exact);
  EXPECT_LT(rel_error(parity_lost.output, model.forward(x)), 1e-5);
  // A data shard lost but its replica in: received verbatim, nothing decoded.
  const ShardLoss replicated(model, "7", make_code("replication:n=2", 2));
  const LossyOutput out = replicated.forward(x, mask(4, {0}));
  EXPECT_EQ(out.outcome, InferenceOutcome::exact);
  EXPECT_EQ(replicated.lost_blocks(mask(4, {0})), mask(2, {0}));  // block 0's data shard was lost...
  EXPECT_EQ(replicated.missing_blocks(mask(4, {0})), mask(2, {}));  // ...but its replica arrived
  EXPECT_EQ(replicated.lost_blocks(mask(4, {2})), mask(2, {}));  // a replica alone is no loss
}

TEST(LossAccuracy, CountsAgainstPlainInferenceOnRealImages) {
  if (!std::filesystem::exists(kDataset)) GTEST_SKIP() << kDataset << " not installed";
  const Model& model = fmnist();
  const LabelledImages set = load_idx_dataset(kDataset);
  const ShardLoss loss(model, "3", make_code("mds:r=2", 4));
  std::vector<int> data = {0, 1, 2, 3};
  std::vector<ShardMask> patterns = {mask(6, {})};
  for (const auto& lost : loss_sets(6, data, 2, 100, 0)) patterns.push_back(lost);  // all six pairs: decodable
  patterns.push_back(mask(6, {0, 1, 2}));  // beyond the code: a quarter of the channels left
  LossAccuracy accuracy(loss, patterns);
  const Index images = 200;
  Index plain_correct = 0;
  for (Index i = 0; i < images; ++i) {
    const Tensor x = set.image(i, model.normalisation());
    accuracy.add(x, set.labels[static_cast<std::size_t>(i)]);
    const Tensor y = model.forward(x);
    plain_correct += std::max_element(y.values().begin(), y.values().end()) - y.values().begin() ==
                     set.labels[static_cast<std::size_t>(i)];
  }
  EXPECT_EQ(accuracy.images(), images);
  EXPECT_EQ(accuracy.plain_correct(), plain_correct);
  EXPECT_GE(plain_correct, 170);  // the trained model scores ~91%
  const auto& ps = accuracy.patterns();
  ASSERT_EQ(ps.size(), 8u);
  for (std::size_t p = 0; p + 1 < ps.size(); ++p) {
    EXPECT_EQ(ps[p].correct, plain_correct) << format_mask(ps[p].lost);
    EXPECT_EQ(ps[p].agree, images);
    EXPECT_LT(ps[p].max_rel_error, 1e-4);
    EXPECT_EQ(ps[p].zeroed_rows, 0);
    EXPECT_EQ(ps[p].decoded_rows, ps[p].lost_rows);
  }
  EXPECT_EQ(ps[0].outcome, InferenceOutcome::exact);
  EXPECT_EQ(ps[1].outcome, InferenceOutcome::recovered);
  EXPECT_EQ(ps[1].lost_rows, 32);
  const auto& beyond = ps.back();
  EXPECT_EQ(beyond.outcome, InferenceOutcome::degraded);
  EXPECT_EQ(beyond.lost_rows, 48);
  EXPECT_EQ(beyond.decoded_rows, 0);
  EXPECT_EQ(beyond.zeroed_rows, 48);
  EXPECT_LT(beyond.correct, plain_correct);
}

TEST(LossSets, EnumeratesEverySubsetWhenFewEnough) {
  const auto sets = loss_sets(8, {0, 1, 2, 3, 4, 5, 6, 7}, 2, 28, 0);
  ASSERT_EQ(sets.size(), 28u);
  EXPECT_EQ(sets.front(), mask(8, {0, 1}));
  EXPECT_EQ(sets[1], mask(8, {0, 2}));
  EXPECT_EQ(sets.back(), mask(8, {6, 7}));
  EXPECT_EQ(std::set<ShardMask>(sets.begin(), sets.end()).size(), 28u);
  const auto none = loss_sets(5, {0, 1, 2}, 0, 1, 0);
  ASSERT_EQ(none.size(), 1u);
  EXPECT_EQ(none[0], mask(5, {}));
  EXPECT_EQ(loss_sets(5, {1, 3}, 2, 1, 0), std::vector<ShardMask>{mask(5, {1, 3})});
}

TEST(LossSets, DrawsDistinctSetsFromTheSeedWhenThereAreTooMany) {
  const std::vector<int> all = {0, 1, 2, 3, 4, 5, 6, 7};
  const auto a = loss_sets(8, all, 4, 10, 1), b = loss_sets(8, all, 4, 10, 1), c = loss_sets(8, all, 4, 10, 2);
  ASSERT_EQ(a.size(), 10u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(std::set<ShardMask>(a.begin(), a.end()).size(), 10u);
  for (const auto& s : a) EXPECT_EQ(std::count(s.begin(), s.end(), true), 4);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end(), [](const ShardMask& x, const ShardMask& y) {
    std::vector<int> sx, sy;
    for (int j = 0; j < 8; ++j) {
      if (x[static_cast<std::size_t>(j)]) sx.push_back(j);
      if (y[static_cast<std::size_t>(j)]) sy.push_back(j);
    }
    return sx < sy;
  }));
}

TEST(LossSets, RefusesImpossibleRequests) {
  EXPECT_THROW(loss_sets(4, {0, 1}, 3, 10, 0), Error);
  EXPECT_THROW(loss_sets(4, {0, 0}, 1, 10, 0), Error);
  EXPECT_THROW(loss_sets(4, {0, 4}, 1, 10, 0), Error);
  EXPECT_THROW(loss_sets(4, {0, 1}, 1, 0, 0), Error);
}

TEST(ShardLoss, RefusesWhatCannotBeSplit) {
  const Model& model = fmnist();
  auto message = [&](auto&& make) -> std::string {
    try {
      make();
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_NE(message([&] { ShardLoss(model, "1", make_code("uncoded", 2)); }).find("not a dense or conv layer"),
            std::string::npos);
  EXPECT_NE(message([&] { ShardLoss(model, "nope", make_code("uncoded", 2)); }).find("has no layer 'nope'"),
            std::string::npos);
  EXPECT_NE(message([&] { ShardLoss(model, "10", make_code("uncoded", 11)); }).find("10 output rows 11 ways"),
            std::string::npos);
  const ShardLoss loss(model, "10", make_code("sum", 2));
  EXPECT_NE(message([&] { loss.forward(random_input(model.input_shape(), 0), mask(2, {})); }).find("n=3 shards"),
            std::string::npos);
  EXPECT_THROW(loss.forward(Tensor({1, 27, 28}), mask(3, {})), Error);
  EXPECT_THROW(LossAccuracy(loss, {mask(4, {})}), Error);
}

}  // namespace
}  // namespace cdcnn
