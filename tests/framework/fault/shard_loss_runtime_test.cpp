// The offline loss (fault/shard_loss.hpp) means what a lost shard means to
// the distributed runtime: the same model, split and code, with the workers
// holding the "lost" shards dead (fail-stop), give through the runtime's
// master under --policy zero-fill the same output and the same outcome as
// ShardLoss::forward on one device. Runs on 6 ranks: a master and 5 workers.

#include <gtest/gtest.h>

#include "codes/registry.hpp"
#include "fault/shard_loss.hpp"
#include "framework/runtime/session.hpp"
#include "layers/zoo.hpp"
#include "plan/plan.hpp"

namespace cdcnn::runtime {
namespace {

TEST(ShardLossAgainstTheRuntime, DeadWorkersGiveWhatTheOfflineLossGives) {
  ASSERT_EQ(world_size(), 6) << "run with 6 ranks";
  const Model model = zoo_model("mlp", 5);
  struct Case {
    std::string code;
    int k;
    std::vector<int> dead;  ///< ranks; shard j is on rank j+1
    InferenceOutcome outcome;
  };
  const std::vector<Case> cases = {
      {"uncoded", 4, {2}, InferenceOutcome::degraded},
      {"uncoded", 4, {1, 4}, InferenceOutcome::degraded},
      {"sum", 4, {2}, InferenceOutcome::recovered},
      {"sum", 4, {2, 5}, InferenceOutcome::degraded},  // a data shard and the parity
      {"sum", 4, {1, 3}, InferenceOutcome::degraded},
      {"replication:n=2", 2, {1, 4}, InferenceOutcome::exact},     // each block still has a copy
      {"replication:n=2", 2, {2, 4}, InferenceOutcome::degraded},  // both copies of block 1
  };
  const MasterOptions options{.deadline_ms = 100, .policy = DeadlinePolicy::zero_fill};
  const int inferences = 3;
  for (const auto& c : cases) {
    const auto code = code_registry().make(c.code, c.k);
    std::string line = "fc1 " + std::to_string(c.k) + " " + c.code;
    for (int j = 0; j < code->n(); ++j) line += " " + std::to_string(j + 1);
    const Plan plan = parse_plan(line);
    std::vector<std::string> fails;
    for (int r : c.dead) fails.push_back("stop:rank=" + std::to_string(r) + ",inference=0");
    const Session s = run_session(model, plan, {}, fails, inferences, options);
    if (world_rank() != 0) continue;

    const ShardLoss loss(model, "fc1", std::shared_ptr<const Code>(code_registry().make(c.code, c.k)));
    ShardMask lost(static_cast<std::size_t>(code->n()), false);
    for (int r : c.dead) lost[static_cast<std::size_t>(r - 1)] = true;
    ASSERT_EQ(s.results.size(), static_cast<std::size_t>(inferences));
    for (int i = 0; i < inferences; ++i) {
      const auto& r = s.results[static_cast<std::size_t>(i)];
      const LossyOutput offline = loss.forward(input(model.input_shape(), i), lost);
      EXPECT_EQ(offline.outcome, c.outcome) << c.code << " inference " << i;
      EXPECT_EQ(static_cast<int>(r.outcome), static_cast<int>(offline.outcome)) << c.code << " inference " << i;
      ASSERT_TRUE(r.output.has_value()) << c.code;
      EXPECT_LT(max_relative_error(*r.output, offline.output), 1e-5) << c.code << " inference " << i;
    }
  }
}

}  // namespace
}  // namespace cdcnn::runtime
