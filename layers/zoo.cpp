#include "layers/zoo.hpp"

#include <cmath>
#include <functional>
#include <map>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace cdcnn {

namespace {

/// Accumulates LayerSpecs for a sequential network and turns them into layers.
class Builder {
 public:
  Builder(std::uint64_t seed, const LayerRegistry& registry) : rng_(seed), registry_(registry) {}

  void conv(const std::string& name, Index in, Index out, std::vector<Index> kernel, std::vector<Index> stride,
            std::vector<Index> padding) {
    LayerSpec s{.kind = kernel.size() == 3 ? "conv3d" : "conv2d", .name = name};
    Shape w_shape{out, in};
    Index fan_in = in;
    for (Index k : kernel) {
      w_shape.push_back(k);
      fan_in *= k;
    }
    s.ints["kernel_size"] = kernel;
    s.ints["stride"] = stride;
    s.ints["padding"] = padding;
    s.params.emplace("weight", random(w_shape, fan_in));
    s.params.emplace("bias", random({out}, fan_in, 0.1));
    add(std::move(s));
  }
  void dense(const std::string& name, Index in, Index out) {
    LayerSpec s{.kind = "dense", .name = name};
    s.params.emplace("weight", random({out, in}, in));
    s.params.emplace("bias", random({out}, in, 0.1));
    add(std::move(s));
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
    return Model(std::move(name), std::move(input), std::move(layers_), std::move(norm));
  }

 private:
  /// He-uniform: U(−b, b) with b = gain·sqrt(6 / fan_in).
  Tensor random(Shape shape, Index fan_in, double gain = 1.0) {
    Tensor t(std::move(shape));
    const double bound = gain * std::sqrt(6.0 / static_cast<double>(fan_in));
    std::uniform_real_distribution<float> u(static_cast<float>(-bound), static_cast<float>(bound));
    for (float& v : t.values()) v = u(rng_.engine());
    return t;
  }
  void add(LayerSpec s) { layers_.push_back(registry_.make(s)); }

  Rng rng_;
  const LayerRegistry& registry_;
  std::vector<std::unique_ptr<Layer>> layers_;
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

const std::map<std::string, std::function<Model(Builder&)>>& zoo() {
  static const std::map<std::string, std::function<Model(Builder&)>> table = {
      {"alexnet", alexnet}, {"vgg16", vgg16}, {"c3d", c3d}, {"fmnist-cnn", fmnist_cnn}, {"mlp", mlp}};
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
  auto it = zoo().find(name);
  if (it == zoo().end()) {
    std::string known;
    for (const auto& n : zoo_names()) known += (known.empty() ? "" : ", ") + n;
    throw Error(cat("unknown zoo model '", name, "' (zoo: ", known, ")"));
  }
  Builder b(seed, registry);
  return it->second(b);
}

}  // namespace cdcnn
