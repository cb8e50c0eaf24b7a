#pragma once
// Coverage of one device failure (the paper's Figure 3): for a plan whose
// every shard has a rank, the fraction of single-device failures after which
// every split layer can still be decoded, as devices are added one at a time
// for robustness. Knows nothing of MPI: a "device" is a rank of the plan.
//
// Definitions.
//  - The plan's devices are the ranks that hold at least one shard or the
//    model's input. Layers the plan does not list run on the master, which
//    owns the input unless the plan places it (`input RANK`, plan.hpp) and is
//    outside this analysis.
//  - The input device (the paper's device A, which counts among its N
//    devices) holds the input whole, like a layer of k = 1, and its failure
//    loses it. The input is not a linear layer's output (no code's parity
//    can stand for it), so both strategies can only replicate it: 2MR's
//    replica, and CDC+2MR's device built for it, is a second device holding
//    the input (a second camera, or the source sending every frame twice).
//  - Device d fails: every shard it holds is lost. The failure is covered
//    when, for every layer, the shards still held by some other device form
//    a set the layer's code calls decodable (Code::decodable, asked for every
//    device and every layer: brute force, no formula, so it holds for any
//    registered code, plugins included).
//  - Coverage = covered devices / all devices, the added ones included: with
//    equal failure probability per device, the probability that one failure
//    is survived. (An added device's failure is asked like any other.)
//
// Strategies: at each step one device is added; every candidate is tried
// and the one that covers the most devices is kept (greedy; ties go to the
// candidate built for the lowest rank). Greedy is optimal for 2MR, where
// each replica covers exactly its original; for CDC+2MR it is the usual
// greedy set cover and need not be optimal on contrived plans.
//  - 2MR (modular redundancy, N = 2): candidate "replica of d" for every
//    uncovered plan device d: a new device holding a copy of every shard d
//    holds.
//  - CDC+2MR: candidate "for d" for every uncovered plan device d: a new
//    device that, for each layer d holds shards of and whose loss is not yet
//    recoverable, holds parity shards when a code can cover the layer and a
//    copy of d's shards of the layer where it cannot (and of the input, if d
//    holds it). A code covers a layer
//    when the plan leaves it `uncoded` with k >= 2 (plain model parallelism,
//    as in the paper's distributions) and the parity code (`sum` by default)
//    can be built for its k: the layer then follows the parity code, whose
//    first k shards are the plan's data shards in place and whose parity
//    shards go to added devices — the fewest unplaced ones (at most as many
//    as d holds of the layer, the lowest set first) that make the layer
//    survive d's loss. A layer the plan already codes, a layer of k = 1 (its
//    parity would be a copy), or one where no such set exists (d holds two
//    shards and `sum` has one parity) is replicated.
//    Either way an added device does at most the work of the device it is
//    built for (a parity shard is as large as a data shard), as a replica
//    does: parities of two unrelated groups are never packed onto one device.
// A step adds a device only while some plan device is uncovered; after full
// coverage the curve stays at 1 and no device is added.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codes/registry.hpp"
#include "plan/plan.hpp"

namespace cdcnn {

/// One layer as the coverage analysis sees it: the code its shards follow
/// and, for every shard of that code, the devices holding a copy (empty: the
/// shard is nowhere). Unlike the runtime's DeployedLayer, a shard may have
/// several holders (replicas) or none (a parity not placed yet).
struct CoverageLayer {
  std::string layer;
  std::shared_ptr<const Code> code;
  std::vector<std::vector<int>> holders;  ///< holders[j]: devices holding shard j
};

/// Whether every layer can be decoded when device `failed` is lost (-1: no
/// device lost): for each layer, shard j counts as arrived when a device
/// other than `failed` holds it, and the layer's code is asked.
bool survives(const std::vector<CoverageLayer>& layers, int failed);

enum class Redundancy {
  kReplication,       ///< 2MR only
  kCdcAndReplication  ///< CDC where a code covers a layer, 2MR where it cannot
};
/// "2MR" or "CDC+2MR".
const char* redundancy_name(Redundancy redundancy);

/// A device added by one step of a strategy.
struct AddedDevice {
  int rank = -1;                        ///< its rank: after the plan's highest
  int built_for = -1;                   ///< the plan device it was built to cover
  std::vector<std::string> parity_of;   ///< layers it holds a parity shard of
  std::vector<std::string> replica_of;  ///< layers it holds copies of built_for's shards of
  std::vector<int> newly_covered;       ///< plan devices whose failure it made recoverable
  /// "replica of 3", "parity of fc6,fc7", "parity of fc7 + replica of 4 (conv5)".
  std::string describe() const;
};

/// The system after `extra` added devices.
struct CoveragePoint {
  int extra = 0;            ///< the step: devices the strategy may have added (the x axis)
  int devices = 0;          ///< plan devices + devices actually added (fewer than extra after full coverage)
  int covered = 0;          ///< devices whose single failure is recoverable
  int covered_planned = 0;  ///< of which plan devices
  std::optional<AddedDevice> added;   ///< the device this step added (none at 0 or after full coverage)
  std::vector<CoverageLayer> layers;  ///< the system after this step: who holds which shard
  double coverage() const { return devices == 0 ? 1.0 : static_cast<double>(covered) / devices; }
};

struct CoverageOptions {
  int max_extra = -1;                ///< steps to take; -1: as many as the plan has devices
  std::string parity_code = "sum";   ///< code whose parity shards CDC adds (must be systematic)
};

struct CoverageCurves {
  std::vector<int> devices;                 ///< the plan's devices, ascending
  std::vector<CoveragePoint> replication;   ///< 2MR, points for 0..max_extra steps
  std::vector<CoveragePoint> cdc;           ///< CDC+2MR, same steps
};

/// The plan's layers as deployed, every shard on its listed rank, preceded
/// by the input (a layer named "input": one `uncoded` shard held by each of
/// the plan's input ranks) if the plan places it. Error
/// naming the plan line for an unknown code, a layer without ranks, or a
/// count of ranks that is not the code's n.
std::vector<CoverageLayer> held_layers(const Plan& plan, const CodeRegistry& registry = code_registry());

/// The curve of one strategy, points for 0..max_extra added devices.
/// Error for a plan without layers, a bad option (naming --max-extra or
/// --parity-code) or a plan line as held_layers() says.
std::vector<CoveragePoint> coverage_curve(const Plan& plan, Redundancy redundancy, const CoverageOptions& options,
                                          const CodeRegistry& registry = code_registry());

/// Both strategies.
CoverageCurves coverage_curves(const Plan& plan, const CoverageOptions& options,
                               const CodeRegistry& registry = code_registry());

/// The curves as a table (extra devices, coverage and added device per
/// strategy) and as CSV (one row per step, both strategies).
std::string format_coverage_table(const CoverageCurves& curves);
std::string format_coverage_csv(const CoverageCurves& curves);

}  // namespace cdcnn
