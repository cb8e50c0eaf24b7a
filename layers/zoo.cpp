#include "layers/zoo.hpp"

#include <cmath>
#include <functional>
#include <map>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace cdcnn {

namespace {

/// Accumulates LayerSpecs for a network and turns them into layers. Each
/// layer takes the previous one, unless from() named its inputs.
class Builder {
 public:
  Builder(std::uint64_t seed, const LayerRegistry& registry, WeightSelection weights)
      : rng_(seed), registry_(registry), weights_(std::move(weights)) {}

  /// The inputs of the next layer added (Model's names; "input" is the model's).
  Builder& from(std::vector<std::string> names) {
    next_inputs_ = std::move(names);
    return *this;
  }

  void conv(const std::string& name, Index in, Index out, std::vector<Index> kernel, std::vector<Index> stride,
            std::vector<Index> padding, Index groups = 1) {
    LayerSpec s{.kind = kernel.size() == 3 ? "conv3d" : "conv2d", .name = name};
    Shape w_shape{out, in / groups};
    Index fan_in = in / groups;
    for (Index k : kernel) {
      w_shape.push_back(k);
      fan_in *= k;
    }
    s.ints["kernel_size"] = kernel;
    s.ints["stride"] = stride;
    s.ints["padding"] = padding;
    if (groups != 1) s.ints["groups"] = {groups};
    parameters(s, w_shape, fan_in);
  }
  void dense(const std::string& name, Index in, Index out) {
    LayerSpec s{.kind = "dense", .name = name};
    parameters(s, {out, in}, in);
  }
  void pool(const std::string& name, std::vector<Index> kernel, std::vector<Index> stride,
            std::vector<Index> padding = {}) {
    LayerSpec s{.kind = kernel.size() == 3 ? "maxpool3d" : "maxpool2d", .name = name};
    s.ints["kernel_size"] = kernel;
    s.ints["stride"] = stride;
    if (!padding.empty()) s.ints["padding"] = padding;
    add(std::move(s));
  }
  void adaptive_avg(const std::string& name, Index h, Index w) {
    LayerSpec s{.kind = "adaptiveavgpool2d", .name = name};
    s.ints["output_size"] = {h, w};
    add(std::move(s));
  }
  void simple(const std::string& kind, const std::string& name) { add(LayerSpec{.kind = kind, .name = name}); }
  void dropout(const std::string& name, double p) {
    LayerSpec s{.kind = "dropout", .name = name};
    s.reals["p"] = p;
    add(std::move(s));
  }

  Model build(std::string name, Shape input, InputNormalisation norm = {}) {
    return Model(std::move(name), std::move(input), std::move(layers_), std::move(norm), std::move(inputs_));
  }

