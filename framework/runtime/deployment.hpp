#pragma once
// A deployment: a plan made concrete for one model and one world of ranks —
// for every split layer, its code, the rank that holds each of the n shards,
// and the sizes of the blocks; for every other layer, the ranks that compute
// it whole; and from these, which ranks make and which need every value
// (docs/runtime.md, "Placement"). Every rank builds the same deployment from
// the same inputs, so no start-up message is needed to agree on it.

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
  std::vector<DeployedLayer> layers;  ///< the split layers, in model order
  /// Per model layer: the ranks computing it whole (a stage's ranks, else
  /// rank 0); empty for a split layer, which its shard holders compute.
  std::vector<std::vector<int>> placed;
  /// The ranks holding the model's input (`input` line; default rank 0,
  /// which is always the source of the frames and the sink of the outputs).
  std::vector<int> input_ranks{0};
  /// Per value (0: the model's input, i + 1: layer i's output), ascending:
  /// `makers`, the ranks where it comes to be (input ranks; the ranks of a
  /// whole layer; for a split layer, the ranks that decode it), and `needers`,
  /// the ranks that read it (the ranks of each whole consumer, the holders of
  /// each split consumer, and rank 0 for the model's output). A value made on
  /// several ranks (replicas) is sent by each; the first copy is used.
  std::vector<std::vector<int>> makers, needers;

  /// The split of model layer `index`, or nullptr if it is computed whole.
  const DeployedLayer* find(std::size_t index) const;
  /// The largest result message in floats (header included).
  Index max_result_floats() const;
  /// True when every layer that is not split runs on rank 0 and the input is
  /// there: the star, where rank 0 sends every split layer's input and decodes it.
  bool is_star() const;
};

/// The default plan for `workers` worker ranks: every dense and conv layer
/// whose FLOPs are at least `min_flops` is split with `code_spec`, k being
/// the largest that gives n ≤ workers (and k ≤ the layer's rows); shards go
/// to ranks 1..n, so a parity never shares a rank with a data shard of the
/// same layer. Error if not even k = 1 fits.
Plan default_plan(const Model& model, const std::string& code_spec, int workers, std::int64_t min_flops,
                  const CodeRegistry& registry = code_registry());

/// The deployment as a plan: every split with the ranks it got (for the
/// memory estimate, plan/memory.hpp, which needs every shard's rank).
Plan placed_plan(const Deployment& deployment, const Model& model);

/// Checks the plan against the model, the registry and `world_size` and
/// builds the deployment. Shards without listed ranks go round-robin over
/// the workers. Errors name the plan line: a rank that does not exist, the
/// wrong number of ranks, k too large, an unknown code, a stage naming an
/// unknown layer, running backwards, or overlapping another. Two shards of
/// one layer on one rank are allowed but reported through `warnings`.
Deployment deploy(const Plan& plan, const Model& model, int world_size, std::vector<std::string>* warnings = nullptr,
                  const CodeRegistry& registry = code_registry());

}  // namespace cdcnn::runtime
