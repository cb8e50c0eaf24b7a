#include "plan/coverage.hpp"

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

#include "codes/combinations.hpp"
#include "core/csv.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "core/text_table.hpp"

namespace cdcnn {

namespace {

constexpr int kMaxExtra = 1000;

bool holds(const std::vector<int>& holders, int device) {
  return std::find(holders.begin(), holders.end(), device) != holders.end();
}

bool layer_survives(const CoverageLayer& layer, int failed) {
  ShardMask arrived(layer.holders.size(), false);
  for (std::size_t j = 0; j < layer.holders.size(); ++j)
    for (int h : layer.holders[j])
      if (h != failed) arrived[j] = true;
  return layer.code->decodable(arrived);
}

/// A strategy's state: the layers as held now, and how CDC may extend each.
struct System {
  std::vector<CoverageLayer> layers;
  /// Per layer: the parity code CDC switches an uncoded layer to, or null
  /// where no code covers the layer (it is replicated).
  std::vector<std::shared_ptr<const Code>> parity_codes;
  std::vector<int> planned;  ///< the plan's devices, ascending
  std::vector<int> added;    ///< added devices, in order

  int covered(int* covered_planned) const {
    int count = 0, planned_count = 0;
    for (int d : planned)
      if (survives(layers, d)) ++count, ++planned_count;
    for (int d : added)
      if (survives(layers, d)) ++count;
    if (covered_planned) *covered_planned = planned_count;
    return count;
  }
  int next_rank() const {
    int highest = planned.empty() ? 0 : planned.back();
    if (!added.empty()) highest = std::max(highest, added.back());
    return highest + 1;
  }
};

/// Tries, in lexicographic order, every set of `count` shards of `unplaced`
/// placed on `added` (at most kMaxTrials sets) until `layer` survives the
/// loss of `device`; keeps the first such set. False (layer unchanged) if none.
bool place_parities(CoverageLayer& layer, const std::vector<int>& unplaced, int count, int device, int added) {
  constexpr int kMaxTrials = 10000;
  bool placed = false;
  int trials = 0;
  for_each_combination(static_cast<int>(unplaced.size()), count, [&](std::span<const int> pick) {
    for (int i : pick) layer.holders[static_cast<std::size_t>(unplaced[static_cast<std::size_t>(i)])] = {added};
    placed = layer_survives(layer, device);
    if (!placed)
      for (int i : pick) layer.holders[static_cast<std::size_t>(unplaced[static_cast<std::size_t>(i)])].clear();
    return !placed && ++trials < kMaxTrials;
  });
  return placed;
}

/// Copies of `device`'s shards of layer `layer` onto `added`.
void replicate(CoverageLayer& layer, int device, int added) {
  for (auto& h : layer.holders)
    if (holds(h, device)) h.push_back(added);
}

/// The candidate device built to cover `device` (the strategies in coverage.hpp);
/// applies it to `system`. False if it would hold nothing.
bool add_candidate(System& system, Redundancy redundancy, int device, AddedDevice& out) {
  out = AddedDevice{};
  out.rank = system.next_rank();
  out.built_for = device;
  for (std::size_t l = 0; l < system.layers.size(); ++l) {
    CoverageLayer& layer = system.layers[l];
    const bool involved =
        std::any_of(layer.holders.begin(), layer.holders.end(), [&](const auto& h) { return holds(h, device); });
    if (!involved) continue;
    if (redundancy == Redundancy::kReplication) {
      replicate(layer, device, out.rank);
      out.replica_of.push_back(layer.layer);
      continue;
    }
    if (layer_survives(layer, device)) continue;
    bool covered = false;
    if (const auto& parity = system.parity_codes[l]) {
      // The fewest unplaced parity shards (no more than `device` holds of
      // the layer) that let the layer survive its loss, lowest first.
      CoverageLayer extended{layer.layer, parity, layer.holders};
      extended.holders.resize(static_cast<std::size_t>(parity->n()));
      std::vector<int> unplaced;
      for (int j = parity->k(); j < parity->n(); ++j)
        if (extended.holders[static_cast<std::size_t>(j)].empty()) unplaced.push_back(j);
      const auto lost = std::count_if(layer.holders.begin(), layer.holders.end(),
                                      [&](const auto& h) { return holds(h, device); });
      for (int count = 1; count <= lost && count <= static_cast<int>(unplaced.size()) && !covered; ++count)
        covered = place_parities(extended, unplaced, count, device, out.rank);
      if (covered) {
        layer = std::move(extended);
        out.parity_of.push_back(layer.layer);
      }
    }
    if (!covered) {
      replicate(layer, device, out.rank);
      out.replica_of.push_back(layer.layer);
    }
  }
  if (out.parity_of.empty() && out.replica_of.empty()) return false;
  system.added.push_back(out.rank);
  return true;
}

System make_system(const Plan& plan, Redundancy redundancy, const CoverageOptions& options,
                   const CodeRegistry& registry) {
  System system;
  system.layers = held_layers(plan, registry);
  std::set<int> devices;
  for (const auto& layer : system.layers)
    for (const auto& h : layer.holders) devices.insert(h.begin(), h.end());
  system.planned.assign(devices.begin(), devices.end());
  system.parity_codes.resize(system.layers.size());
  if (redundancy != Redundancy::kCdcAndReplication) return system;
  std::string refusal;  // why the parity code could not be built, if it never could
  bool built = false;
  for (std::size_t l = 0; l < system.layers.size(); ++l) {
    const Code& code = *system.layers[l].code;
    if (code.name() != "uncoded" || code.k() < 2) continue;  // k = 1: a parity would be a copy
    std::shared_ptr<const Code> parity;
    try {
      parity = registry.make(options.parity_code, code.k());
      built = true;
    } catch (const Error& e) {
      // This k does not suit the parity code (grouped-sum's g must divide
      // it): the layer is replicated. Refused for every k: a bad spec.
      if (refusal.empty()) {
        refusal = e.what();
        if (refusal.rfind("code: ", 0) == 0) refusal.erase(0, 6);  // "--parity-code: " says it
      }
      continue;
    }
    require(parity->systematic(), "--parity-code: '", parity->spec(), "' is not systematic for k = ", code.k(),
            " (its first k shards must be the data blocks)");
    if (parity->n() > parity->k()) system.parity_codes[l] = std::move(parity);
  }
  require(built || refusal.empty(), "--parity-code: ", refusal);
  return system;
}

}  // namespace

bool survives(const std::vector<CoverageLayer>& layers, int failed) {
  for (const auto& layer : layers)
    if (!layer_survives(layer, failed)) return false;
  return true;
}

const char* redundancy_name(Redundancy redundancy) {
  return redundancy == Redundancy::kReplication ? "2MR" : "CDC+2MR";
}

std::string AddedDevice::describe() const {
  std::string out;
  if (!parity_of.empty()) out = "parity of " + join(parity_of, ",");
  if (!replica_of.empty()) {
    if (!out.empty()) out += " + ";
    out += cat("replica of ", built_for);
    if (!parity_of.empty()) out += " (" + join(replica_of, ",") + ")";
  }
  return out;
}

std::vector<CoverageLayer> held_layers(const Plan& plan, const CodeRegistry& registry) {
  std::vector<CoverageLayer> layers;
  if (!plan.input.ranks.empty()) {
    // The input, whole: one shard of `uncoded` (k = 1), a copy on every listed
    // rank. It is no linear layer's output, so no parity can stand for it.
    CoverageLayer input;
    input.layer = Model::kInputName;
    input.code = registry.make("uncoded", 1);
    input.holders.push_back(plan.input.ranks);
    layers.push_back(std::move(input));
  }
  for (const auto& split : plan.splits) {
    const std::string where = plan.where(split);
    CoverageLayer layer;
    layer.layer = split.layer;
    layer.code = make_code(plan, split, registry);
    require(!split.ranks.empty(), where, ": layer '", split.layer, "' lists no ranks; coverage needs the rank of each of ",
            layer.code->spec(), "'s ", layer.code->n(), " shards");
    for (int r : split.ranks) layer.holders.push_back({r});
    require(layer_survives(layer, -1), where, ": layer '", split.layer, "' cannot be decoded even with every shard");
    layers.push_back(std::move(layer));
  }
  return layers;
}

std::vector<CoveragePoint> coverage_curve(const Plan& plan, Redundancy redundancy, const CoverageOptions& options,
                                          const CodeRegistry& registry) {
  require(!plan.splits.empty(), plan.source, ": the plan splits no layer");
  System system = make_system(plan, redundancy, options, registry);
  const int steps = options.max_extra < 0 ? static_cast<int>(system.planned.size()) : options.max_extra;
  require(steps <= kMaxExtra, "--max-extra must be at most ", kMaxExtra, ", got ", steps);

  std::vector<CoveragePoint> curve;
  CoveragePoint point;
  point.devices = static_cast<int>(system.planned.size());
  point.covered = system.covered(&point.covered_planned);
  point.layers = system.layers;
  curve.push_back(point);
  for (int step = 1; step <= steps; ++step) {
    point.extra = step;
    point.added.reset();
    if (point.covered_planned < static_cast<int>(system.planned.size())) {
      // Every candidate, on a copy of the system; the one covering the most wins.
      std::optional<System> best;
      AddedDevice best_device;
      int best_covered = -1, best_planned = 0;
      for (int d : system.planned) {
        if (survives(system.layers, d)) continue;
        System trial = system;
        AddedDevice device;
        if (!add_candidate(trial, redundancy, d, device)) continue;
        int planned_covered = 0;
        const int covered = trial.covered(&planned_covered);
        if (covered > best_covered) {
          best_covered = covered;
          best_planned = planned_covered;
          best_device = std::move(device);
          best = std::move(trial);
        }
      }
      require(best.has_value(), plan.source, ": no device can be added to cover the remaining failures");
      // Which plan devices this step covered.
      for (int d : system.planned)
        if (!survives(system.layers, d) && survives(best->layers, d)) best_device.newly_covered.push_back(d);
      system = std::move(*best);
      point.devices = static_cast<int>(system.planned.size() + system.added.size());
      point.covered = best_covered;
      point.covered_planned = best_planned;
      point.added = std::move(best_device);
      point.layers = system.layers;
    }
    curve.push_back(point);
  }
  return curve;
}

CoverageCurves coverage_curves(const Plan& plan, const CoverageOptions& options, const CodeRegistry& registry) {
  CoverageCurves curves;
  curves.replication = coverage_curve(plan, Redundancy::kReplication, options, registry);
  curves.cdc = coverage_curve(plan, Redundancy::kCdcAndReplication, options, registry);
  std::set<int> devices;
  for (const auto& layer : held_layers(plan, registry))
    for (const auto& h : layer.holders) devices.insert(h.begin(), h.end());
  curves.devices.assign(devices.begin(), devices.end());
  return curves;
}

namespace {

std::string percent(const CoveragePoint& p) {
  char text[64];
  std::snprintf(text, sizeof text, "%5.1f%% %d/%d", 100.0 * p.coverage(), p.covered, p.devices);
  return text;
}

std::string added_text(const CoveragePoint& p) {
  if (!p.added) return "-";
  std::string covers;
  for (int d : p.added->newly_covered) covers += (covers.empty() ? "" : ",") + std::to_string(d);
  return cat("rank ", p.added->rank, ": ", p.added->describe(), covers.empty() ? "" : " -> covers " + covers);
}

}  // namespace

std::string format_coverage_table(const CoverageCurves& curves) {
  std::ostringstream out;
  std::string devices;
  for (int d : curves.devices) devices += (devices.empty() ? "" : ",") + std::to_string(d);
  out << "plan devices (" << curves.devices.size() << "): " << devices << "\n";
  std::vector<std::vector<std::string>> rows = {{"extra", "2MR", "2MR adds", "CDC+2MR", "CDC+2MR adds"}};
  for (std::size_t i = 0; i < curves.replication.size() && i < curves.cdc.size(); ++i) {
    const auto& r = curves.replication[i];
    const auto& c = curves.cdc[i];
    rows.push_back({std::to_string(r.extra), percent(r), added_text(r), percent(c), added_text(c)});
  }
  out << format_text_table(rows);
  const auto full = [](const std::vector<CoveragePoint>& curve) -> std::string {
    for (const auto& p : curve)
      if (p.covered == p.devices) return std::to_string(p.devices - (curve.empty() ? 0 : curve.front().devices));
    return cat("more than ", curve.empty() ? 0 : curve.back().extra);
  };
  out << "additional devices for full coverage: 2MR " << full(curves.replication) << ", CDC+2MR "
      << full(curves.cdc) << "\n";
  return out.str();
}

std::string format_coverage_csv(const CoverageCurves& curves) {
  std::vector<std::vector<std::string>> rows = {
      {"extra", "devices_2mr", "covered_2mr", "coverage_2mr", "covered_planned_2mr", "added_2mr", "devices_cdc",
       "covered_cdc", "coverage_cdc", "covered_planned_cdc", "added_cdc"}};
  auto columns = [](std::vector<std::string>& row, const CoveragePoint& p) {
    char coverage[32];
    std::snprintf(coverage, sizeof coverage, "%.6f", p.coverage());
    row.insert(row.end(), {std::to_string(p.devices), std::to_string(p.covered), coverage,
                           std::to_string(p.covered_planned), p.added ? added_text(p) : ""});
  };
  for (std::size_t i = 0; i < curves.replication.size() && i < curves.cdc.size(); ++i) {
    std::vector<std::string> row = {std::to_string(curves.replication[i].extra)};
    columns(row, curves.replication[i]);
    columns(row, curves.cdc[i]);
    rows.push_back(std::move(row));
  }
  return csv_text(rows);
}

}  // namespace cdcnn
