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

  /// Only the weights of the linear layers named (a rank computing a stage
  /// of layers whole); none() if `layers` is empty.
  static WeightSelection only(std::set<std::string> layers) {
    const bool none = layers.empty();  // before the move below
    WeightSelection s(none, std::move(layers));
    s.only_ = true;
    return s;
  }

  /// Whether linear layer `layer` is built with its weights.
  bool loads(const std::string& layer) const { return !none_ && (only_ == (listed_.count(layer) > 0)); }
  /// True for none(): no linear layer's weights are wanted at all.
  bool is_none() const { return none_; }

 private:
  WeightSelection(bool none, std::set<std::string> listed) : none_(none), listed_(std::move(listed)) {}
  bool none_;
  bool only_ = false;             // listed_ is what loads, not what is skipped
  std::set<std::string> listed_;
};

}  // namespace cdcnn
