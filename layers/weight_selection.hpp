#pragma once
// Which linear layers' weights a model is built with (model files and the
// zoo alike). A rank of the distributed runtime holds only what it computes
// (docs/architecture.md §3, memory per device): a worker builds a weightless
// skeleton — every layer's kind, attributes and shapes, but no linear
// layer's W or b (it holds coded shards instead) — and a master that sends
// no weights builds every layer but the split ones.

#include <set>
#include <string>

namespace cdcnn {

class WeightSelection {
 public:
  /// Every layer's weights (the default).
  static WeightSelection all() { return WeightSelection(false, {}); }
  /// A skeleton: no linear layer holds its weights.
  static WeightSelection none() { return WeightSelection(true, {}); }
  /// Every layer's weights but those of the linear layers named.
  static WeightSelection all_but(std::set<std::string> layers) { return WeightSelection(false, std::move(layers)); }

  /// Whether linear layer `layer` is built with its weights.
  bool loads(const std::string& layer) const { return !none_ && !skipped_.count(layer); }
  /// True for none(): no linear layer's weights are wanted at all.
  bool is_none() const { return none_; }

 private:
  WeightSelection(bool none, std::set<std::string> skipped) : none_(none), skipped_(std::move(skipped)) {}
  bool none_;
  std::set<std::string> skipped_;
};

}  // namespace cdcnn
