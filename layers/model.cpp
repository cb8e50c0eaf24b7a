#include "layers/model.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <queue>
#include <set>

#include "core/error.hpp"
#include "layers/merge.hpp"

namespace cdcnn {

void Model::check_size(const Shape& shape, const std::string& what) const {
  // kMaxElements (2^31): no device we target holds a larger tensor.
  const bool positive = std::all_of(shape.begin(), shape.end(), [](Index d) { return d > 0; });
  require(positive && checked_numel(shape).has_value(), "model '", name_, "': ", what, " would have shape ",
          to_string(shape), ", more than 2^31 elements (or an empty dimension)");
}

Model::Model(std::string name, Shape input_shape, std::vector<std::unique_ptr<Layer>> layers,
             InputNormalisation normalisation, std::vector<std::vector<std::string>> inputs)
    : name_(std::move(name)),
      input_shape_(std::move(input_shape)),
      layers_(std::move(layers)),
      normalisation_(std::move(normalisation)) {
  require(!layers_.empty(), "model '", name_, "' has no layers");
  if (!normalisation_.empty()) {
    require(normalisation_.mean.size() == normalisation_.std.size() && !input_shape_.empty() &&
                static_cast<Index>(normalisation_.mean.size()) == input_shape_[0],
            "model '", name_, "': input_mean and input_std need one value per input channel (",
            input_shape_.empty() ? 0 : input_shape_[0], ")");
    for (double s : normalisation_.std) require(s > 0, "model '", name_, "': input_std must be positive");
  }
  check_size(input_shape_, "the input");
  link(std::move(inputs));
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const Layer& layer = *layers_[i];
    std::vector<Shape> in = input_shapes_of(i);
    if (const MergeLayer* merge = layer.as_merge())
      outputs_.push_back(merge->merged_shape(in));
    else {
      require(in.size() == 1, "model '", name_, "': ", layer.where(), " takes one input, but 'inputs' names ",
              in.size());
      outputs_.push_back(layer.output_shape(in[0]));
    }
    check_size(outputs_.back(), layer.where() + "'s output");
  }
}

void Model::link(std::vector<std::vector<std::string>> inputs) {
  const std::size_t n = layers_.size();
  require(inputs.empty() || inputs.size() == n, "model '", name_, "': ", inputs.size(), " input lists for ", n,
          " layers");
  inputs.resize(n);
  std::map<std::string, int> by_name;
  for (std::size_t i = 0; i < n; ++i)
    require(by_name.emplace(layers_[i]->name(), static_cast<int>(i)).second, "model '", name_,
            "': two layers are named '", layers_[i]->name(), "'");

  // Sources in file order, then the edges they make.
  std::vector<std::vector<int>> sources(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (inputs[i].empty()) {
      sources[i] = {static_cast<int>(i) - 1};  // -1 == kModelInput for the first layer
      continue;
    }
    for (const std::string& input : inputs[i]) {
      const auto found = by_name.find(input);
      if (found != by_name.end()) {
        require(found->second != static_cast<int>(i), "model '", name_, "': ", layers_[i]->where(),
                " takes its own output (a cycle)");
        sources[i].push_back(found->second);
      } else {
        require(input == kInputName, "model '", name_, "': ", layers_[i]->where(), " takes input '", input,
                "', which names no layer (nor '", kInputName, "', the model's input)");
        sources[i].push_back(kModelInput);
      }
    }
  }
  const std::size_t output = n - 1;
  std::vector<std::vector<std::size_t>> consumers(n);
  std::vector<std::size_t> waiting(n, 0);  // sources not yet placed
  for (std::size_t i = 0; i < n; ++i)
    for (int s : sources[i]) {
      if (s == kModelInput) continue;
      require(static_cast<std::size_t>(s) != output, "model '", name_, "': ", layers_[i]->where(), " takes ",
              layers_[output]->where(), "'s output, but the last layer of a model is its output");
      consumers[static_cast<std::size_t>(s)].push_back(i);
      ++waiting[i];
    }

  // Kahn's algorithm, smallest file position first, the output held back to
  // run last: a file already in topological order keeps its order.
  std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
  for (std::size_t i = 0; i < n; ++i)
    if (waiting[i] == 0 && i != output) ready.push(i);
  std::vector<std::size_t> order;
  while (!ready.empty()) {
    const std::size_t i = ready.top();
    ready.pop();
    order.push_back(i);
    for (std::size_t c : consumers[i])
      if (--waiting[c] == 0 && c != output) ready.push(c);
  }
  if (waiting[output] == 0) order.push_back(output);
  if (order.size() < n) {
    std::vector<bool> placed(n, false);
    for (std::size_t i : order) placed[i] = true;
    std::string stuck;
    for (std::size_t i = 0; i < n; ++i)
      if (!placed[i]) stuck += (stuck.empty() ? "'" : ", '") + layers_[i]->name() + "'";
    throw Error(cat("model '", name_, "': the inputs of layers ", stuck,
                    " form a cycle (or depend on one): a model is a directed acyclic graph"));
  }

  std::vector<int> position(n);
  for (std::size_t p = 0; p < n; ++p) position[order[p]] = static_cast<int>(p);
  std::vector<std::unique_ptr<Layer>> sorted;
  inputs_.assign(n, {});
  for (std::size_t p = 0; p < n; ++p) {
    sorted.push_back(std::move(layers_[order[p]]));
    for (int s : sources[order[p]]) inputs_[p].push_back(s == kModelInput ? kModelInput : position[s]);
    sequential_ = sequential_ && inputs_[p] == std::vector<int>{static_cast<int>(p) - 1};
  }
  layers_ = std::move(sorted);
  if (!sequential_)
    for (const auto& layer : layers_)
      require(layer->name() != kInputName, "model '", name_, "': ", layer->where(), ": in a graph model the name '",
              kInputName, "' stands for the model's input; rename the layer");

  last_use_.assign(n + 1, 0);
  for (std::size_t p = 0; p < n; ++p) last_use_[p + 1] = p;  // nobody reads it: dropped at once
  for (std::size_t p = 0; p < n; ++p)
    for (int s : inputs_[p]) last_use_[static_cast<std::size_t>(s + 1)] = p;
  for (std::size_t p = 0; p + 1 < n; ++p)
    if (last_use_[p + 1] == p)
      warnings_.push_back(cat("model '", name_, "': nothing takes the output of ", layers_[p]->where(),
                              " (it is computed and dropped; only the last layer is the model's output)"));
}