 private:
  /// A linear layer's weight and bias, drawn or (weightless) only shaped, then the layer.
  void parameters(LayerSpec& s, const Shape& w_shape, Index fan_in) {
    const Shape b_shape{w_shape[0]};
    const bool grouped = s.ints.count("groups") != 0, loads = weights_.loads(s.name);
    loaded_ += loads ? 1 : 0;
    if (loads && grouped) {
      s.params.emplace("weight", random(w_shape, fan_in));
      s.params.emplace("bias", random(b_shape, fan_in, 0.1));
      add(std::move(s));
      return;
    }
    s.unread.emplace("weight", w_shape);
    s.unread.emplace("bias", b_shape);
    add(std::move(s));
    if (loads) {
      // Drawn straight into the layer: W (m × q, the flat weight's own
      // order when ungrouped) is held once, not as a tensor and a copy — for
      // VGG16's fc6 that is 411 MB less at the peak.
      auto& linear = dynamic_cast<LinearLayer&>(*layers_.back());
      Matrix w(linear.rows(), linear.cols());
      Vector b(linear.rows());
      draw(w.data(), w.size(), fan_in);
      draw(b.data(), b.size(), fan_in, 0.1);
      linear.set_weights(std::move(w), std::move(b));
    } else if (weights_.wants_more(loaded_)) {
      // Later layers' weights must not change: the draws are made and
      // dropped (a chunk at a time), unless no later layer's weights are
      // wanted (a skeleton, or only() past its last layer).
      discard(numel(w_shape), fan_in);
      discard(b_shape[0], fan_in, 0.1);
    }
  }
  /// He-uniform: U(−b, b) with b = gain·sqrt(6 / fan_in), `n` draws into `out`.
  void draw(float* out, Index n, Index fan_in, double gain = 1.0) {
    const double bound = gain * std::sqrt(6.0 / static_cast<double>(fan_in));
    std::uniform_real_distribution<float> u(static_cast<float>(-bound), static_cast<float>(bound));
    for (Index i = 0; i < n; ++i) out[i] = u(rng_.engine());
  }
  /// `n` draws as draw() makes them, kept nowhere (a chunk at a time).
  void discard(Index n, Index fan_in, double gain = 1.0) {
    std::vector<float> chunk(static_cast<std::size_t>(std::min<Index>(n, 1 << 16)));
    for (Index left = n; left > 0; left -= static_cast<Index>(chunk.size()))
      draw(chunk.data(), std::min<Index>(left, static_cast<Index>(chunk.size())), fan_in, gain);
  }
  Tensor random(Shape shape, Index fan_in, double gain = 1.0) {
    Tensor t(std::move(shape));
    draw(t.data(), t.numel(), fan_in, gain);
    return t;
  }
  void add(LayerSpec s) {
    layers_.push_back(registry_.make(s));
    inputs_.push_back(std::move(next_inputs_));
    next_inputs_.clear();
  }

