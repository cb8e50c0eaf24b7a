#include "plan/planner.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <memory>

#include "core/error.hpp"
#include "plan/shard_placement.hpp"

namespace cdcnn {

Objective parse_objective(const std::string& text) {
  if (text == "p99") return Objective::p99;
  if (text == "mean") return Objective::mean;
  if (text == "throughput") return Objective::throughput;
  throw Error(cat("--objective: '", text, "' is not one of p99, mean, throughput"));
}

std::string to_string(Objective objective) {
  switch (objective) {
    case Objective::p99: return "p99";
    case Objective::mean: return "mean";
    case Objective::throughput: return "throughput";
  }
  return "?";
}

double objective_value(const Prediction& p, Objective objective) {
  // Throughput (one frame at a time) is 1000 / mean: ranking by it is ranking by the mean.
  return objective == Objective::p99 ? p.p99_ms : p.mean_ms;
}

namespace {

/// One way to run one layer: not split (code null), or split with `code`.
struct Option {
  std::shared_ptr<Code> code;
  std::string spec;
  double weight_bytes = 0;  ///< one shard's weights
  double value = 0;         ///< the layer's own objective
};

std::vector<std::string> candidate_specs(const PlannerOptions& options, const CodeRegistry& registry) {
  if (!options.codes.empty()) return options.codes;
  std::vector<std::string> specs;
  for (const auto& name : registry.names()) specs.push_back(registry.entry(name).default_spec);
  return specs;
}

/// Every rank's speed: the options', or 1 for each of the devices.
std::vector<double> rank_speeds(const PlannerOptions& options) {
  return options.cost.speeds.empty() ? std::vector<double>(static_cast<std::size_t>(options.devices), 1.0)
                                     : options.cost.speeds;
}

/// The largest profiled k at which `spec`'s shards fit the workers, or null.
std::shared_ptr<Code> widest(const std::string& spec, const LayerProfile& layer, const std::vector<double>& speeds,
                             const CodeRegistry& registry) {
  std::shared_ptr<Code> best;
  for (const ShardProfile& s : layer.shards) {
    try {
      std::shared_ptr<Code> code = registry.make(spec, s.k);
      if (!place_shards(code->n(), speeds).empty() && (!best || code->k() > best->k())) best = std::move(code);
    } catch (const Error&) {
      // This k does not suit the code (grouped-sum's g must divide it).
    }
  }
  return best;
}

/// A plan from per-layer codes (null: not split), shards placed by speed
/// (plan/shard_placement.hpp), and what it is predicted to do.
PlanCandidate build(const std::string& label, const Profile& profile,
                    const std::vector<std::shared_ptr<Code>>& codes, const PlannerOptions& options,
                    const CodeRegistry& registry) {
  const std::vector<double> speeds = rank_speeds(options);
  const int workers = static_cast<int>(speeds.size()) - 1;
  const bool equal_speeds = std::adjacent_find(speeds.begin() + 1, speeds.end(), std::not_equal_to<>()) == speeds.end();
  Plan plan;
  plan.source = label;
  int offset = 0;
  for (std::size_t i = 0; i < codes.size(); ++i) {
    if (!codes[i]) continue;
    const Code& code = *codes[i];
    PlanLine line{.layer = profile.layers[i].name, .k = code.k(), .code = code.spec()};
    // Equal speeds: rotate, so that no worker holds every layer's first
    // shard. Unequal: as the search placed them (the same tolerance).
    line.ranks = place_shards(code.n(), speeds, equal_speeds ? offset : 0);
    require(!line.ranks.empty(), "layer '", line.layer, "': ", code.n(), " shards do not fit the workers");
    offset = (offset + code.n()) % workers;
    plan.splits.push_back(std::move(line));
  }
  return evaluate_plan(label, plan, profile, options, registry);
}

}  // namespace

PlanCandidate evaluate_plan(const std::string& label, const Plan& plan, const Profile& profile,
                            const PlannerOptions& options, const CodeRegistry& registry) {
  const std::vector<double> speeds = rank_speeds(options);
  const int workers = static_cast<int>(speeds.size()) - 1;
  PlanCandidate c;
  c.label = label;
  c.plan = plan;
  c.tolerates = INT_MAX;
  std::vector<double> held(static_cast<std::size_t>(workers) + 1, 0.0);
  std::vector<std::unique_ptr<Code>> codes;
  std::vector<SplitCost> splits;
  for (const PlanLine& line : plan.splits) {
    const std::string where = plan.where(line);
    const auto layer = std::find_if(profile.layers.begin(), profile.layers.end(),
                                    [&](const LayerProfile& l) { return l.name == line.layer; });
    require(layer != profile.layers.end() && layer->linear, where, ": '", line.layer,
            "' is not a linear layer of the profile");
    codes.push_back(make_code(plan, line, registry));
    const Code& code = *codes.back();
    std::vector<int> ranks = line.ranks.empty() ? round_robin_ranks(code.n(), workers) : line.ranks;
    for (int r : ranks)
      require(r >= 1 && r <= workers, where, ": rank ", r, " is not a worker of the ", options.devices, " devices");
    const ShardProfile& shard = layer->shard(code.k(), where);
    for (int rank : ranks) held[static_cast<std::size_t>(rank)] += static_cast<double>(shard.weight_bytes);
    c.tolerates = std::min(c.tolerates, device_tolerance(code, ranks));
    splits.push_back({static_cast<std::size_t>(layer - profile.layers.begin()), &code, std::move(ranks)});
  }
  if (c.tolerates == INT_MAX) c.tolerates = -1;  // nothing split: no worker matters
  c.worker_mb = *std::max_element(held.begin(), held.end()) / 1e6;
  c.prediction = predict(profile, splits, options.cost);
  return c;
}

PlannerResult plan_search(const Model& model, const Profile& profile, const PlannerOptions& options,
                          const CodeRegistry& registry) {
  const int workers = options.devices - 1;
  require(options.cost.speeds.empty() || static_cast<int>(options.cost.speeds.size()) == options.devices,
          "speeds: ", options.cost.speeds.size(), " given for ", options.devices, " devices");
  const std::vector<double> speeds = rank_speeds(options);
  require(workers >= 1, "--devices must be at least 2 (rank 0 and one worker), got ", options.devices);
  require(options.tolerate >= 0, "--tolerate must be 0 or more");
  require(profile.model == model.name() && profile.layers.size() == model.size(), "the profile is of model '",
          profile.model, "' (", profile.layers.size(), " layers), not of '", model.name(), "' (", model.size(),
          " layers): profile this model with cdcnn profile");
  for (std::size_t i = 0; i < model.size(); ++i)
    require(profile.layers[i].name == model.layer(i).name(), "the profile's layer ", i, " is '",
            profile.layers[i].name, "', the model's is '", model.layer(i).name(), "': profile this model again");
  const std::vector<std::string> specs = candidate_specs(options, registry);
  const double budget = options.memory_mb > 0 ? options.memory_mb * 1e6 : std::numeric_limits<double>::infinity();

  // Each linear layer's best option by its own objective.
  std::vector<std::shared_ptr<Code>> chosen(profile.layers.size());
  bool any_tolerant_fits = options.tolerate == 0;
  for (std::size_t i = 0; i < profile.layers.size(); ++i) {
    const LayerProfile& layer = profile.layers[i];
    if (!layer.linear || layer.shards.empty()) continue;
    Option best{.value = layer.ms};  // not split: its time on the master
    for (const std::string& spec : specs)
      for (const ShardProfile& s : layer.shards) {
        std::shared_ptr<Code> code;
        try {
          code = registry.make(spec, s.k);
        } catch (const Error&) {
          continue;  // this k does not suit the code
        }
        const std::vector<int> ranks = place_shards(code->n(), speeds);
        if (ranks.empty() || device_tolerance(*code, ranks) < options.tolerate) continue;
        any_tolerant_fits = true;
        // A worker may hold several shards: their weights add up.
        int most = 0;
        for (int r : ranks) most = std::max(most, static_cast<int>(std::count(ranks.begin(), ranks.end(), r)));
        const double most_held = static_cast<double>(s.weight_bytes) * most;
        if (most_held > budget) continue;
        const LayerSamples samples = simulate_split(layer, *code, options.cost, ranks);
        const Prediction p = summarise(samples.ms, samples.degraded);
        const double value = objective_value(p, options.objective);
        if (value < best.value) best = Option{code, spec, static_cast<double>(s.weight_bytes), value};
      }
    chosen[i] = best.code;
  }
  require(any_tolerant_fits, "no code tolerates ", options.tolerate, " failure(s) with ", workers,
          " worker(s): add devices or lower --tolerate");

  PlannerResult result;
  result.chosen = build("planner", profile, chosen, options, registry);
  require(result.chosen.worker_mb * 1e6 <= budget, "the chosen plan puts ", result.chosen.worker_mb,
          " MB of shard weights on one worker, more than --memory-mb ", options.memory_mb,
          ": add devices or raise --memory-mb");

  // The alternatives it is compared with.
  const std::vector<std::shared_ptr<Code>> none(profile.layers.size());
  result.alternatives.push_back(build("split nothing (all on rank 0)", profile, none, options, registry));
  auto everywhere = [&](const std::string& spec) {
    std::vector<std::shared_ptr<Code>> codes(profile.layers.size());
    bool any = false;
    for (std::size_t i = 0; i < profile.layers.size(); ++i)
      if (profile.layers[i].linear && (codes[i] = widest(spec, profile.layers[i], speeds, registry))) any = true;
    return any ? codes : std::vector<std::shared_ptr<Code>>{};
  };
  if (auto codes = everywhere("uncoded"); !codes.empty())
    result.alternatives.push_back(build("all uncoded", profile, codes, options, registry));
  if (auto codes = everywhere("replication:n=2"); !codes.empty())
    result.alternatives.push_back(build("2MR (replication:n=2)", profile, codes, options, registry));
  std::optional<PlanCandidate> single;
  for (const std::string& spec : specs) {
    auto codes = everywhere(spec);
    if (codes.empty()) continue;
    PlanCandidate c = build("best single code: " + spec, profile, codes, options, registry);
    if (c.tolerates < options.tolerate) continue;
    if (!single || objective_value(c.prediction, options.objective) <
                       objective_value(single->prediction, options.objective))
      single = std::move(c);
  }
  if (single) result.alternatives.push_back(std::move(*single));
  return result;
}

}  // namespace cdcnn
