#pragma once
// Reading and writing the HDF5 model file (schema: docs/model-file.md).
// The reader checks everything — format tag, layer count, every layer's kind,
// attributes and datasets, shapes through the whole network — and reports the
// first problem as one Error naming the file, the layer and the field.

#include <string>

#include "io/hdf5.hpp"
#include "layers/model.hpp"
#include "layers/registry.hpp"
#include "layers/weight_selection.hpp"

namespace cdcnn {

/// Loads a model file; layer kinds come from `registry`.
Model load_model(const std::string& path, const LayerRegistry& registry = layer_registry());
/// The same with only the linear layers' weights `weights` selects: the
/// others are weightless, their datasets' shapes read but not their values.
Model load_model(const std::string& path, const WeightSelection& weights,
                 const LayerRegistry& registry = layer_registry());
/// Writes `model` to `path` (truncating it).
void save_model(const Model& model, const std::string& path);

/// The same, at an already open location (the coded-weight file embeds a model).
Model read_model(const h5::Location& root, const LayerRegistry& registry = layer_registry());
Model read_model(const h5::Location& root, const WeightSelection& weights,
                 const LayerRegistry& registry = layer_registry());
void write_model(const Model& model, const h5::Location& root);

}  // namespace cdcnn

namespace cdcnn {

/// Where zoo weight files live: $CDCNN_ZOO_DIR if set, else the source tree's layers/zoo.
std::string zoo_directory();

/// A model named on the command line: an existing file is loaded; a zoo name
/// loads `<zoo_directory()>/<name>.h5` when that file exists (the trained
/// fmnist-cnn) and otherwise builds the zoo network with weights from `seed`.
/// `weights` selects the linear layers built with their weights (a runtime
/// worker's skeleton: WeightSelection::none()). Error listing the zoo when
/// `name_or_path` is neither.
Model open_model(const std::string& name_or_path, std::uint64_t seed = 0,
                 const WeightSelection& weights = WeightSelection::all());

}  // namespace cdcnn
