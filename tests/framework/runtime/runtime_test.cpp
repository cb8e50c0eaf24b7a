// The distributed runtime end to end under mpiexec (7 ranks: a master and six
// workers): for every built-in code and the plugin, every single fail-stop
// and every pair the code survives gives exactly the single-process output,
// "exact" when no data block was lost and "recovered" when one was decoded;
// beyond the tolerance the inference is flagged degraded or failed, never
// silently wrong; stale results never leak into a newer inference; the
// trace's shard fates add up.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "codes/plugin_loader.hpp"
#include "core/rng.hpp"
#include "layers/zoo.hpp"
#include "runtime/master.hpp"
#include "runtime/worker.hpp"
#include "temp_path.hpp"
#include "framework/runtime/session.hpp"

namespace cdcnn::runtime {
namespace {

const std::vector<std::string>& codes_under_test() {
  static const std::vector<std::string> codes = {"uncoded", "replication:n=2", "pairwise", "sum",
                                                 "grouped-sum:g=2", "mds:r=2", "lrc:l=2"};
  return codes;
}

void load_lrc_plugin() {
  static bool loaded = false;
  if (!loaded) load_code_plugin(CDCNN_LRC_PLUGIN);
  loaded = true;
}

/// The outcome a failure pattern must give, from the dead ranks alone.
struct Prediction {
  bool within = true;     ///< every split layer decodable without the dead ranks' shards
  bool decodes = false;   ///< some data block is lost in some layer: certainly recovered
  bool racy = false;      ///< exact or recovered, depending on which shard arrives first
  std::string stragglers; ///< the delay that makes the rest certain (empty: none)
};

/// Dead ranks lose every shard they hold. A layer that lost a data block
/// (no verbatim copy left) must be decoded: recovered. One that lost none is
/// exact if its data shards all arrive before any other shard could complete
/// a decodable set: so the ranks holding only non-verbatim shards (parities)
/// answer 80 ms late (within the deadline). A rank with a parity in one layer
/// and a data block in another makes that layer a race: exact or recovered.
Prediction predict(const Plan& plan, const std::string& spec, const std::vector<int>& dead) {
  Prediction p;
  std::set<int> parity_only;  // ranks holding no verbatim shard in any layer
  for (const auto& split : plan.splits)
    for (int r : split.ranks) parity_only.insert(r);
  for (const auto& split : plan.splits) {
    const auto code = code_registry().make(spec, split.k);
    for (std::size_t j = 0; j < split.ranks.size(); ++j)
      if (code->verbatim_block(static_cast<int>(j)) >= 0) parity_only.erase(split.ranks[j]);
  }
  for (int r : dead) parity_only.erase(r);
  bool any_parity_alive = false;
  for (const auto& split : plan.splits) {
    const auto code = code_registry().make(spec, split.k);
    ShardMask arrived(split.ranks.size(), true);
    std::vector<bool> have(static_cast<std::size_t>(split.k), false);
    bool racy = false;
    for (std::size_t j = 0; j < split.ranks.size(); ++j) {
      const int r = split.ranks[j], block = code->verbatim_block(static_cast<int>(j));
      arrived[j] = std::find(dead.begin(), dead.end(), r) == dead.end();
      if (!arrived[j]) continue;
      if (block >= 0) have[static_cast<std::size_t>(block)] = true;
      if (block < 0) any_parity_alive = true;
      // An early parity, or a late data block, may let the master decode first.
      if ((block < 0) != (parity_only.count(r) != 0)) racy = true;
    }
    p.within = p.within && code->decodable(arrived);
    const bool lost_data = std::find(have.begin(), have.end(), false) != have.end();
    p.decodes = p.decodes || lost_data;
    p.racy = p.racy || (!lost_data && racy);
  }
  if (!p.decodes && any_parity_alive && !parity_only.empty()) {
    std::string ranks;
    for (int r : parity_only) ranks += (ranks.empty() ? "" : ",") + std::to_string(r);
    p.stragglers = ranks + "@shifted-exp:shift=80,mean=1";
  }
  return p;
}

/// Every single fail-stop, every pair the code survives (for tolerance-1
/// codes: the pairs that fall in different parity groups), and one pair it
/// does not survive, on one model: exact, recovered or flagged as predicted.
void check_every_failure(const Model& model) {
  load_lrc_plugin();
  const int workers = world_size() - 1;
  ASSERT_GE(workers, 2) << "run with at least 3 ranks";
  MasterOptions options{.deadline_ms = 150, .policy = DeadlinePolicy::zero_fill};
  for (const auto& spec : codes_under_test()) {
    const Plan plan = default_plan(model, spec, workers, 1);
    ASSERT_FALSE(plan.splits.empty());
    const auto code = code_registry().make(spec, plan.splits[0].k);
    bool has_parity = false;  // a shard that is not a copy of a data block
    for (int j = 0; j < code->n(); ++j) has_parity = has_parity || code->verbatim_block(j) < 0;
    std::vector<std::vector<int>> patterns = {{}};
    for (int a = 1; a <= workers; ++a) patterns.push_back({a});
    bool beyond = false;  // one pair beyond the tolerance is enough
    if (code->tolerance() >= 1)
      for (int a = 1; a <= workers; ++a)
        for (int b = a + 1; b <= workers; ++b) {
          const bool within = predict(plan, spec, {a, b}).within;
          if (within || code->tolerance() >= 2 || !beyond) patterns.push_back({a, b});
          beyond = beyond || !within;
        }
    int exact = 0, recovered = 0, flagged = 0;
    for (const auto& dead : patterns) {
      const Prediction p = predict(plan, spec, dead);
      std::vector<std::string> fails, stragglers;
      for (int r : dead) fails.push_back("stop:rank=" + std::to_string(r) + ",inference=0");
      if (!p.stragglers.empty()) stragglers.push_back(p.stragglers);
      const Session s = run_session(model, plan, stragglers, fails, 2, options);
      if (world_rank() != 0) continue;
      const std::string what = model.name() + " " + spec + " dead ranks " + ::testing::PrintToString(dead);
      for (std::size_t i = 0; i < s.results.size(); ++i) {
        const auto& r = s.results[i];
        if (!p.within) {
          // Beyond the tolerance: flagged, never passed off as exact.
          EXPECT_EQ(r.outcome, InferenceOutcome::degraded) << what;
          ++flagged;
          continue;
        }
        EXPECT_LT(s.errors[i], 1e-4) << what;
        if (p.decodes) {
          EXPECT_EQ(r.outcome, InferenceOutcome::recovered) << what;
          EXPECT_GT(r.blocks_decoded, 0) << what;
          ++recovered;
        } else if (!p.racy) {
          EXPECT_EQ(r.outcome, InferenceOutcome::exact) << what;
          EXPECT_EQ(r.blocks_decoded, 0) << what;
          ++exact;
        } else {
          EXPECT_LE(r.outcome, InferenceOutcome::recovered) << what;
        }
      }
    }
    if (world_rank() != 0) continue;
    // Not vacuous: every code has certain exact answers, those with parities
    // certain recoveries, and those that lose to a pair a pattern to flag.
    EXPECT_GT(exact, 0) << spec;
    if (has_parity) {
      EXPECT_GT(recovered, 0) << spec;
    }
    if (code->tolerance() <= 1) {
      EXPECT_GT(flagged, 0) << spec;
    }
    std::printf("%s %s: %zu patterns, certain answers: %d exact, %d recovered, %d flagged\n", model.name().c_str(),
                spec.c_str(), patterns.size(), exact, recovered, flagged);
  }
}

TEST(Runtime, EveryCodeSurvivesEveryFailureItClaimsOnAnMlp) { check_every_failure(zoo_model("mlp", 5)); }
TEST(Runtime, EveryCodeSurvivesEveryFailureItClaimsOnASmallCnn) { check_every_failure(zoo_model("fmnist-cnn", 6)); }
// Graph models: the master walks the graph, skip connections and squeeze-
// excite scales wait on it while split layers are out.
TEST(Runtime, EveryCodeSurvivesEveryFailureItClaimsOnAResidualGraph) {
  check_every_failure(zoo_model("fmnist-resnet", 7));
}
TEST(Runtime, EveryCodeSurvivesEveryFailureItClaimsOnAMobileNetGraph) {
  check_every_failure(zoo_model("mobilenet-mini", 8));
}

// --threads: every rank computes and the master decodes on 3 threads; the
// outputs are still single-process inference's, a lost block decoded.
TEST(Runtime, RanksComputeOnSeveralThreads) {
  const Model model = zoo_model("fmnist-cnn", 6);
  const Plan plan = default_plan(model, "mds:r=2", world_size() - 1, 1);
  const Session s = run_session(model, plan, {}, {"stop:rank=1,inference=0"}, 3,
                                {.deadline_ms = 150, .policy = DeadlinePolicy::zero_fill}, nullptr, 3, 3);
  if (world_rank() != 0) return;
  ASSERT_EQ(s.results.size(), 3u);
  for (std::size_t i = 0; i < s.results.size(); ++i) {
    EXPECT_LT(s.errors[i], 1e-4);
    EXPECT_EQ(s.results[i].outcome, InferenceOutcome::recovered);
  }
}

// A device holding two shards of a layer and late by 400 ms is late once:
// its second shard follows its first by a compute time, not another delay
// (the planner's cost model assumes the same for devices of unequal speed).
TEST(Runtime, ALateDeviceIsLateOncePerLayerNotOncePerShard) {
  const Model model = zoo_model("mlp", 5);
  const Plan plan = parse_plan("fc1 2 uncoded 1 1\n", "two-on-one.plan");
  const std::string path = test::temp_path("late_once.h5");
  {
    std::unique_ptr<TraceWriter> trace;
    if (world_rank() == 0) trace = std::make_unique<TraceWriter>(path, std::map<std::string, std::string>{});
    const Session s = run_session(model, plan, {"1@shifted-exp:shift=400,mean=0.001"}, {}, 2,
                                  {.deadline_ms = 5000, .policy = DeadlinePolicy::wait}, trace.get());
    if (world_rank() != 0) return;
    for (std::size_t i = 0; i < s.results.size(); ++i) EXPECT_LT(s.errors[i], 1e-5) << i;
  }
  const Trace t = read_trace(path);
  for (std::int64_t i = 0; i < 2; ++i) {
    double arrival[2] = {NAN, NAN};
    for (const auto& r : t.shards)
      if (r.inference == i && r.shard >= 0 && r.shard < 2) arrival[r.shard] = r.arrival_ms;
    ASSERT_FALSE(std::isnan(arrival[0]) || std::isnan(arrival[1])) << i;
    // Both after the delay; the second within half a delay of the first
    // (once per shard, it would be a whole delay later).
    EXPECT_GE(std::min(arrival[0], arrival[1]) - t.layers[static_cast<std::size_t>(i)].dispatch_ms, 400.0) << i;
    EXPECT_LT(std::abs(arrival[1] - arrival[0]), 200.0) << i;
  }
}

TEST(Runtime, FailPolicyReportsTheInferenceFailed) {
  const Model model = zoo_model("mlp", 5);
  const Plan plan = default_plan(model, "sum", world_size() - 1, 1);
  const Session s = run_session(model, plan, {}, {"stop:rank=1,inference=0", "stop:rank=2,inference=0"}, 2,
                                {.deadline_ms = 100, .policy = DeadlinePolicy::fail});
  if (world_rank() != 0) return;
  for (const auto& r : s.results) {
    EXPECT_EQ(r.outcome, InferenceOutcome::failed);
    EXPECT_FALSE(r.output.has_value());
  }
}

TEST(Runtime, StaleResultsNeverLeakIntoANewerInference) {
  // Rank 1 answers 60-80 ms late, far past the moment the others let the
  // master decode around it and go on to inference i+1 (a different input).
  const Model model = zoo_model("mlp", 5);
  const Plan plan = default_plan(model, "sum", world_size() - 1, 1);
  const std::string path = test::temp_path("stale_trace.h5");
  Session s;
  {
    std::unique_ptr<TraceWriter> trace;
    if (world_rank() == 0) trace = std::make_unique<TraceWriter>(path, std::map<std::string, std::string>{});
    s = run_session(model, plan, {"1@shifted-exp:shift=60,mean=20"}, {}, 8,
                    {.deadline_ms = 2000, .policy = DeadlinePolicy::fail}, trace.get());
  }
  if (world_rank() != 0) return;
  for (std::size_t i = 0; i < s.results.size(); ++i) {
    EXPECT_EQ(s.results[i].outcome, InferenceOutcome::recovered) << i;
    EXPECT_LT(s.errors[i], 1e-4) << i;
  }
  // Late results are rare by design: a worker drops delayed work as soon as
  // the master's next message shows the layer was completed without it.
  const Trace t = read_trace(path);
  ASSERT_EQ(t.inferences.size(), 8u);
  // One shard row per shard dispatched, and the fates add up per layer.
  std::size_t shards = 0;
  for (const auto& split : plan.splits) shards += split.ranks.size();
  EXPECT_EQ(t.shards.size(), 8 * shards);
  EXPECT_EQ(t.layers.size(), 8 * plan.splits.size());
  for (const auto& l : t.layers) {
    int used = 0, around = 0;
    for (const auto& sh : t.shards)
      if (sh.inference == l.inference && sh.layer == l.layer) {
        used += sh.fate == static_cast<std::int8_t>(ShardFate::used);
        around += sh.fate == static_cast<std::int8_t>(ShardFate::decoded_around);
      }
    EXPECT_EQ(used, l.arrived);
    EXPECT_EQ(used + around, l.shards);
  }
  // Rank 1's shards are the ones decoded around.
  for (const auto& sh : t.shards) {
    if (sh.rank == 1) {
      EXPECT_EQ(sh.fate, static_cast<std::int8_t>(ShardFate::decoded_around));
    }
  }
}

TEST(Runtime, ASilentWorkerIsSuspectedSkippedProbedAndReadmitted) {
  // Rank 2 is silent for inferences 3..29. Every inference stays exact (the
  // sum parity covers it); the master suspects it after two deadlines of
  // silence, stops sending it work, probes it every 5 inferences, and
  // readmits it once a probe is answered in time.
  const Model model = zoo_model("mlp", 5);
  const Plan plan = default_plan(model, "sum", world_size() - 1, 1);
  const std::string path = test::temp_path("health_trace.h5");
  Session s;
  {
    std::unique_ptr<TraceWriter> trace;
    if (world_rank() == 0) trace = std::make_unique<TraceWriter>(path, std::map<std::string, std::string>{});
    s = run_session(model, plan, {"exp:mean=3"}, {"intermittent:rank=2,from=3,to=30"}, 60,
                    {.deadline_ms = 25, .policy = DeadlinePolicy::fail, .suspect_after = 2, .probe_every = 5},
                    trace.get());
  }
  if (world_rank() != 0) return;
  for (std::size_t i = 0; i < s.results.size(); ++i) {
    EXPECT_LE(s.results[i].outcome, InferenceOutcome::recovered) << i;
    EXPECT_LT(s.errors[i], 1e-4) << i;
  }
  const Trace t = read_trace(path);
  std::int64_t suspected_at = -1, readmitted_at = -1;
  std::vector<std::int64_t> probes;
  for (const auto& e : t.health) {
    EXPECT_EQ(e.rank, 2);
    if (e.event == static_cast<std::int8_t>(HealthEvent::suspected)) suspected_at = e.inference;
    if (e.event == static_cast<std::int8_t>(HealthEvent::probed)) probes.push_back(e.inference);
    if (e.event == static_cast<std::int8_t>(HealthEvent::readmitted)) readmitted_at = e.inference;
  }
  ASSERT_GE(suspected_at, 3);
  ASSERT_LT(suspected_at, 30);
  ASSERT_FALSE(probes.empty());
  for (std::size_t p = 1; p < probes.size(); ++p) EXPECT_EQ(probes[p] - probes[p - 1], 5);
  EXPECT_GE(readmitted_at, 30);
  EXPECT_LT(readmitted_at, 30 + 5 + 1);
  // While suspected and not probed, rank 2's shards were not even sent.
  int skipped = 0;
  for (const auto& sh : t.shards) {
    if (sh.fate != static_cast<std::int8_t>(ShardFate::skipped)) continue;
    ++skipped;
    EXPECT_EQ(sh.rank, 2);
    EXPECT_GE(sh.inference, suspected_at);  // later layers of that inference are skipped too
    EXPECT_LT(sh.inference, readmitted_at);
    EXPECT_TRUE(std::find(probes.begin(), probes.end(), sh.inference) == probes.end());
  }
  EXPECT_GT(skipped, 0);
}

TEST(Runtime, AWorkerSendingWrongNumbersIsCaughtWhereverTheCodeHasSpareShards) {
  // Rank 1 (a data shard) returns wrong numbers at every split layer. With
  // the check on: two or more spare shards (mds:r=2, r=3) locate it and decode around it
  // (every answer exact, rank 1 suspected); one spare (sum, pairwise,
  // grouped-sum, replication) detects it and degrades the inference; none (uncoded) says
  // "unverified". Never an answer claimed good that is wrong. NaN needs no
  // spare to be recognised: it is decoded around like a lost shard.
  const Model model = zoo_model("mlp", 5);
  const MasterOptions options{.deadline_ms = 500, .policy = DeadlinePolicy::zero_fill, .check = true};
  // `first`: the check at inference 0; `rest`: afterwards (a located or
  // NaN-sending worker is suspected, then skipped: the others agree).
  struct Case {
    std::string code, corruption;
    CheckResult first, rest;
    bool exact;  // every inference answered exactly
  };
  const std::vector<Case> cases = {
      {"mds:r=2", "scale", CheckResult::corrected, CheckResult::consistent, true},
      {"mds:r=2", "bitflip", CheckResult::corrected, CheckResult::consistent, true},
      {"mds:r=2", "nan", CheckResult::consistent, CheckResult::consistent, true},
      {"mds:r=3", "bitflip", CheckResult::corrected, CheckResult::consistent, true},
      {"sum", "scale", CheckResult::inconsistent, CheckResult::inconsistent, false},
      {"grouped-sum:g=2", "scale", CheckResult::inconsistent, CheckResult::inconsistent, false},
      {"pairwise", "scale", CheckResult::inconsistent, CheckResult::inconsistent, false},
      {"replication:n=2", "scale", CheckResult::inconsistent, CheckResult::inconsistent, false},
      {"sum", "nan", CheckResult::unverified, CheckResult::unverified, true},
      {"uncoded", "scale", CheckResult::unverified, CheckResult::unverified, false},
  };
  for (const auto& c : cases) {
    const Plan plan = default_plan(model, c.code, world_size() - 1, 1);
    const Session s = run_session(model, plan, {}, {"corrupt:rank=1,kind=" + c.corruption}, 4, options);
    if (world_rank() != 0) continue;
    const std::string what = c.code + " with " + c.corruption;
    for (std::size_t i = 0; i < s.results.size(); ++i) {
      const auto& r = s.results[i];
      EXPECT_EQ(r.check, i == 0 ? c.first : c.rest) << what << " inference " << i;
      const bool claimed_good = r.outcome <= InferenceOutcome::recovered &&
                                (r.check == CheckResult::consistent || r.check == CheckResult::corrected);
      if (claimed_good || c.exact) {
        EXPECT_LT(s.errors[i], 1e-4) << what;
      }
      if (r.check == CheckResult::inconsistent) {
        EXPECT_EQ(r.outcome, InferenceOutcome::degraded) << what;
      }
    }
    if (c.first == CheckResult::corrected || c.corruption == "nan") {
      bool suspected = false;
      for (const auto& e : s.health) suspected |= e.rank == 1 && e.what == HealthEvent::suspected;
      EXPECT_TRUE(suspected) << what;
    }
  }
}

TEST(Runtime, TheCheckFindsNothingWrongWhenNothingIs) {
  const Model model = zoo_model("mlp", 5);
  for (const std::string code : {"mds:r=2", "sum", "grouped-sum:g=2", "replication:n=2"}) {
    const Plan plan = default_plan(model, code, world_size() - 1, 1);
    const Session s = run_session(model, plan, {"exp:mean=2"}, {}, 4,
                                  {.deadline_ms = 500, .policy = DeadlinePolicy::zero_fill, .check = true});
    if (world_rank() != 0) continue;
    for (std::size_t i = 0; i < s.results.size(); ++i) {
      EXPECT_EQ(s.results[i].check, CheckResult::consistent) << code;
      EXPECT_LT(s.errors[i], 1e-4) << code;
    }
  }
}

}  // namespace
}  // namespace cdcnn::runtime
