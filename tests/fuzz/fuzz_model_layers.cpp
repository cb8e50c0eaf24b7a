// libFuzzer target: what the model-file loader does after HDF5 — building
// layers from their kind, attributes and parameters (layers/registry.hpp)
// and checking shapes through a whole network (layers/model.hpp) — driven
// directly by the fuzzer's bytes, which reach far more attribute
// combinations than mutated HDF5 files do. Properties: no crash or sanitizer
// report; a bad network is one cdcnn::Error of one line; a network that
// builds runs (when small), and rebuilding every layer from its spec(), as
// save_model does, gives the same output (up to rounding).

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "fuzz_util.hpp"
#include "layers/model.hpp"
#include "layers/registry.hpp"

namespace {

constexpr std::size_t kMaxParamElements = 1 << 16;

const char* const kIntAttributes[] = {"kernel_size", "stride", "padding", "dilation", "groups",
                                      "ceil_mode", "count_include_pad", "output_size", "size"};
const char* const kRealAttributes[] = {"alpha", "beta", "k", "eps", "p"};
const char* const kParams[] = {"weight", "bias", "running_mean", "running_var"};

cdcnn::Index some_int(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0: return in.ConsumeIntegralInRange<cdcnn::Index>(0, 4);
    case 1: return in.ConsumeIntegralInRange<cdcnn::Index>(-2, 40);
    case 2: return in.ConsumeIntegralInRange<cdcnn::Index>(0, 1 << 20);
    default: return in.ConsumeIntegral<cdcnn::Index>();
  }
}

double some_real(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 2)) {
    case 0: return in.ConsumeFloatingPointInRange(0.0, 2.0);
    case 1: return in.ConsumeFloatingPoint<double>();  // any finite double
    default: {
      const double special[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, 1e-300, -1.0};
      return special[in.ConsumeIntegralInRange<std::size_t>(0, 6)];
    }
  }
}

/// A parameter shape: either derived from the layer's input (what a valid
/// file has, so the fuzzer gets past the shape checks) or arbitrary.
cdcnn::Shape param_shape(FuzzedDataProvider& in, const char* kind, const cdcnn::Shape& input) {
  const std::string k = kind;
  const cdcnn::Index channels = input.empty() ? 1 : input[0];
  cdcnn::Index features = 1;
  for (auto d : input) features *= d;
  const auto out = in.ConsumeIntegralInRange<cdcnn::Index>(1, 8);
  switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0:
      if (k == "dense") return {out, features};
      if (k == "conv2d" || k == "conv3d") {
        cdcnn::Shape s{out, channels};
        for (int i = 0; i < (k == "conv2d" ? 2 : 3); ++i) s.push_back(in.ConsumeIntegralInRange<cdcnn::Index>(1, 3));
        return s;
      }
      return {channels};
    case 1: return {out};
    default: {
      cdcnn::Shape s(in.ConsumeIntegralInRange<std::size_t>(0, 5));
      for (auto& d : s) d = in.ConsumeIntegralInRange<cdcnn::Index>(0, 6);
      return s;
    }
  }
}

cdcnn::Tensor param(FuzzedDataProvider& in, cdcnn::Shape shape) {
  std::size_t n = 1;
  for (auto d : shape) n *= static_cast<std::size_t>(d);
  if (n > kMaxParamElements) shape = {1};
  cdcnn::Tensor t(std::move(shape));
  for (float& v : t.values()) v = in.remaining_bytes() ? static_cast<float>(in.ConsumeIntegral<std::int8_t>()) / 16 : 0.5f;
  return t;
}

/// Equal up to rounding: Eigen's vectorised pow/exp differ from its scalar
/// ones in the last bit, and which elements take which path depends on the
/// buffers' alignment (found by this target: an lrn layer and its rebuilt copy
/// differed by 2 ulp).
bool nearly_equal(const cdcnn::Tensor& a, const cdcnn::Tensor& b) {
  for (std::size_t i = 0; i < a.values().size(); ++i) {
    const float x = a.values()[i], y = b.values()[i];
    if (std::isnan(x) || std::isnan(y)) {
      if (std::isnan(x) != std::isnan(y)) return false;
    } else if (x != y && !(std::abs(x - y) <= 1e-5f * std::max({1.0f, std::abs(x), std::abs(y)}))) {
      return false;
    }
  }
  return true;
}

