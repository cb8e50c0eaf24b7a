#pragma once
// A deployment: a plan made concrete for one model and one world of ranks —
// for every split layer, its code, the rank that holds each of the n shards,
// and the sizes of the blocks. Master and workers build the same deployment
// from the same inputs, so no start-up message is needed to agree on it.

#include <memory>
#include <string>
#include <vector>

#include "codes/registry.hpp"
#include "layers/model.hpp"
#include "plan/plan.hpp"

namespace cdcnn::runtime {

/// One split layer as the runtime runs it: the plan line made concrete for a
/// model and a world of ranks (its code built, one rank per shard, the sizes
/// of the blocks).
struct DeployedLayer {
  std::size_t layer_index = 0;
  std::unique_ptr<Code> code;
  std::vector<int> ranks;  ///< ranks[j] holds shard j
  Index rows = 0;          ///< m
  Index rows_per_block = 0;
  Index positions = 0;     ///< P: columns of Y (1 for dense)
  /// Shards held by `rank`.
  std::vector<int> shards_of(int rank) const;
  /// Distinct ranks holding shards, ascending.
  std::vector<int> holders() const;
};

struct Deployment {
  std::vector<DeployedLayer> layers;  ///< in model order
  /// The split of model layer `index`, or nullptr if it runs on the master.
  const DeployedLayer* find(std::size_t index) const;
  /// The largest result message in floats (header included).
  Index max_result_floats() const;
};

/// The default plan for `workers` worker ranks: every dense and conv layer
/// whose FLOPs are at least `min_flops` is split with `code_spec`, k being
/// the largest that gives n ≤ workers (and k ≤ the layer's rows); shards go
/// to ranks 1..n, so a parity never shares a rank with a data shard of the
/// same layer. Error if not even k = 1 fits.
Plan default_plan(const Model& model, const std::string& code_spec, int workers, std::int64_t min_flops,
                  const CodeRegistry& registry = code_registry());

/// Checks the plan against the model, the registry and `world_size` and
/// builds the deployment. Shards without listed ranks go round-robin over
/// the workers. Errors name the plan line: a rank that does not exist, the
/// wrong number of ranks, k too large, an unknown code, an `input` line
/// (placing the input is not run yet). Two shards of one
/// layer on one rank are allowed but reported through `warnings`.
/// The deployment as a plan: every split with the ranks it got (for the
/// memory estimate, plan/memory.hpp, which needs every shard's rank).
Plan placed_plan(const Deployment& deployment, const Model& model);

Deployment deploy(const Plan& plan, const Model& model, int world_size, std::vector<std::string>* warnings = nullptr,
                  const CodeRegistry& registry = code_registry());

}  // namespace cdcnn::runtime
