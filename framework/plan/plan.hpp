#pragma once
// A plan says which linear layers of a model are split, into how many data
// shards (k), with which code, and — for the distributed runtime — which rank
// holds each of the code's n shards. Plans are written by hand as text:
//
//   # layer        k  code         ranks (optional, one per shard)
//   classifier.1   4  mds:r=2      1 2 3 4 5 6
//   classifier.4   2  sum          1 2 3
//
// Blank lines and '#' comments are ignored; fields are separated by spaces.
//
// One more kind of line places the model's input (the camera) on devices:
//
//   input          1               (rank 1 holds the input; `input 1 6`: ranks 1 and 6 each hold a copy)
//
// Without it the master (rank 0) holds the input, outside every analysis.
// `cdcnn coverage` counts an input device among the devices that can fail.
//
// And a `stage` line places a run of layers, whole, on one rank or on
// several (replicas, each computing the whole run):
//
//   stage          features.0..features.12  2       (layers features.0 to features.12, in model order, on rank 2)
//   stage          classifier.4 5 9                 (one layer, on ranks 5 and 9)
//
// Layers of a stage that a split line names run on their shard holders; the
// stage's rank then decodes them (docs/runtime.md, "Placement"). A layer no
// stage and no split line names runs on rank 0, the source of the inputs and
// the sink of the outputs: a plan without stages is the star of today.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codes/registry.hpp"
#include "layers/model.hpp"

namespace cdcnn {

/// One line of a plan: what the user asked for one layer (names and numbers,
/// nothing built yet; make_code builds its code).
struct PlanLine {
  std::string layer;       ///< layer name in the model
  int k = 1;               ///< data shards (row blocks of W)
  std::string code;        ///< code spec, e.g. "sum", "mds:r=2"
  std::vector<int> ranks;  ///< rank of each shard (empty: not assigned yet)
  int line = 0;            ///< line in the plan file, for messages
};

/// The `input RANK...` line: the ranks holding the model's input, each a
/// whole copy (no ranks: the plan has no such line; the master holds it).
struct PlanInput {
  std::vector<int> ranks;
  int line = 0;  ///< line in the plan file, for messages
};

/// A `stage FIRST[..LAST] RANK...` line: layers FIRST to LAST (model order,
/// inclusive) placed whole on each of `ranks`.
struct PlanStage {
  std::string first, last;  ///< layer names (equal for a one-layer stage)
  std::vector<int> ranks;   ///< each holds a whole copy (several: replicas)
  int line = 0;             ///< line in the plan file, for messages
};

struct Plan {
  std::string source = "plan";  ///< file name (or "plan") for messages
  std::vector<PlanLine> splits;  ///< one per split layer, in file order
  PlanInput input;               ///< where the input is placed, if the plan says
  std::vector<PlanStage> stages;  ///< in file order

  /// The split of `layer`, if the plan splits it.
  const PlanLine* find(const std::string& layer) const;
  /// Where `split` is, for messages: "<source>:<line>", or "<source>" for a
  /// split not read from a file (line 0, e.g. the runtime's default plan).
  std::string where(const PlanLine& split) const;
};

/// Parses plan text; Error("<source>:<line>: ...") for a malformed line, a
/// k below 1, a layer listed twice, or an `input` or `stage` line without
/// ranks or with a rank listed twice, or a second `input` line.
Plan parse_plan(const std::string& text, const std::string& source = "plan");
/// Reads and parses a plan file; Error naming the file if it cannot be read.
Plan load_plan(const std::string& path);
/// Renders a plan in the file format (parse_plan(format_plan(p)) == p).
std::string format_plan(const Plan& plan);

/// Where a plan line without ranks puts its n shards over workers 1..workers:
/// round-robin, shard j on worker 1 + j mod workers (what cdcnn run deploys,
/// and what the planner predicts for such a line).
std::vector<int> round_robin_ranks(int n, int workers);

/// The code of one plan line: `split.code` built for `split.k` from
/// `registry`. Errors start with plan.where(split): a spec the registry
/// refuses (unknown code, a k it cannot take), or ranks listed whose count is
/// not the code's n. No ranks is accepted (not assigned yet); whether ranks
/// are needed, and which exist, is for the caller to say.
std::unique_ptr<Code> make_code(const Plan& plan, const PlanLine& split,
                                const CodeRegistry& registry = code_registry());

/// Checks the plan against a model: every layer exists and is linear (dense
/// or conv), and k does not exceed the layer's output rows. Codes and ranks
/// are checked by those who know them (the code registry, the runtime).
void check_plan_against_model(const Plan& plan, const Model& model);

}  // namespace cdcnn
