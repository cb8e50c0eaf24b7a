#include "io/model_file.hpp"

#include <new>
#include <set>

#include "core/error.hpp"
#include "core/strings.hpp"

namespace cdcnn {

namespace {

constexpr const char* kFormat = "cdcnn-model";
// Version 2 added graph models (the `inputs` attribute); version 1 files are
// the sequential models written before, and read as they always were.
constexpr std::int64_t kFormatVersion = 2;
// Attributes of a layer group that are not layer attributes.
const std::set<std::string> kReservedLayerAttributes = {"kind", "name", "inputs"};

// "a,b,c" -> {"a", "b", "c"}; every name non-empty.
std::vector<std::string> split_inputs(const h5::Location& group, const std::string& text) {
  std::vector<std::string> names = split(text, ',');
  for (const auto& name : names)
    require(!name.empty(), group.where(), ": attribute 'inputs' (\"", text,
            "\") has an empty name: expected layer names separated by ','");
  return names;
}

/// A linear layer `weights` does not load gets 'weight' and 'bias' unread,
/// their shapes kept (LayerSpec::unread).
LayerSpec read_layer_spec(const h5::Location& group, const WeightSelection& weights, const LayerRegistry& registry) {
  LayerSpec spec;
  spec.kind = group.read_string("kind");
  spec.name = group.read_string("name");
  require(!spec.name.empty(), group.where(), ": attribute 'name' is empty");
  for (const auto& attr : group.attribute_names()) {
    if (kReservedLayerAttributes.count(attr)) continue;
    if (group.attribute_is_integer(attr))
      spec.ints[attr] = group.read_ints(attr);
    else {
      auto values = group.read_reals(attr);
      require(values.size() == 1, group.where(), ": real attribute '", attr, "' must be a scalar");
      spec.reals[attr] = values[0];
    }
  }
  // A linear layer's weight and bias are left unread when it is to be
  // weightless, and also when it is not grouped: its W is then the dataset's
  // own row-major order, read in place afterwards (read_linear_weights), so
  // the loader never holds a layer's weights twice.
  const bool linear = registry.is_linear(spec.kind);
  const bool ungrouped = !spec.ints.count("groups") || spec.ints.at("groups") == std::vector<Index>{1};
  const bool weightless = linear && (!weights.loads(spec.name) || ungrouped);
  for (const auto& child : group.children()) {
    try {
      if (weightless && (child == "weight" || child == "bias"))
        spec.unread.emplace(child, group.float_dataset_shape(child));
      else
        spec.params.emplace(child, group.read_tensor(child));
    } catch (const Error& e) {
      throw Error(cat(e.what(), " (layer '", spec.name, "', ", spec.kind, ")"));
    }
  }
  return spec;
}

/// A layer built weightless from unread datasets gets them now, read
/// straight into its W and b.
void read_linear_weights(const h5::Location& group, Layer& layer) {
  auto& linear = dynamic_cast<LinearLayer&>(layer);
  Matrix w(linear.rows(), linear.cols());
  group.read_floats_into("weight", w.data(), w.size());
  Vector b = Vector::Zero(linear.rows());
  if (group.has("bias")) group.read_floats_into("bias", b.data(), b.size());
  linear.set_weights(std::move(w), std::move(b));
}

}  // namespace

Model read_model(const h5::Location& root, const LayerRegistry& registry) {
  return read_model(root, WeightSelection::all(), registry);
}

Model read_model(const h5::Location& root, const WeightSelection& weights, const LayerRegistry& registry) {
  require(root.has_attribute("format") && root.read_string("format") == kFormat, root.where(),
          ": not a cdcnn model file (attribute 'format' must be \"", kFormat, "\")");
  const auto version = root.read_ints("format_version");
  require(version.size() == 1 && version[0] >= 1 && version[0] <= kFormatVersion, root.where(),
          ": format_version must be 1 or ", kFormatVersion, " (this cdcnn reads no later version)");
  const auto input = root.read_ints("input_shape");
  require(!input.empty(), root.where(), ": attribute 'input_shape' is empty");
  const std::string name = root.has_attribute("name") ? root.read_string("name") : "model";

  InputNormalisation norm;
  if (root.has_attribute("input_mean") || root.has_attribute("input_std")) {
    norm.mean = root.read_reals("input_mean");
    norm.std = root.read_reals("input_std");
  }

  const h5::Location layers = root.group("layers");
  const auto count = layers.read_ints("count");
  require(count.size() == 1 && count[0] > 0, layers.where(), ": attribute 'count' must be a positive integer");
  const auto children = layers.children();
  require(static_cast<std::int64_t>(children.size()) == count[0], layers.where(), ": holds ", children.size(),
          " layer groups but 'count' says ", count[0]);

  std::vector<std::unique_ptr<Layer>> built;
  std::vector<std::vector<std::string>> inputs;
  for (std::int64_t i = 0; i < count[0]; ++i) {
    const std::string key = std::to_string(i);
    require(layers.has(key), layers.where(), ": missing layer group '", key, "' (groups are named 0..", count[0] - 1,
            ")");
    const h5::Location group = layers.group(key);
    const LayerSpec spec = read_layer_spec(group, weights, registry);
    inputs.push_back(group.has_attribute("inputs") ? split_inputs(group, group.read_string("inputs"))
                                                   : std::vector<std::string>{});
    try {
      built.push_back(registry.make(spec));
    } catch (const Error& e) {
      throw Error(cat(root.file(), ": ", e.what()));
    } catch (const std::bad_alloc&) {  // datasets within the 2^31 cap may still not fit twice
      throw Error(cat(root.file(), ": ", spec.where(), ": out of memory building the layer"));
    }
    if (spec.is_unread("weight") && weights.loads(spec.name)) {
      try {
        read_linear_weights(group, *built.back());
      } catch (const Error& e) {
        throw Error(cat(e.what(), " (layer '", spec.name, "', ", spec.kind, ")"));
      } catch (const std::bad_alloc&) {
        throw Error(cat(root.file(), ": ", spec.where(), ": out of memory reading the layer's weights"));
      }
    }
  }
  try {
    return Model(name, Shape(input.begin(), input.end()), std::move(built), std::move(norm), std::move(inputs));
  } catch (const Error& e) {
    throw Error(cat(root.file(), ": ", e.what()));
  }
}

Model load_model(const std::string& path, const LayerRegistry& registry) {
  return load_model(path, WeightSelection::all(), registry);
}

Model load_model(const std::string& path, const WeightSelection& weights, const LayerRegistry& registry) {
  h5::File file(path, h5::File::Mode::read);
  return read_model(file, weights, registry);
}

void write_model(const Model& model, const h5::Location& root) {
  root.write_string("format", kFormat);
  root.write_ints("format_version", {kFormatVersion}, true);
  root.write_ints("input_shape", model.input_shape());
  root.write_string("name", model.name());
  if (!model.normalisation().empty()) {
    root.write_reals("input_mean", model.normalisation().mean);
    root.write_reals("input_std", model.normalisation().std);
  }
  const h5::Location layers = root.create_group("layers");
  layers.write_ints("count", {static_cast<std::int64_t>(model.size())}, true);
  for (std::size_t i = 0; i < model.size(); ++i) {
    const LayerSpec spec = model.layer(i).spec();
    const h5::Location group = layers.create_group(std::to_string(i));
    group.write_string("kind", spec.kind);
    group.write_string("name", spec.name);
    if (!model.is_sequential()) group.write_string("inputs", model.input_names(i));
    for (const auto& [key, values] : spec.ints) group.write_ints(key, values, values.size() == 1);
    for (const auto& [key, value] : spec.reals) group.write_reals(key, {value}, true);
    for (const auto& [key, tensor] : spec.params) group.write_tensor(key, tensor);
  }
}

void save_model(const Model& model, const std::string& path) {
  h5::File file(path, h5::File::Mode::truncate);
  write_model(model, file);
}

}  // namespace cdcnn

#include <cstdlib>

#include "io/files.hpp"
#include "layers/zoo.hpp"

namespace cdcnn {

std::string zoo_directory() {
  if (const char* env = std::getenv("CDCNN_ZOO_DIR"); env && *env) return env;
  return CDCNN_SOURCE_ZOO_DIR;
}

Model open_model(const std::string& name_or_path, std::uint64_t seed, const WeightSelection& weights) {
  if (is_regular_file(name_or_path)) return load_model(name_or_path, weights);
  if (is_zoo_name(name_or_path)) {
    const std::string file = zoo_directory() + "/" + name_or_path + ".h5";
    if (is_regular_file(file)) return load_model(file, weights);
    return zoo_model(name_or_path, seed, weights);
  }
  std::string zoo;
  for (const auto& n : zoo_names()) zoo += (zoo.empty() ? "" : ", ") + n;
  throw Error(cat("--model: '", name_or_path, "' is neither a model file nor a zoo model (zoo: ", zoo, ")"));
}

}  // namespace cdcnn