std::vector<Shape> Model::input_shapes_of(std::size_t i) const {
  std::vector<Shape> shapes;
  for (int s : inputs_.at(i)) shapes.push_back(s == kModelInput ? input_shape_ : outputs_.at(static_cast<std::size_t>(s)));
  return shapes;
}

std::string Model::input_names(std::size_t i) const {
  std::string names;
  for (int s : inputs_.at(i))
    names += (names.empty() ? "" : ",") +
             (s == kModelInput ? std::string(kInputName) : layers_.at(static_cast<std::size_t>(s))->name());
  return names;
}

const Shape& Model::input_shape_of(std::size_t i) const {
  const int s = inputs_.at(i).front();
  return s == kModelInput ? input_shape_ : outputs_.at(static_cast<std::size_t>(s));
}

std::size_t Model::index_of(const std::string& layer_name) const {
  std::string known;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    if (layers_[i]->name() == layer_name) return i;
    known += (i ? ", " : "") + layers_[i]->name();
  }
  throw Error(cat("model '", name_, "' has no layer '", layer_name, "' (layers: ", known, ")"));
}

Tensor Model::forward(const Tensor& x) const {
  ModelPass pass(*this, x);
  pass.run_until(size());
  return pass.take_output();
}

std::int64_t Model::flops() const {
  std::int64_t total = 0;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const std::int64_t f = layers_[i]->flops(input_shape_of(i));
    require(f <= std::numeric_limits<std::int64_t>::max() - total, "model '", name_,
            "': more than 2^63 floating-point operations");
    total += f;
  }
  return total;
}

std::int64_t Model::parameter_count() const {
  std::int64_t total = 0;
  for (const auto& l : layers_) total += l->parameter_count();
  return total;
}

std::int64_t Model::peak_activation_bytes() const {
  auto bytes = [](const Shape& s) { return numel(s) * static_cast<std::int64_t>(sizeof(float)); };
  std::int64_t live = bytes(input_shape_), peak = live;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    live += bytes(outputs_[i]);
    peak = std::max(peak, live);
    std::set<int> sources(inputs_[i].begin(), inputs_[i].end());
    for (int s : sources)
      if (last_use_[static_cast<std::size_t>(s + 1)] == i) live -= bytes(s == kModelInput ? input_shape_ : outputs_[static_cast<std::size_t>(s)]);
    if (last_use_[i + 1] == i && i + 1 < layers_.size()) live -= bytes(outputs_[i]);
  }
  return peak;
}

