#pragma once
// A network: an input shape and named layers forming a directed acyclic
// graph, each layer naming the layers whose outputs it takes (none named:
// the previous layer, so a sequential network needs no names at all). The
// layers are kept in a topological order, every shape is inferred and
// checked when the model is assembled, so a model that exists can run.
// Single-process inference is Model::forward; the distributed runtime walks
// the same order with a ModelPass, computing the layers it splits elsewhere.

#include <memory>
#include <string>
#include <vector>

#include "layers/layer.hpp"

namespace cdcnn {

/// Optional input normalisation a model carries (torchvision's mean/std):
/// images are scaled to [0,1], then (x − mean[c]) / std[c] per channel.
struct InputNormalisation {
  std::vector<double> mean;
  std::vector<double> std;
  bool empty() const { return mean.empty(); }
};

class Model {
 public:
  /// Where a layer's input comes from: kModelInput or the index of a layer.
  static constexpr int kModelInput = -1;
  /// The name that stands for the model's input in an inputs list (when no
  /// layer has that name).
  static constexpr const char* kInputName = "input";

  /// `inputs[i]` names the layers whose outputs layers[i] takes, in order;
  /// an empty list (or no `inputs` at all) means the previous layer, or the
  /// model input for the first. The last layer of `layers` is the model's
  /// output. Layers may come in any order that has no cycle: they are sorted
  /// topologically, keeping the given order where it allows. Throws Error
  /// naming the layer for a duplicate name, an input naming no layer, a
  /// cycle, a consumer of the output, or a layer that does not accept its
  /// inputs' shapes. A layer whose output nobody takes is allowed, with a
  /// warning in warnings().
  Model(std::string name, Shape input_shape, std::vector<std::unique_ptr<Layer>> layers,
        InputNormalisation normalisation = {}, std::vector<std::vector<std::string>> inputs = {});

  const std::string& name() const { return name_; }
  const Shape& input_shape() const { return input_shape_; }
  const Shape& output_shape() const { return outputs_.back(); }
  std::size_t size() const { return layers_.size(); }
  /// Layer i in topological order (the order of every index below).
  const Layer& layer(std::size_t i) const { return *layers_.at(i); }
  /// Index of the layer called `name`; Error listing the names if none is.
  std::size_t index_of(const std::string& layer_name) const;
  const InputNormalisation& normalisation() const { return normalisation_; }

  /// Where layer i's inputs come from (kModelInput or earlier layers).
  const std::vector<int>& inputs_of(std::size_t i) const { return inputs_.at(i); }
  /// The same as a model file writes them: "a,b", kInputName for the model input.
  std::string input_names(std::size_t i) const;
  /// Shapes of layer i's inputs, its first input's shape, and its output's.
  std::vector<Shape> input_shapes_of(std::size_t i) const;
  const Shape& input_shape_of(std::size_t i) const;
  const Shape& output_shape_of(std::size_t i) const { return outputs_.at(i); }
  /// True when every layer takes the one before it (a chain, as every model
  /// file before format version 2).
  bool is_sequential() const { return sequential_; }
  /// Messages about the graph that are not errors (a layer nobody consumes).
  const std::vector<std::string>& warnings() const { return warnings_; }

  /// Runs all layers; Error if x's shape is not input_shape(), or if a
  /// linear layer is weightless (LinearLayer).
  Tensor forward(const Tensor& x) const;
  /// Frees linear layer i's weights (Error if layer i is not linear): a
  /// master that has sent the layer's shards and does not run it.
  void drop_weights(std::size_t i);
  /// Bytes of linear layers' weights and biases held (weightless ones hold none).
  std::int64_t weight_bytes() const;

  std::int64_t flops() const;
  std::int64_t parameter_count() const;
  /// Most bytes of activations alive at once when forward() runs (the input
  /// and outputs still awaited by a later layer, plus the layer's output).
  std::int64_t peak_activation_bytes() const;

 private:
  friend class ModelPass;
  /// Error unless every dimension is positive and the element count is sane.
  void check_size(const Shape& shape, const std::string& what) const;
  /// Orders layers_ topologically and fills inputs_ from the named inputs.
  void link(std::vector<std::vector<std::string>> inputs);

  std::string name_;
  Shape input_shape_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<std::vector<int>> inputs_;
  std::vector<Shape> outputs_;
  /// The last layer that reads each layer's output (index i+1; 0: the model input).
  std::vector<std::size_t> last_use_;
  bool sequential_ = true;
  std::vector<std::string> warnings_;
  InputNormalisation normalisation_;
};

/// One walk through a model's layers in topological order, keeping each
/// output only until its last consumer has run. Model::forward runs every
/// layer; the runtime and the loss studies compute some layers themselves
/// (give()). Copyable: copy a pass to try several outputs of one layer.
///
/// Storage (docs/architecture.md §2): a layer that is the last to read its
/// first input is given that input to overwrite (Layer::forward(Tensor&&,
/// Tensor&), MergeLayer::merge(xs, first): ReLU, a residual add), and the
/// storage of values no layer reads any more is kept (at most kKeptSpares of
/// them, the latest) for later outputs of the same size (a convolution's).
/// At batch 1 that saves every layer the page faults and zero-filling of
/// fresh storage; the results are the same bit for bit.
class ModelPass {
 public:
  /// Error if x's shape is not the model's input shape.
  ModelPass(const Model& model, Tensor x);

  /// The layer to run next; model.size() when every layer has run.
  std::size_t next() const { return next_; }
  bool done() const { return next_ == model_->size(); }
  /// The inputs of layer next(), and its only input (Error if it has several).
  std::vector<const Tensor*> inputs() const;
  const Tensor& input() const;

  /// Runs layer next() here.
  void run();
  /// Runs layers until next() == layer.
  void run_until(std::size_t layer);
  /// Layer next()'s output, computed elsewhere; Error if its shape is wrong.
  void give(Tensor y);
  /// The model's output; Error unless done().
  Tensor take_output();
  /// From now on, a value no layer reads any more is moved into `spares`
  /// instead of being freed (null: freed again). The distributed master
  /// assembles split layers' outputs in their storage rather than in fresh
  /// memory (docs/architecture.md §3, "Buffers").
  void keep_spares(std::vector<Tensor>* spares) { spares_ = spares; }

  /// Dead values a pass keeps for later outputs when keep_spares() is not
  /// in force (ResNet's blocks need two: a conv's input and a residual).
  static constexpr std::size_t kKeptSpares = 2;

 private:
  const Tensor& value(int source) const;
  void advance(Tensor y);
  void release(std::size_t value);
  /// Keeps t's storage for a later output (in *spares_ if set).
  void recycle(Tensor t);
  /// A kept value of n elements (removed from the pool), or an empty tensor.
  Tensor take_spare(Index n);

  const Model* model_;
  std::size_t next_ = 0;
  /// values_[0]: the input; values_[i+1]: layer i's output, while needed.
  std::vector<Tensor> values_;
  std::vector<Tensor>* spares_ = nullptr;
  std::vector<Tensor> own_spares_;  // the pool while spares_ is null, oldest first
};

}  // namespace cdcnn