  Rng rng_;
  const LayerRegistry& registry_;
  WeightSelection weights_;
  std::size_t loaded_ = 0;  // layers built with their weights so far
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<std::vector<std::string>> inputs_;
  std::vector<std::string> next_inputs_;
};

const InputNormalisation kImageNet{{0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}};

/// torchvision's classifier head: dropout, fc, relu, dropout, fc, relu, fc.
void classifier(Builder& b, Index in, Index classes, bool dropout_first) {
  Index i = 0;
  auto next = [&] { return "classifier." + std::to_string(i++); };
  if (dropout_first) b.dropout(next(), 0.5);
  b.dense(next(), in, 4096);
  b.simple("relu", next());
  b.dropout(next(), 0.5);
  b.dense(next(), 4096, 4096);
  b.simple("relu", next());
  if (!dropout_first) b.dropout(next(), 0.5);
  b.dense(next(), 4096, classes);
}

Model alexnet(Builder& b) {
  Index i = 0;
  auto f = [&] { return "features." + std::to_string(i++); };
  b.conv(f(), 3, 64, {11, 11}, {4, 4}, {2, 2});
  b.simple("relu", f());
  b.pool(f(), {3, 3}, {2, 2});
  b.conv(f(), 64, 192, {5, 5}, {1, 1}, {2, 2});
  b.simple("relu", f());
  b.pool(f(), {3, 3}, {2, 2});
  b.conv(f(), 192, 384, {3, 3}, {1, 1}, {1, 1});
  b.simple("relu", f());
  b.conv(f(), 384, 256, {3, 3}, {1, 1}, {1, 1});
  b.simple("relu", f());
  b.conv(f(), 256, 256, {3, 3}, {1, 1}, {1, 1});
  b.simple("relu", f());
  b.pool(f(), {3, 3}, {2, 2});
  b.adaptive_avg("avgpool", 6, 6);
  b.simple("flatten", "flatten");
  classifier(b, 256 * 6 * 6, 1000, /*dropout_first=*/true);
  return b.build("alexnet", {3, 224, 224}, kImageNet);
}

Model vgg16(Builder& b) {
  const int M = 0;  // a max-pool in torchvision's configuration "D"
  const std::vector<int> cfg = {64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M};
  Index i = 0, in = 3;
  for (int c : cfg) {
    if (c == M) {
      b.pool("features." + std::to_string(i++), {2, 2}, {2, 2});
    } else {
      b.conv("features." + std::to_string(i++), in, c, {3, 3}, {1, 1}, {1, 1});
      b.simple("relu", "features." + std::to_string(i++));
      in = c;
    }
  }
  b.adaptive_avg("avgpool", 7, 7);
  b.simple("flatten", "flatten");
  classifier(b, 512 * 7 * 7, 1000, /*dropout_first=*/false);
  return b.build("vgg16", {3, 224, 224}, kImageNet);
}

Model c3d(Builder& b) {
  auto conv = [&](const std::string& n, Index in, Index out) {
    b.conv(n, in, out, {3, 3, 3}, {1, 1, 1}, {1, 1, 1});
    b.simple("relu", "relu" + n.substr(4));
  };
  conv("conv1", 3, 64);
  b.pool("pool1", {1, 2, 2}, {1, 2, 2});
  conv("conv2", 64, 128);
  b.pool("pool2", {2, 2, 2}, {2, 2, 2});
  conv("conv3a", 128, 256);
  conv("conv3b", 256, 256);
  b.pool("pool3", {2, 2, 2}, {2, 2, 2});
  conv("conv4a", 256, 512);
  conv("conv4b", 512, 512);
  b.pool("pool4", {2, 2, 2}, {2, 2, 2});
  conv("conv5a", 512, 512);
  conv("conv5b", 512, 512);
  b.pool("pool5", {2, 2, 2}, {2, 2, 2}, {0, 1, 1});
  b.simple("flatten", "flatten");
  b.dense("fc6", 8192, 4096);
  b.simple("relu", "relu6");
  b.dropout("dropout6", 0.5);
  b.dense("fc7", 4096, 4096);
  b.simple("relu", "relu7");
  b.dropout("dropout7", 0.5);
  b.dense("fc8", 4096, 487);
  return b.build("c3d", {3, 16, 112, 112});
}

Model fmnist_cnn(Builder& b) {
  b.conv("0", 1, 32, {3, 3}, {1, 1}, {1, 1});
  b.simple("relu", "1");
  b.pool("2", {2, 2}, {2, 2});
  b.conv("3", 32, 64, {3, 3}, {1, 1}, {1, 1});
  b.simple("relu", "4");
  b.pool("5", {2, 2}, {2, 2});
  b.simple("flatten", "6");
  b.dense("7", 64 * 7 * 7, 128);
  b.simple("relu", "8");
  b.dropout("9", 0.25);
  b.dense("10", 128, 10);
  return b.build("fmnist-cnn", {1, 28, 28});
}

Model mlp(Builder& b) {
  b.simple("flatten", "flatten");
  b.dense("fc1", 784, 512);
  b.simple("relu", "relu1");
  b.dense("fc2", 512, 256);
  b.simple("relu", "relu2");
  b.dense("fc3", 256, 10);
  return b.build("mlp", {1, 28, 28});
}

/// ResNet's basic block (He et al.) without batch norm: two 3x3 convs and
/// the shortcut, a 1x1 conv where the block changes shape. Returns the name
/// of its output.
std::string basic_block(Builder& b, const std::string& name, const std::string& input, Index in, Index out,
                        Index stride) {
  b.from({input}).conv(name + ".conv1", in, out, {3, 3}, {stride, stride}, {1, 1});
  b.simple("relu", name + ".relu1");
  b.conv(name + ".conv2", out, out, {3, 3}, {1, 1}, {1, 1});
  std::string shortcut = input;
  if (stride != 1 || in != out) {
    b.from({input}).conv(name + ".downsample", in, out, {1, 1}, {stride, stride}, {0, 0});
    shortcut = name + ".downsample";
  }
  b.from({name + ".conv2", shortcut}).simple("add", name + ".add");
  b.simple("relu", name + ".relu2");
  return name + ".relu2";
}

/// A residual network for 1x28x28 images: a stem, three basic blocks (16,
/// 32, 64 channels; the last two halve the size), global average pooling
/// and a 10-way classifier. tools/train_fmnist.py trains the same network.
Model fmnist_resnet(Builder& b) {
  b.conv("stem", 1, 16, {3, 3}, {1, 1}, {1, 1});
  b.simple("relu", "stem.relu");
  std::string x = basic_block(b, "block1", "stem.relu", 16, 16, 1);
  x = basic_block(b, "block2", x, 16, 32, 2);
  x = basic_block(b, "block3", x, 32, 64, 2);
  b.adaptive_avg("avgpool", 1, 1);
  b.simple("flatten", "flatten");
  b.dense("fc", 64, 10);
  return b.build("fmnist-resnet", {1, 28, 28});
}

/// MobileNetV3's inverted residual block (Howard et al.): 1x1 expansion,
/// depthwise 3x3, squeeze-excite (pool, 1x1 down, relu, 1x1 up,
/// hardsigmoid, scale), 1x1 projection, and the residual add when the
/// shape stays. Returns the name of its output.
std::string inverted_residual(Builder& b, const std::string& name, const std::string& input, Index in,
                              Index expanded, Index out, Index stride) {
  b.from({input}).conv(name + ".expand", in, expanded, {1, 1}, {1, 1}, {0, 0});
  b.simple("hardswish", name + ".expand.act");
  b.conv(name + ".depthwise", expanded, expanded, {3, 3}, {stride, stride}, {1, 1}, expanded);
  b.simple("relu6", name + ".depthwise.act");
  b.adaptive_avg(name + ".se.pool", 1, 1);
  b.conv(name + ".se.fc1", expanded, expanded / 4, {1, 1}, {1, 1}, {0, 0});
  b.simple("relu", name + ".se.relu");
  b.conv(name + ".se.fc2", expanded / 4, expanded, {1, 1}, {1, 1}, {0, 0});
  b.simple("hardsigmoid", name + ".se.gate");
  b.from({name + ".se.gate", name + ".depthwise.act"}).simple("mul", name + ".se.scale");
  b.conv(name + ".project", expanded, out, {1, 1}, {1, 1}, {0, 0});
  if (stride != 1 || in != out) return name + ".project";
  b.from({name + ".project", input}).simple("add", name + ".add");
  return name + ".add";
}

/// A MobileNetV3-style network for 1x28x28 images: stem, two inverted
/// residual blocks with squeeze-excite (the first keeps its shape and adds
/// its input), a 1x1 head, global pooling and a 10-way classifier.
Model mobilenet_mini(Builder& b) {
  b.conv("stem", 1, 16, {3, 3}, {2, 2}, {1, 1});
  b.simple("hardswish", "stem.act");
  std::string x = inverted_residual(b, "block1", "stem.act", 16, 32, 16, 1);
  x = inverted_residual(b, "block2", x, 16, 48, 24, 2);
  b.from({x}).conv("head", 24, 64, {1, 1}, {1, 1}, {0, 0});
  b.simple("hardswish", "head.act");
  b.adaptive_avg("avgpool", 1, 1);
  b.simple("flatten", "flatten");
  b.dense("fc", 64, 10);
  return b.build("mobilenet-mini", {1, 28, 28});
}

const std::map<std::string, std::function<Model(Builder&)>>& zoo() {
  static const std::map<std::string, std::function<Model(Builder&)>> table = {
      {"alexnet", alexnet}, {"vgg16", vgg16},   {"c3d", c3d}, {"fmnist-cnn", fmnist_cnn}, {"fmnist-resnet", fmnist_resnet},
      {"mlp", mlp},         {"mobilenet-mini", mobilenet_mini}};
  return table;
}

}  // namespace

std::vector<std::string> zoo_names() {
  std::vector<std::string> names;
  for (const auto& [n, f] : zoo()) names.push_back(n);
  return names;
}

bool is_zoo_name(const std::string& name) { return zoo().count(name) != 0; }

Model zoo_model(const std::string& name, std::uint64_t seed, const LayerRegistry& registry) {
  return zoo_model(name, seed, WeightSelection::all(), registry);
}

Model zoo_model(const std::string& name, std::uint64_t seed, const WeightSelection& weights,
                const LayerRegistry& registry) {
  auto it = zoo().find(name);
  if (it == zoo().end()) {
    std::string known;
    for (const auto& n : zoo_names()) known += (known.empty() ? "" : ", ") + n;
    throw Error(cat("unknown zoo model '", name, "' (zoo: ", known, ")"));
  }
  Builder b(seed, registry, weights);
  return it->second(b);
}

}  // namespace cdcnn