ModelPass::ModelPass(const Model& model, Tensor x) : model_(&model), values_(model.size() + 1) {
  require(x.shape() == model.input_shape(), "model '", model.name(), "' expects input of shape ",
          to_string(model.input_shape()), ", got ", to_string(x.shape()));
  values_[0] = std::move(x);
}

const Tensor& ModelPass::value(int source) const { return values_[static_cast<std::size_t>(source + 1)]; }

std::vector<const Tensor*> ModelPass::inputs() const {
  require(!done(), "model '", model_->name(), "': every layer has run");
  std::vector<const Tensor*> xs;
  for (int s : model_->inputs_of(next_)) xs.push_back(&value(s));
  return xs;
}

const Tensor& ModelPass::input() const {
  require(!done(), "model '", model_->name(), "': every layer has run");
  const auto& sources = model_->inputs_of(next_);
  require(sources.size() == 1, model_->layer(next_).where(), " takes ", sources.size(), " inputs, not one");
  return value(sources.front());
}

void ModelPass::run() {
  const std::size_t i = next_;
  const Layer& layer = model_->layer(i);
  const std::vector<int>& sources = model_->inputs_of(i);
  // The first input is ours to give the layer when no later layer, and no
  // other input slot of this one, reads it.
  const int first = sources.front();
  const bool give = model_->last_use_[static_cast<std::size_t>(first + 1)] == i &&
                    std::count(sources.begin(), sources.end(), first) == 1;
  Tensor& x = values_[static_cast<std::size_t>(first + 1)];
  if (const MergeLayer* merge = layer.as_merge()) {
    const std::vector<const Tensor*> xs = inputs();
    advance(give ? merge->merge(xs, std::move(x)) : merge->merge(xs));
    return;
  }
  Tensor spare = take_spare(numel(model_->output_shape_of(i)));
  Tensor y = give ? layer.forward(std::move(x), spare) : layer.forward(x, spare);
  if (spare.numel() > 0) recycle(std::move(spare));
  advance(std::move(y));
}

void ModelPass::run_until(std::size_t layer) {
  require(layer >= next_ && layer <= model_->size(), "model '", model_->name(), "': cannot run until layer ", layer,
          " from layer ", next_);
  while (next_ < layer) run();
}

void ModelPass::give(Tensor y) {
  require(!done(), "model '", model_->name(), "': every layer has run");
  const Layer& layer = model_->layer(next_);
  require(y.shape() == model_->output_shape_of(next_), layer.where(), ": given an output of shape ",
          to_string(y.shape()), ", expected ", to_string(model_->output_shape_of(next_)));
  advance(std::move(y));
}

void ModelPass::advance(Tensor y) {
  const std::size_t i = next_;
  values_[i + 1] = std::move(y);
  for (int s : model_->inputs_of(i))
    if (model_->last_use_[static_cast<std::size_t>(s + 1)] == i) release(static_cast<std::size_t>(s + 1));
  if (model_->last_use_[i + 1] == i && i + 1 < model_->size()) release(i + 1);
  ++next_;
}

void ModelPass::release(std::size_t value) {
  Tensor& v = values_[value];
  if (v.numel() > 0) recycle(std::move(v));
  v = Tensor();
}

void ModelPass::recycle(Tensor t) {
  if (spares_) {
    spares_->push_back(std::move(t));
    return;
  }
  own_spares_.push_back(std::move(t));
  if (own_spares_.size() > kKeptSpares) own_spares_.erase(own_spares_.begin());
}

Tensor ModelPass::take_spare(Index n) {
  std::vector<Tensor>& pool = spares_ ? *spares_ : own_spares_;
  const auto it = std::find_if(pool.rbegin(), pool.rend(), [&](const Tensor& t) { return t.numel() == n; });
  if (it == pool.rend()) return Tensor();
  Tensor t = std::move(*it);
  pool.erase(std::next(it).base());
  return t;
}

Tensor ModelPass::take_output() {
  require(done(), "model '", model_->name(), "': the output is not computed yet (layer ", next_, " of ",
          model_->size(), " is next)");
  return std::move(values_.back());
}

void Model::drop_weights(std::size_t i) {
  auto* linear = dynamic_cast<LinearLayer*>(layers_.at(i).get());
  require(linear != nullptr, layers_[i]->where(), ": not a linear layer: it has no weights to drop");
  linear->drop_weights();
}

std::int64_t Model::weight_bytes() const {
  std::int64_t total = 0;
  for (const auto& l : layers_)
    if (const LinearLayer* linear = l->as_linear()) total += linear->weight_bytes();
  return total;
}

}  // namespace cdcnn
