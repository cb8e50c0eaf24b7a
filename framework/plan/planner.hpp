#pragma once
// cdcnn plan's search: for the star runtime of today (rank 0 runs every
// layer that is not split; a split layer's n shards go to the workers, by
// speed: plan/shard_placement.hpp), which layers to split, how wide, with
// which code. Each linear layer of the profile gets the option with the best
// predicted cost (plan/cost_model.hpp) among: not split, and every candidate
// code at every profiled k whose shards fit the workers, whose placement
// survives the device failures asked for, and whose shards fit the workers'
// memory. With equal speeds every shard has a worker of its own.
//
// Why per layer: in the star runtime the layers of one inference run one
// after another and their simulated times are independent, so the mean of
// the sum is the sum of the means — choosing each layer's best mean is the
// optimum for --objective mean (and throughput, 1/mean, one frame at a
// time). For p99, each layer's own p99 is minimised: optimal when one layer
// dominates the tail, a heuristic otherwise (the p99 of a sum is not the sum
// of p99s); the plan's p99 is then predicted as a whole. The tests check
// the choice against an exhaustive search over every combination.

#include <string>
#include <vector>

#include "codes/registry.hpp"
#include "layers/model.hpp"
#include "plan/cost_model.hpp"
#include "plan/plan.hpp"

namespace cdcnn {

enum class Objective { p99, mean, throughput };
/// "p99", "mean" or "throughput"; Error naming --objective otherwise.
Objective parse_objective(const std::string& text);
std::string to_string(Objective objective);

struct PlannerOptions {
  int devices = 0;              ///< ranks in all: rank 0 (the master) and devices − 1 workers
  int tolerate = 1;             ///< every set of this many worker (device) failures is survived
  Objective objective = Objective::p99;
  double memory_mb = 0;         ///< a worker's memory for shard weights; 0: no limit
  std::vector<std::string> codes;  ///< candidate code specs; empty: every registered code's default spec
  CostInputs cost;
};

/// A plan with what it is predicted to do.
struct PlanCandidate {
  std::string label;  ///< "planner", "all uncoded", "2MR", "best single code: sum", ...
  Plan plan;
  Prediction prediction;
  int tolerates = 0;  ///< worker failures every split layer survives (its codes' least tolerance)
  double worker_mb = 0;  ///< the most shard weights any worker holds
};

struct PlannerResult {
  PlanCandidate chosen;
  std::vector<PlanCandidate> alternatives;  ///< for comparison (those that could be built)
};

/// The search. Error (one line) when the constraints cannot be met: fewer
/// workers than any tolerant code needs, or a layer whose shards fit no
/// worker's memory — naming the layer, and the figure.
PlannerResult plan_search(const Model& model, const Profile& profile, const PlannerOptions& options,
                          const CodeRegistry& registry = code_registry());

/// Any plan (the default plan, a hand-written one) predicted as the
/// search's own candidates are: same profile, devices and cost inputs.
/// Shards without listed ranks go round-robin, as cdcnn run places them.
/// Errors name the plan line: a layer the profile has not as linear, a k it
/// did not time, a rank that is not a worker.
PlanCandidate evaluate_plan(const std::string& label, const Plan& plan, const Profile& profile,
                            const PlannerOptions& options, const CodeRegistry& registry = code_registry());

/// The value `objective` ranks predictions by (lower is better).
double objective_value(const Prediction& p, Objective objective);

}  // namespace cdcnn
