#include "plan/coverage.hpp"

#include <gtest/gtest.h>

#include <Eigen/LU>
#include <map>
#include <random>
#include <set>

#include "core/error.hpp"

namespace cdcnn {
namespace {

std::vector<CoveragePoint> curve(const std::string& plan_text, Redundancy redundancy, int max_extra = -1,
                                 const std::string& parity_code = "sum") {
  CoverageOptions options;
  options.max_extra = max_extra;
  options.parity_code = parity_code;
  return coverage_curve(parse_plan(plan_text, "t.plan"), redundancy, options);
}

/// "covered/devices" at every step, e.g. {"0/2", "2/3", "4/4"}.
std::vector<std::string> fractions(const std::vector<CoveragePoint>& points) {
  std::vector<std::string> out;
  for (const auto& p : points) out.push_back(cat(p.covered, "/", p.devices));
  return out;
}

std::vector<std::string> added(const std::vector<CoveragePoint>& points) {
  std::vector<std::string> out;
  for (const auto& p : points) out.push_back(p.added ? p.added->describe() : "-");
  return out;
}

std::string error_of(const std::string& plan_text, const std::string& parity_code = "sum") {
  try {
    curve(plan_text, Redundancy::kCdcAndReplication, -1, parity_code);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

using V = std::vector<std::string>;

// One layer split 2 ways over devices 1 and 2, nothing redundant: either
// failure loses half the layer (0/2). 2MR: a replica of 1 (rank 3) covers 1
// and is itself harmless to lose (2/3); a replica of 2 completes it (4/4).
// CDC+2MR: one sum parity (rank 3) covers 1, 2 and itself (3/3) at once.
TEST(Coverage, OneLayerOnTwoDevicesNeedsTwoReplicasOrOneParity) {
  const std::string plan = "fc 2 uncoded 1 2\n";
  const auto mr = curve(plan, Redundancy::kReplication);
  EXPECT_EQ(fractions(mr), (V{"0/2", "2/3", "4/4"}));
  EXPECT_EQ(added(mr), (V{"-", "replica of 1", "replica of 2"}));
  EXPECT_EQ(mr[1].added->rank, 3);
  EXPECT_EQ(mr[2].added->rank, 4);
  EXPECT_EQ(mr[1].added->newly_covered, (std::vector<int>{1}));
  EXPECT_DOUBLE_EQ(mr[1].coverage(), 2.0 / 3.0);

  const auto cdc = curve(plan, Redundancy::kCdcAndReplication);
  EXPECT_EQ(fractions(cdc), (V{"0/2", "3/3", "3/3"}));
  EXPECT_EQ(added(cdc), (V{"-", "parity of fc", "-"}));
  EXPECT_EQ(cdc[1].added->newly_covered, (std::vector<int>{1, 2}));
  EXPECT_EQ(cdc[2].extra, 2);  // the step is there; no device was needed
  // The parity is shard 2 of sum (k = 2, n = 3), on rank 3.
  ASSERT_EQ(cdc[1].layers.size(), 1u);
  EXPECT_EQ(cdc[1].layers[0].code->spec(), "sum");
  EXPECT_EQ(cdc[1].layers[0].holders, (std::vector<std::vector<int>>{{1}, {2}, {3}}));
}

// A plan that already codes its layer is covered with no device added.
TEST(Coverage, APlanThatAlreadyCodesItsLayersStartsCovered) {
  for (const auto* plan : {"fc 2 sum 1 2 3\n", "fc 2 replication:n=2 1 2 3 4\n", "fc 3 mds:r=2 1 2 3 4 5\n"}) {
    for (auto redundancy : {Redundancy::kReplication, Redundancy::kCdcAndReplication}) {
      const auto points = curve(plan, redundancy, 2);
      ASSERT_EQ(points.size(), 3u) << plan;
      for (const auto& p : points) {
        EXPECT_EQ(p.covered, p.devices) << plan;
        EXPECT_FALSE(p.added.has_value()) << plan;
      }
    }
  }
}

// A layer held whole by device 1 (k = 1) and one split over 2 and 3: the
// whole layer is replicated in both strategies; CDC takes the parity first
// because it covers two devices (3/4), then the replica (5/5); 2MR needs
// three replicas: 0/3, 2/4, 4/5, 6/6.
TEST(Coverage, WholeLayersAreReplicatedSplitLayersGetAParity) {
  const std::string plan = "conv 1 uncoded 1\nfc 2 uncoded 2 3\n";
  EXPECT_EQ(fractions(curve(plan, Redundancy::kReplication)), (V{"0/3", "2/4", "4/5", "6/6"}));
  const auto cdc = curve(plan, Redundancy::kCdcAndReplication);
  EXPECT_EQ(fractions(cdc), (V{"0/3", "3/4", "5/5", "5/5"}));
  EXPECT_EQ(added(cdc), (V{"-", "parity of fc", "replica of 1", "-"}));
  EXPECT_EQ(cdc[2].added->rank, 5);
}

// Devices 1 and 2 each hold a shard of fc6 and of fc7: one added device
// holding a sum parity of each layer covers both.
TEST(Coverage, OneParityDeviceCoversEveryLayerItsGroupShares) {
  const std::string plan = "fc6 2 uncoded 1 2\nfc7 2 uncoded 1 2\n";
  const auto cdc = curve(plan, Redundancy::kCdcAndReplication);
  EXPECT_EQ(fractions(cdc), (V{"0/2", "3/3", "3/3"}));
  EXPECT_EQ(added(cdc), (V{"-", "parity of fc6,fc7", "-"}));
  EXPECT_EQ(fractions(curve(plan, Redundancy::kReplication)), (V{"0/2", "2/3", "4/4"}));
}

// Device 1 holds two of fc's three shards, device 2 the third. With `sum`
// (one parity) device 1's loss cannot be decoded around, so the device built
// for it is a replica; the one built for 2 holds the parity. Each covers one
// plan device plus itself (a tie at step 1: lowest rank first). With
// mds:r=2 the device built for 1 takes both parities: 1, 2 and itself are
// covered at once.
TEST(Coverage, TwoShardsOnOneDeviceNeedTwoParitiesOrAReplica) {
  const std::string plan = "fc 3 uncoded 1 1 2\n";
  const auto with_sum = curve(plan, Redundancy::kCdcAndReplication);
  EXPECT_EQ(fractions(with_sum), (V{"0/2", "2/3", "4/4"}));
  EXPECT_EQ(added(with_sum), (V{"-", "replica of 1", "parity of fc"}));

  const auto with_mds = curve(plan, Redundancy::kCdcAndReplication, -1, "mds:r=2");
  EXPECT_EQ(fractions(with_mds), (V{"0/2", "3/3", "3/3"}));
  EXPECT_EQ(added(with_mds), (V{"-", "parity of fc", "-"}));
  EXPECT_EQ(with_mds[1].layers[0].holders, (std::vector<std::vector<int>>{{1}, {1}, {2}, {3}, {3}}));
}

// A device holding a split layer and a whole one gets a mixed device: the
// parity of the split layer and a copy of its whole layer.
TEST(Coverage, MixedDevicesHoldParitiesAndCopies) {
  const std::string plan = "conv 1 uncoded 1\nfc 2 uncoded 1 2\n";
  const auto cdc = curve(plan, Redundancy::kCdcAndReplication);
  EXPECT_EQ(added(cdc)[1], "parity of fc + replica of 1 (conv)");
  EXPECT_EQ(fractions(cdc), (V{"0/2", "3/3", "3/3"}));
}

// pairwise (k = 4): parity 4 covers blocks 0,1 and parity 5 blocks 2,3; the
// device built for a device holding block 2 must take parity 5, not 4.
TEST(Coverage, PicksTheParityShardThatCoversTheDevice) {
  const auto cdc = curve("fc 4 uncoded 1 2 3 4\n", Redundancy::kCdcAndReplication, -1, "pairwise");
  EXPECT_EQ(fractions(cdc), (V{"0/4", "3/5", "6/6", "6/6", "6/6"}));
  EXPECT_EQ(cdc[1].layers[0].holders[4], (std::vector<int>{5}));
  EXPECT_TRUE(cdc[1].layers[0].holders[5].empty());
  EXPECT_EQ(cdc[2].layers[0].holders[5], (std::vector<int>{6}));
}

// A layer the parity code cannot take (grouped-sum:g=2 needs an even k) is
// replicated; the others still get parities: with k = 4, one per group of
// two devices.
TEST(Coverage, ALayerTheParityCodeCannotTakeIsReplicated) {
  const auto cdc = curve("fc 3 uncoded 1 2 3\nfc2 4 uncoded 4 5 6 7\n", Redundancy::kCdcAndReplication, -1,
                         "grouped-sum:g=2");
  EXPECT_EQ(added(cdc), (V{"-", "parity of fc2", "parity of fc2", "replica of 1", "replica of 2", "replica of 3",
                           "-", "-"}));
  EXPECT_EQ(cdc[1].added->newly_covered, (std::vector<int>{4, 5}));
  EXPECT_EQ(fractions(cdc).back(), "12/12");
}

// The input device (`input 1`, the paper's device A) is a device like the
// others: its failure loses the input, which no parity can stand for, so
// both strategies replicate it. Counted by hand: 2MR 0/3, 2/4, 4/5, 6/6;
// CDC+2MR a parity of fc for 2 and 3 (3/4), then a second input device (5/5).
TEST(Coverage, TheInputDeviceCanFailAndIsOnlyReplicated) {
  const std::string plan = "input 1\nfc 2 uncoded 2 3\n";
  EXPECT_EQ(fractions(curve(plan, Redundancy::kReplication)), (V{"0/3", "2/4", "4/5", "6/6"}));
  const auto cdc = curve(plan, Redundancy::kCdcAndReplication);
  EXPECT_EQ(fractions(cdc), (V{"0/3", "3/4", "5/5", "5/5"}));
  EXPECT_EQ(added(cdc), (V{"-", "parity of fc", "replica of 1", "-"}));
  // The input is held by 1 and by the added rank 5, a copy each.
  ASSERT_EQ(cdc[2].layers.size(), 2u);
  EXPECT_EQ(cdc[2].layers[0].layer, "input");
  EXPECT_EQ(cdc[2].layers[0].holders, (std::vector<std::vector<int>>{{1, 5}}));

  // A device holding the input and a shard gets a mixed device.
  const auto mixed = curve("input 1\nfc 2 uncoded 1 2\n", Redundancy::kCdcAndReplication);
  EXPECT_EQ(added(mixed)[1], "parity of fc + replica of 1 (input)");
  EXPECT_EQ(fractions(mixed), (V{"0/2", "3/3", "3/3"}));

  // Two input devices cover each other; the master's input (no line) is no device.
  const auto layers = held_layers(parse_plan("input 1 4\nfc 2 sum 1 2 3\n"));
  for (int d : {1, 2, 3, 4}) EXPECT_TRUE(survives(layers, d)) << d;
  EXPECT_EQ(coverage_curves(parse_plan("input 1 4\nfc 2 sum 1 2 3\n"), {}).devices, (std::vector<int>{1, 2, 3, 4}));
  EXPECT_FALSE(survives(held_layers(parse_plan("input 1\nfc 2 sum 1 2 3\n")), 1));
  EXPECT_EQ(coverage_curves(parse_plan("fc 2 sum 1 2 3\n"), {}).devices, (std::vector<int>{1, 2, 3}));
}

TEST(Coverage, SurvivesAsksEveryLayer) {
  const Plan plan = parse_plan("a 2 sum 1 2 3\nb 2 uncoded 1 4\n");
  const auto layers = held_layers(plan);
  EXPECT_TRUE(survives(layers, -1));
  EXPECT_TRUE(survives(layers, 2));   // a decodes around 2; b is not on 2
  EXPECT_FALSE(survives(layers, 1));  // b loses block 0
  EXPECT_FALSE(survives(layers, 4));
  EXPECT_TRUE(survives(layers, 9));   // holds nothing
}

TEST(Coverage, MaxExtraBoundsTheSteps) {
  EXPECT_EQ(curve("fc 2 uncoded 1 2\n", Redundancy::kReplication, 0).size(), 1u);
  EXPECT_EQ(curve("fc 2 uncoded 1 2\n", Redundancy::kReplication, 5).size(), 6u);
  EXPECT_EQ(curve("fc 2 uncoded 1 2\n", Redundancy::kReplication, 5).back().devices, 4);
}

TEST(Coverage, BadPlansAreErrorsNamingTheLine) {
  EXPECT_EQ(error_of(""), "t.plan: the plan splits no layer");
  EXPECT_EQ(error_of("fc 2 uncoded\n"),
            "t.plan:1: layer 'fc' lists no ranks; coverage needs the rank of each of uncoded's 2 shards");
  EXPECT_EQ(error_of("fc 2 uncoded 1 2\nfc7 2 sum 1 2\n"),
            "t.plan:2: sum with k = 2 has 3 shards, but 2 ranks are listed");
  EXPECT_NE(error_of("fc 2 turbo 1 2\n").find("t.plan:1: code: unknown code 'turbo' (known: "), std::string::npos)
      << error_of("fc 2 turbo 1 2\n");
  EXPECT_NE(error_of("fc 2 uncoded 1 2\n", "turbo").find("--parity-code: unknown code 'turbo'"),
            std::string::npos)
      << error_of("fc 2 uncoded 1 2\n", "turbo");
  EXPECT_NE(error_of("fc 2 uncoded 1 2\n", "mds:r=0").find("--parity-code: "), std::string::npos);
  EXPECT_EQ(error_of("fc 3 uncoded 1 2 3\n", "grouped-sum:g=2"),
            "--parity-code: grouped-sum: g=2 must divide k=3 (1 <= g <= k)");
  try {
    curve("fc 2 uncoded 1 2\n", Redundancy::kReplication, 1001);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "--max-extra must be at most 1000, got 1001");
  }
}

TEST(Coverage, FormatsATableAndCsv) {
  CoverageOptions options;
  const auto curves = coverage_curves(parse_plan("conv 1 uncoded 1\nfc 2 uncoded 2 3\n"), options);
  EXPECT_EQ(curves.devices, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(format_coverage_table(curves),
            "plan devices (3): 1,2,3\n"
            "extra  2MR         2MR adds                          CDC+2MR     CDC+2MR adds\n"
            "0        0.0% 0/3  -                                   0.0% 0/3  -\n"
            "1       50.0% 2/4  rank 4: replica of 1 -> covers 1   75.0% 3/4  rank 4: parity of fc -> covers 2,3\n"
            "2       80.0% 4/5  rank 5: replica of 2 -> covers 2  100.0% 5/5  rank 5: replica of 1 -> covers 1\n"
            "3      100.0% 6/6  rank 6: replica of 3 -> covers 3  100.0% 5/5  -\n"
            "additional devices for full coverage: 2MR 3, CDC+2MR 2\n");
  EXPECT_EQ(format_coverage_csv(curves),
            "extra,devices_2mr,covered_2mr,coverage_2mr,covered_planned_2mr,added_2mr,"
            "devices_cdc,covered_cdc,coverage_cdc,covered_planned_cdc,added_cdc\n"
            "0,3,0,0.000000,0,,3,0,0.000000,0,\n"
            "1,4,2,0.500000,1,rank 4: replica of 1 -> covers 1,4,3,0.750000,2,\"rank 4: parity of fc -> covers 2,3\"\n"
            "2,5,4,0.800000,2,rank 5: replica of 2 -> covers 2,5,5,1.000000,3,rank 5: replica of 1 -> covers 1\n"
            "3,6,6,1.000000,3,rank 6: replica of 3 -> covers 3,5,5,1.000000,3,\n");
}

// ---- Brute-force cross-check against an independent reference ------------
//
// For random plans, every point of both curves is re-evaluated without
// Code::decodable: a device's failure is covered iff, for every layer, the
// rows of G held by some other device have rank k (Eigen's FullPivLU, a rank
// test of its own). Structural checks: each step adds exactly one new device,
// which holds either copies of the shards of the device it was built for or
// parity shards (index >= k) of an uncoded layer; 2MR adds one device per
// uncovered plan device, and CDC+2MR never needs more.

int rank_of(const Eigen::MatrixXd& rows) {
  if (rows.rows() == 0) return 0;
  Eigen::FullPivLU<Eigen::MatrixXd> lu(rows);
  lu.setThreshold(1e-9);
  return static_cast<int>(lu.rank());
}

bool reference_survives(const std::vector<CoverageLayer>& layers, int failed) {
  for (const auto& layer : layers) {
    const Eigen::MatrixXd& g = layer.code->generator();
    std::vector<Eigen::Index> rows;
    for (std::size_t j = 0; j < layer.holders.size(); ++j)
      for (int h : layer.holders[j])
        if (h != failed) {
          rows.push_back(static_cast<Eigen::Index>(j));
          break;
        }
    Eigen::MatrixXd held = g(rows, Eigen::all);
    if (rank_of(held) < g.cols()) return false;
  }
  return true;
}

std::set<int> devices_of(const std::vector<CoverageLayer>& layers) {
  std::set<int> out;
  for (const auto& l : layers)
    for (const auto& h : l.holders) out.insert(h.begin(), h.end());
  return out;
}

std::string random_plan(std::mt19937& rng) {
  const char* codes[] = {"uncoded", "uncoded", "uncoded", "sum", "replication:n=2", "mds:r=2", "pairwise"};
  std::uniform_int_distribution<int> layers(1, 4), ks(1, 4), code_pick(0, 6), devices(2, 7);
  const int device_count = devices(rng);
  std::uniform_int_distribution<int> rank(1, device_count);
  std::string text;
  const int count = layers(rng);
  for (int l = 0; l < count; ++l) {
    const int k = ks(rng);
    const std::string code = codes[code_pick(rng)];
    const int n = code == "uncoded" ? k : code == "sum" ? k + 1 : code == "mds:r=2" ? k + 2
                : code == "pairwise" ? k + (k + 1) / 2 : 2 * k;
    text += cat("l", l, " ", k, " ", code);
    for (int j = 0; j < n; ++j) text += cat(" ", rank(rng));
    text += "\n";
  }
  return text;
}

TEST(Coverage, AgreesWithAnIndependentRankTestOnRandomPlans) {
  std::mt19937 rng(20261201);
  int plans = 0, cdc_strictly_better = 0;
  for (int trial = 0; trial < 150; ++trial) {
    const std::string text = random_plan(rng);
    Plan plan;
    std::vector<CoverageLayer> start;
    try {
      plan = parse_plan(text, "random.plan");
      start = held_layers(plan);
    } catch (const Error&) {
      continue;  // pairwise with odd k may be refused: not this test's business
    }
    ++plans;
    const std::set<int> planned = devices_of(start);
    int uncovered = 0;
    for (int d : planned) uncovered += reference_survives(start, d) ? 0 : 1;

    std::map<Redundancy, int> needed;
    for (auto redundancy : {Redundancy::kReplication, Redundancy::kCdcAndReplication}) {
      CoverageOptions options;
      const auto points = coverage_curve(plan, redundancy, options);
      ASSERT_EQ(points.size(), planned.size() + 1) << text;
      std::set<int> previous = planned;
      int added_count = 0;
      for (const auto& p : points) {
        const std::set<int> now = devices_of(p.layers);
        ASSERT_EQ(static_cast<int>(now.size()), p.devices) << text;
        int covered = 0, covered_planned = 0;
        for (int d : now)
          if (reference_survives(p.layers, d)) ++covered, covered_planned += planned.count(d) ? 1 : 0;
        EXPECT_EQ(p.covered, covered) << text << "step " << p.extra;
        EXPECT_EQ(p.covered_planned, covered_planned) << text << "step " << p.extra;
        if (p.added) {
          ++added_count;
          EXPECT_EQ(now.size(), previous.size() + 1) << text;
          EXPECT_FALSE(previous.count(p.added->rank)) << text;
          EXPECT_TRUE(now.count(p.added->rank)) << text;
          EXPECT_FALSE(p.added->newly_covered.empty()) << text;
          // What the new device holds: copies of built_for's shards, or parities.
          for (const auto& layer : p.layers)
            for (std::size_t j = 0; j < layer.holders.size(); ++j) {
              const auto& h = layer.holders[j];
              if (std::find(h.begin(), h.end(), p.added->rank) == h.end()) continue;
              const bool copy = std::find(h.begin(), h.end(), p.added->built_for) != h.end();
              const bool parity = static_cast<int>(j) >= layer.code->k() && h.size() == 1;
              EXPECT_TRUE(copy || (redundancy == Redundancy::kCdcAndReplication && parity)) << text;
              if (redundancy == Redundancy::kReplication) {
                EXPECT_TRUE(copy) << text;
              }
            }
        } else if (p.extra > 0) {
          EXPECT_EQ(covered_planned, static_cast<int>(planned.size())) << text;  // stops only when full
        }
        previous = now;
      }
      EXPECT_EQ(points.back().covered, points.back().devices) << text;  // full coverage within |planned| steps
      needed[redundancy] = added_count;
    }
    EXPECT_EQ(needed[Redundancy::kReplication], uncovered) << text;
    EXPECT_LE(needed[Redundancy::kCdcAndReplication], needed[Redundancy::kReplication]) << text;
    if (needed[Redundancy::kCdcAndReplication] < needed[Redundancy::kReplication]) ++cdc_strictly_better;
  }
  EXPECT_GT(plans, 100);
  EXPECT_GT(cdc_strictly_better, 10);
}

}  // namespace
}  // namespace cdcnn
