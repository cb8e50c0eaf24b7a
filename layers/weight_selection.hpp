#pragma once
// Which linear layers' weights a model is built with (model files and the
// zoo alike). A rank of the distributed runtime holds only what it computes
// (docs/architecture.md §3, memory per device): a worker builds a weightless
// skeleton — every layer's kind, attributes and shapes, but no linear
// layer's W or b (it holds coded shards instead) — and the master builds
// every layer but the split ones, loading each split layer alone in turn
// when it encodes and sends the shards (--weights-from master).

#include <cstddef>
#include <set>
#include <string>

namespace cdcnn {

class WeightSelection {
 public:
  /// Every layer's weights (the default).
  static WeightSelection all() { return WeightSelection(Mode::all_but, {}); }
  /// A skeleton: no linear layer holds its weights.
  static WeightSelection none() { return WeightSelection(Mode::only, {}); }
  /// Every layer's weights but those of the linear layers named.
  static WeightSelection all_but(std::set<std::string> layers) {
    return WeightSelection(Mode::all_but, std::move(layers));
  }
  /// Only the weights of the linear layers named (a master encoding one
  /// split layer at a time with --weights-from master; a rank computing a
  /// stage of layers whole).
  static WeightSelection only(std::set<std::string> layers) { return WeightSelection(Mode::only, std::move(layers)); }

  /// Whether linear layer `layer` is built with its weights.
  bool loads(const std::string& layer) const { return (names_.count(layer) != 0) == (mode_ == Mode::only); }
  /// Whether a builder that has built `loaded` layers with their weights, in
  /// model order, may still meet one it loads: false for a skeleton, and
  /// once only()'s layers are all built (a zoo draw then stops replaying
  /// the later layers' draws).
  bool wants_more(std::size_t loaded) const { return mode_ == Mode::all_but || loaded < names_.size(); }

 private:
  enum class Mode { all_but, only };
  WeightSelection(Mode mode, std::set<std::string> names) : mode_(mode), names_(std::move(names)) {}
  Mode mode_;
  std::set<std::string> names_;
};

}  // namespace cdcnn
