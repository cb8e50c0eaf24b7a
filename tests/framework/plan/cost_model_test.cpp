#include "plan/cost_model.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "codes/registry.hpp"
#include "core/rng.hpp"

namespace cdcnn {
namespace {

std::vector<std::int64_t> counts(const std::string& spec, int k) {
  return DecodableSets(*code_registry().make(spec, k)).counts();
}

TEST(DecodableSets, CountsTheSetsEachCodeDecodesFrom) {
  // Worked by hand: sum k=2 (n=3) decodes from any 2 of 3; mds:r=2 k=2 from
  // any 2 of 4; replication n=2 k=2 (shards b0 b0' b1 b1') needs a copy of
  // each block: 2x2 sets of two, 4 of three, 1 of four.
  EXPECT_EQ(counts("sum", 2), (std::vector<std::int64_t>{0, 0, 3, 1}));
  EXPECT_EQ(counts("mds:r=2", 2), (std::vector<std::int64_t>{0, 0, 6, 4, 1}));
  EXPECT_EQ(counts("replication:n=2", 2), (std::vector<std::int64_t>{0, 0, 4, 4, 1}));
  EXPECT_EQ(counts("uncoded", 3), (std::vector<std::int64_t>{0, 0, 0, 1}));
}

TEST(FirstDecodable, OneShardIsItsDelaysQuantile) {
  const auto delay = make_delay_model("exp:mean=10");
  // Exp(mean 10): the q-quantile is -10 ln(1 - q).
  for (double q : {0.5, 0.9, 0.99})
    EXPECT_NEAR(first_decodable_quantile(counts("uncoded", 1), *delay, q), -10 * std::log(1 - q), 1e-6) << q;
}

/// The first-decodable time drawn directly: iid delays, arrivals in order,
/// the code asked after each one. An independent check of both predictions.
std::vector<double> brute_force(const Code& code, const DelayModel& delay, int samples) {
  Rng rng(99);
  std::vector<double> out;
  for (int s = 0; s < samples; ++s) {
    std::vector<std::pair<double, int>> t;
    for (int j = 0; j < code.n(); ++j) t.push_back({delay.sample_ms(rng), j});
    std::sort(t.begin(), t.end());
    ShardMask arrived(static_cast<std::size_t>(code.n()), false);
    for (const auto& [time, j] : t) {
      arrived[static_cast<std::size_t>(j)] = true;
      if (code.decodable(arrived)) {
        out.push_back(time);
        break;
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(FirstDecodable, TheFormulaAndTheSimulationMatchADirectDraw) {
  const auto delay = make_delay_model("shifted-exp:shift=2,mean=5");
  for (const std::string spec : {"sum", "mds:r=2", "replication:n=2", "pairwise"}) {
    const auto code = code_registry().make(spec, 3);
    const std::vector<double> direct = brute_force(*code, *delay, 20000);
    LayerProfile layer{.name = "fc", .kind = "dense", .linear = true, .rows = 9, .cols = 4, .positions = 1};
    layer.shards = {{3, 3, 0.0, 0, 0}};  // no compute, no transfer: the delays alone
    const LayerSamples sim = simulate_split(layer, *code, {.straggler = delay.get(), .samples = 20000, .seed = 5});
    const Prediction p = summarise(sim.ms, sim.degraded);
    for (double q : {0.5, 0.99}) {
      const double exact = first_decodable_quantile(DecodableSets(*code).counts(), *delay, q);
      const double drawn = direct[static_cast<std::size_t>(q * direct.size())];
      EXPECT_NEAR(drawn / exact, 1.0, 0.05) << spec << " q=" << q;
      EXPECT_NEAR((q == 0.5 ? p.p50_ms : p.p99_ms) / exact, 1.0, 0.05) << spec << " q=" << q;
    }
  }
}

TEST(CostModel, AddsTransfersComputeAndTheDeadline) {
  const auto code = code_registry().make("uncoded", 2);
  LayerProfile layer{.name = "fc", .kind = "dense", .input_bytes = 2000, .linear = true, .rows = 4, .cols = 4,
                     .positions = 1};
  layer.shards = {{2, 2, 3.0, 1000, 0}};
  // Latency 1 ms, 1 MB/s (1 byte per us): input 2 ms per send, sent one
  // after another; result 1 ms + 1 ms. Shard 1: 1 + 2·2 + 3 + 2 = 10 ms.
  const CostInputs in{.link = {.latency_ms = 1, .bandwidth_MBps = 1}, .samples = 10};
  const LayerSamples s = simulate_split(layer, *code, in);
  for (double ms : s.ms) EXPECT_NEAR(ms, 10.0, 1e-9);
  // Every worker down: the deadline, degraded.
  const LayerSamples down = simulate_split(layer, *code, {.fail_prob = 0.999999, .deadline_ms = 50, .samples = 10});
  for (std::size_t i = 0; i < down.ms.size(); ++i) {
    EXPECT_EQ(down.ms[i], 50.0);
    EXPECT_EQ(down.degraded[i], 1);
  }
}

}  // namespace
}  // namespace cdcnn
