#pragma once
// The coded-weight file (docs/architecture.md §5): the paper's "done offline". It is a model
// file (docs/model-file.md) plus, for every split layer of a plan, the code,
// its generator G and every shard's coded weights W'_j and bias b'_j:
//
//   /coded                    attrs: format "cdcnn-coded", format_version 1, plan (the plan's text)
//   /coded/<i>                one group per split layer, i = its index in the model;
//                             attrs: layer (name), code (spec as used), k, n,
//                                    rows (m), cols (q), rows_per_block
//     G                       float64 n×k
//     <j>/weight              float32 rows_per_block×q, shard j = 0..n-1
//     <j>/bias                float32 rows_per_block
//
// A worker reads only the shards it holds (read_coded_shards), so a Pi never
// loads the whole model's weights.

#include <map>
#include <string>
#include <vector>

#include "codes/encoding.hpp"
#include "codes/registry.hpp"
#include "layers/model.hpp"
#include "plan/plan.hpp"

namespace cdcnn {

/// One split layer as the coded-weight file stores it: its code, generator,
/// sizes and the shards that were read (or written).
struct CodedFileLayer {
  std::size_t layer_index = 0;
  std::string layer;
  std::string code_spec;
  int k = 0, n = 0;
  Index rows = 0, cols = 0, rows_per_block = 0;
  Eigen::MatrixXd generator;
  std::map<int, Matrix> weights;  ///< shard → W'_j (only the shards read)
  std::map<int, Vector> biases;   ///< shard → b'_j
};

/// Encodes every layer the plan splits (checking the plan against the model
/// and building each code from `registry`) and writes model + shards to `path`.
/// Returns the encoded layers (all shards), in plan order.
std::vector<CodedFileLayer> write_coded_file(const std::string& path, const Model& model, const Plan& plan,
                                             const CodeRegistry& registry = code_registry());

/// Reads the split layers' metadata and, for each, the shards in `shards`
/// (layer name → shard indices; a layer not in the map gets all its shards).
/// Error naming the file, layer and field for anything missing or inconsistent.
std::vector<CodedFileLayer> read_coded_layers(const std::string& path,
                                              const std::map<std::string, std::vector<int>>& shards = {});

}  // namespace cdcnn
