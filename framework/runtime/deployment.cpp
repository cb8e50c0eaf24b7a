#include "runtime/deployment.hpp"

#include <algorithm>
#include <set>

#include "codes/encoding.hpp"
#include "core/error.hpp"
#include "runtime/protocol.hpp"

namespace cdcnn::runtime {

std::vector<int> DeployedLayer::shards_of(int rank) const {
  std::vector<int> out;
  for (std::size_t j = 0; j < ranks.size(); ++j)
    if (ranks[j] == rank) out.push_back(static_cast<int>(j));
  return out;
}

std::vector<int> DeployedLayer::holders() const {
  std::set<int> s(ranks.begin(), ranks.end());
  return {s.begin(), s.end()};
}

const DeployedLayer* Deployment::find(std::size_t index) const {
  for (const auto& l : layers)
    if (l.layer_index == index) return &l;
  return nullptr;
}

Index Deployment::max_result_floats() const {
  Index most = 0;
  for (const auto& l : layers) most = std::max(most, l.rows_per_block * l.positions);
  return most + kHeaderFloats;
}

Plan default_plan(const Model& model, const std::string& code_spec, int workers, std::int64_t min_flops,
                  const CodeRegistry& registry) {
  require(workers >= 1, "the distributed runtime needs at least one worker rank (run with mpirun -np 2 or more)");
  Plan plan;
  plan.source = "default plan";
  for (std::size_t i = 0; i < model.size(); ++i) {
    const LinearLayer* linear = model.layer(i).as_linear();
    if (!linear || model.layer(i).flops(model.input_shape_of(i)) < min_flops) continue;
    int chosen = 0;
    for (int k = static_cast<int>(std::min<Index>(workers, linear->rows())); k >= 1 && chosen == 0; --k) {
      try {
        if (registry.make(code_spec, k)->n() <= workers) chosen = k;
      } catch (const Error&) {
        // This k does not suit the code (grouped-sum's g must divide it): try a smaller one.
      }
    }
    require(chosen > 0, "--code ", code_spec, " needs more than the ", workers, " worker ranks even with k = 1");
    const int n = registry.make(code_spec, chosen)->n();
    PlanLine split{.layer = model.layer(i).name(), .k = chosen, .code = code_spec, .line = 0};
    for (int j = 0; j < n; ++j) split.ranks.push_back(1 + j);
    plan.splits.push_back(std::move(split));
  }
  return plan;
}

namespace {

std::vector<int> sorted_unique(std::vector<int> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

/// Places every layer that is not split (its stage's ranks, else rank 0) and
/// the input, then works out who makes and who needs every value.
void place(Deployment& d, const Plan& plan, const Model& model, int world_size) {
  auto check_ranks = [&](const std::vector<int>& ranks, int line) {
    for (int r : ranks)
      require(r < world_size, plan.source, ":", line, ": rank ", r, " does not exist (ranks are 0..", world_size - 1,
              ")");
  };
  const std::size_t n = model.size();
  d.placed.assign(n, {0});
  std::vector<int> stage_line(n, 0);
  for (const auto& stage : plan.stages) {
    const std::string where = cat(plan.source, ":", stage.line);
    std::size_t first = 0, last = 0;
    try {
      first = model.index_of(stage.first);
      last = model.index_of(stage.last);
    } catch (const Error& e) {
      throw Error(cat(where, ": ", e.what()));
    }
    require(first <= last, where, ": stage '", stage.first, "..", stage.last, "' runs backwards ('", stage.last,
            "' comes before '", stage.first, "' in the model)");
    check_ranks(stage.ranks, stage.line);
    for (std::size_t i = first; i <= last; ++i) {
      require(stage_line[i] == 0, where, ": layer '", model.layer(i).name(), "' is already in the stage of line ",
              stage_line[i]);
      stage_line[i] = stage.line;
      d.placed[i] = sorted_unique(stage.ranks);
    }
  }
  for (const auto& l : d.layers) d.placed[l.layer_index].clear();
  if (!plan.input.ranks.empty()) {
    check_ranks(plan.input.ranks, plan.input.line);
    d.input_ranks = sorted_unique(plan.input.ranks);
  }
  d.needers.assign(n + 1, {});
  for (std::size_t c = 0; c < n; ++c) {
    const DeployedLayer* split = d.find(c);
    const std::vector<int> ranks = split ? split->holders() : d.placed[c];
    for (int source : model.inputs_of(c)) {
      auto& needers = d.needers[static_cast<std::size_t>(source + 1)];
      needers.insert(needers.end(), ranks.begin(), ranks.end());
    }
  }
  d.needers[n].push_back(0);  // the sink
  for (auto& v : d.needers) v = sorted_unique(std::move(v));
  d.makers.assign(n + 1, {});
  d.makers[0] = d.input_ranks;
  for (std::size_t i = 0; i < n; ++i) d.makers[i + 1] = d.find(i) ? d.needers[i + 1] : d.placed[i];
}

}  // namespace

bool Deployment::is_star() const {
  if (input_ranks != std::vector<int>{0}) return false;
  return std::all_of(placed.begin(), placed.end(),
                     [](const std::vector<int>& r) { return r.empty() || r == std::vector<int>{0}; });
}

Deployment deploy(const Plan& plan, const Model& model, int world_size, std::vector<std::string>* warnings,
                  const CodeRegistry& registry) {
  check_plan_against_model(plan, model);
  require(world_size >= 2 || plan.splits.empty(), plan.source,
          ": splitting layers needs worker ranks (run with mpirun -np 2 or more)");
  Deployment d;
  for (const auto& split : plan.splits) {
    const std::string where = plan.where(split);
    DeployedLayer l;
    l.layer_index = model.index_of(split.layer);
    l.code = make_code(plan, split, registry);
    const int n = l.code->n();
    if (split.ranks.empty()) {
      l.ranks = round_robin_ranks(n, world_size - 1);
    } else {
      for (int r : split.ranks)
        require(r >= 1 && r < world_size, where, ": rank ", r, " does not exist or is the master (workers are 1..",
                world_size - 1, ")");
      l.ranks = split.ranks;
    }
    if (warnings && l.holders().size() < l.ranks.size())
      warnings->push_back(cat(where, ": layer '", split.layer,
                              "' has two shards on one rank: one failure there costs two shards"));
    const LinearLayer& linear = *model.layer(l.layer_index).as_linear();
    l.rows = linear.rows();
    l.rows_per_block = rows_per_block(l.rows, split.k);
    l.positions = numel(model.output_shape_of(l.layer_index)) / l.rows;
    d.layers.push_back(std::move(l));
  }
  std::sort(d.layers.begin(), d.layers.end(),
            [](const DeployedLayer& a, const DeployedLayer& b) { return a.layer_index < b.layer_index; });
  place(d, plan, model, world_size);
  return d;
}

Plan placed_plan(const Deployment& deployment, const Model& model) {
  Plan plan;
  plan.source = "deployment";
  for (const auto& l : deployment.layers)
    plan.splits.push_back(PlanLine{.layer = model.layer(l.layer_index).name(), .k = l.code->k(),
                                   .code = l.code->spec(), .ranks = l.ranks});
  return plan;
}

}  // namespace cdcnn::runtime