/// The network, for the report of a failed property.
void print_network(const cdcnn::Model& model) {
  std::fprintf(stderr, "input %s\n", cdcnn::to_string(model.input_shape()).c_str());
  for (std::size_t i = 0; i < model.size(); ++i) {
    const cdcnn::LayerSpec s = model.layer(i).spec();
    std::string line = s.kind + " '" + s.name + "'";
    for (const auto& [k, v] : s.ints) {
      line += " " + k + "=";
      for (auto x : v) line += std::to_string(x) + ",";
    }
    for (const auto& [k, v] : s.reals) line += " " + k + "=" + std::to_string(v);
    for (const auto& [k, t] : s.params) line += " " + k + ":" + cdcnn::to_string(t.shape());
    std::fprintf(stderr, "  %s -> %s\n", line.c_str(), cdcnn::to_string(model.output_shape_of(i)).c_str());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  cdcnn::Shape input(in.ConsumeIntegralInRange<std::size_t>(1, 4));
  for (auto& d : input) d = in.ConsumeIntegralInRange<cdcnn::Index>(1, 12);
  const auto count = in.ConsumeIntegralInRange(1, 6);
  std::vector<cdcnn::LayerSpec> specs;
  cdcnn::Shape shape = input;  // the input of the next layer, when the ones before it are valid
  const std::vector<std::string> kinds = cdcnn::layer_registry().kinds();  // a new kind is fuzzed as it is registered
  try {
    std::vector<std::unique_ptr<cdcnn::Layer>> layers;
    for (int i = 0; i < count; ++i) {
      cdcnn::LayerSpec s;
      s.kind = in.ConsumeBool() ? kinds[in.ConsumeIntegralInRange<std::size_t>(0, kinds.size() - 1)]
                                : in.ConsumeRandomLengthString(12);
      s.name = in.ConsumeBool() ? "l" + std::to_string(i) : in.ConsumeRandomLengthString(8);
      for (auto n = in.ConsumeIntegralInRange(0, 4); n > 0; --n) {
        std::vector<cdcnn::Index> values(in.ConsumeIntegralInRange<std::size_t>(0, 4));
        for (auto& v : values) v = some_int(in);
        s.ints[kIntAttributes[in.ConsumeIntegralInRange<std::size_t>(0, 8)]] = values;
      }
      for (auto n = in.ConsumeIntegralInRange(0, 2); n > 0; --n)
        s.reals[kRealAttributes[in.ConsumeIntegralInRange<std::size_t>(0, 4)]] = some_real(in);
      for (auto n = in.ConsumeIntegralInRange(0, 4); n > 0; --n) {
        const char* name = kParams[in.ConsumeIntegralInRange<std::size_t>(0, 3)];
        s.params.insert_or_assign(name, param(in, param_shape(in, s.kind.c_str(), shape)));
      }
      layers.push_back(cdcnn::layer_registry().make(s));
      try {
        shape = layers.back()->output_shape(shape);
      } catch (const cdcnn::Error&) {  // the Model below names the layer that does not fit
      }
    }
    const cdcnn::Model model("fuzz", input, std::move(layers));
    if (model.flops() >= cdcnn::fuzz::kMaxFlopsToRun) return 0;
    cdcnn::Tensor x(model.input_shape());
    float v = 0.0f;
    for (float& e : x.values()) e = (v += 0.25f) - 2.0f;
    const cdcnn::Tensor y = model.forward(x);
    // save_model writes spec(); load_model builds from it: the same network.
    std::vector<std::unique_ptr<cdcnn::Layer>> rebuilt;
    for (std::size_t i = 0; i < model.size(); ++i) rebuilt.push_back(cdcnn::layer_registry().make(model.layer(i).spec()));
    const cdcnn::Model again("fuzz", input, std::move(rebuilt));
    const cdcnn::Tensor z = again.forward(x);
    if (z.shape() != y.shape() || !nearly_equal(z, y)) {
      std::fprintf(stderr, "fuzz: a network rebuilt from its layers' specs computes something else\n");
      print_network(model);
      std::abort();
    }
  } catch (const cdcnn::Error& e) {
    cdcnn::fuzz::check_error_message(e);
  }
  return 0;
}
