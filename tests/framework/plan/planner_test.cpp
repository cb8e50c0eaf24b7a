#include "plan/planner.hpp"

#include <gtest/gtest.h>

#include <functional>

#include "core/error.hpp"
#include "layers/zoo.hpp"
#include "plan/shard_placement.hpp"

namespace cdcnn {
namespace {

/// mlp's layers with made-up times: fc1 slow on one device, fast in shards.
Profile mlp_profile(const Model& m) {
  Profile p{.model = m.name(), .host = "test", .repeats = 1};
  for (std::size_t i = 0; i < m.size(); ++i) {
    LayerProfile l{.name = m.layer(i).name(), .kind = std::string(m.layer(i).kind()), .ms = 0.01,
                   .input_bytes = 4000, .output_bytes = 4000};
    if (const LinearLayer* lin = m.layer(i).as_linear()) {
      l.linear = true;
      l.rows = lin->rows();
      l.cols = lin->cols();
      l.positions = 1;
      l.ms = l.name == "fc1" ? 20.0 : l.name == "fc2" ? 4.0 : 0.2;
      for (int k : {1, 2, 3, 4})
        l.shards.push_back({k, (l.rows + k - 1) / k, l.ms / k, 40 + 4 * l.rows / k, 4 * (l.rows / k) * (l.cols + 1)});
    }
    p.layers.push_back(l);
  }
  return p;
}

TEST(Planner, ChoosesTheOptimumAnExhaustiveSearchFinds) {
  const Model m = zoo_model("mlp", 1);
  const Profile profile = mlp_profile(m);
  const auto delay = make_delay_model("exp:mean=2");
  const std::vector<std::string> specs = {"uncoded", "sum", "mds:r=2", "replication:n=2"};
  // Equal devices, and unequal ones (worker 1 twice as fast, worker 4 half
  // as fast as the rest: shards placed by speed, tolerance per device).
  for (const std::vector<double>& speeds : {std::vector<double>{}, std::vector<double>{1, 2, 1, 1, 0.5, 1}})
  for (const Objective objective : {Objective::mean, Objective::p99})
    for (const int tolerate : {0, 1}) {
      PlannerOptions opts{.devices = 6, .tolerate = tolerate, .objective = objective, .codes = specs,
                          .cost = {.straggler = delay.get(), .speeds = speeds, .samples = speeds.empty() ? 2000 : 1000, .seed = 3}};
      const std::vector<double> rank_speeds = speeds.empty() ? std::vector<double>(6, 1.0) : speeds;
      const PlannerResult r = plan_search(m, profile, opts);
      // Every combination: per linear layer, not split or any code at any k.
      std::vector<std::size_t> linear;
      for (std::size_t i = 0; i < profile.layers.size(); ++i)
        if (profile.layers[i].linear) linear.push_back(i);
      std::vector<std::vector<std::shared_ptr<Code>>> options(linear.size());
      for (std::size_t l = 0; l < linear.size(); ++l) {
        options[l].push_back(nullptr);
        for (const auto& spec : specs)
          for (int k : {1, 2, 3, 4}) {
            std::shared_ptr<Code> c = code_registry().make(spec, k);
            const std::vector<int> ranks = place_shards(c->n(), rank_speeds);
            if (!ranks.empty() && device_tolerance(*c, ranks) >= tolerate) options[l].push_back(c);
          }
      }
      double best = 1e300;
      std::vector<SplitCost> splits;
      std::function<void(std::size_t)> walk = [&](std::size_t l) {
        if (l == linear.size()) {
          best = std::min(best, objective_value(predict(profile, splits, opts.cost), objective));
          return;
        }
        for (const auto& c : options[l]) {
          if (c) splits.push_back({linear[l], c.get(), place_shards(c->n(), rank_speeds)});
          walk(l + 1);
          if (c) splits.pop_back();
        }
      };
      walk(0);
      const double chosen = objective_value(r.chosen.prediction, objective);
      if (objective == Objective::mean) {
        EXPECT_NEAR(chosen, best, 1e-9 * best) << "tolerate " << tolerate;  // optimal: the means add up
      } else {
        EXPECT_LE(chosen, best * 1.05) << "tolerate " << tolerate;  // per-layer p99: near the optimum here
      }
      EXPECT_GE(r.chosen.tolerates == -1 ? 99 : r.chosen.tolerates, tolerate);
      // fc1 (20 ms on one device) is worth splitting under these delays.
      ASSERT_NE(r.chosen.plan.find("fc1"), nullptr) << to_string(objective);
      EXPECT_EQ(r.chosen.plan.find("fc1")->ranks.size(),
                static_cast<std::size_t>(code_registry().make(r.chosen.plan.find("fc1")->code, r.chosen.plan.find("fc1")->k)->n()));
    }
}

TEST(Planner, EvaluatesAnyPlanAsItsOwnCandidates) {
  const Model m = zoo_model("mlp", 1);
  const Profile profile = mlp_profile(m);
  const auto delay = make_delay_model("exp:mean=2");
  const PlannerOptions opts{.devices = 5, .codes = {"sum", "mds:r=2"},
                            .cost = {.straggler = delay.get(), .samples = 1000, .seed = 4}};
  const PlannerResult r = plan_search(m, profile, opts);
  for (const PlanCandidate& c : r.alternatives) {
    const PlanCandidate again = evaluate_plan("again", c.plan, profile, opts);
    EXPECT_DOUBLE_EQ(again.prediction.p99_ms, c.prediction.p99_ms) << c.label;
    EXPECT_DOUBLE_EQ(again.prediction.mean_ms, c.prediction.mean_ms) << c.label;
    EXPECT_EQ(again.tolerates, c.tolerates) << c.label;
    EXPECT_DOUBLE_EQ(again.worker_mb, c.worker_mb) << c.label;
  }
  // Two shards of fc1 on worker 1: one failure there loses both, which sum cannot rebuild.
  const Plan doubled = parse_plan("fc1 2 sum 1 1 2\n", "doubled.plan");
  EXPECT_EQ(evaluate_plan("doubled", doubled, profile, opts).tolerates, 0);
  auto message = [&](const std::string& text) {
    try {
      evaluate_plan("bad", parse_plan(text, "bad.plan"), profile, opts);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(message("fc1 2 sum 1 2 5\n"), "bad.plan:1: rank 5 is not a worker of the 5 devices");
  EXPECT_EQ(message("fc1 6 uncoded\n"), "bad.plan:1: the profile has no shard time for k=6 (profile it with --k 6)");
}

TEST(Planner, RefusesImpossibleConstraintsInOneLine) {
  const Model m = zoo_model("mlp", 1);
  const Profile profile = mlp_profile(m);
  EXPECT_THROW(plan_search(m, profile, {.devices = 1}), Error);
  try {
    plan_search(m, profile, {.devices = 3, .tolerate = 3});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no code tolerates 3 failure(s) with 2 worker(s)"), std::string::npos)
        << e.what();
  }
  Profile other = profile;
  other.model = "vgg16";
  EXPECT_THROW(plan_search(m, other, {.devices = 4}), Error);
}

}  // namespace
}  // namespace cdcnn
