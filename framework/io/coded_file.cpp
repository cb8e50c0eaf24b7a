#include "io/coded_file.hpp"

#include "core/error.hpp"
#include "io/hdf5.hpp"
#include "io/model_file.hpp"

namespace cdcnn {

namespace {

constexpr const char* kCodedFormat = "cdcnn-coded";

std::vector<double> row_major(const Eigen::MatrixXd& m) {
  std::vector<double> out(static_cast<std::size_t>(m.size()));
  for (Index r = 0; r < m.rows(); ++r)
    for (Index c = 0; c < m.cols(); ++c) out[static_cast<std::size_t>(r * m.cols() + c)] = m(r, c);
  return out;
}

Index read_scalar(const h5::Location& g, const char* attr) {
  const auto v = g.read_ints(attr);
  require(v.size() == 1, g.where(), ": attribute '", attr, "' must be one integer");
  return v[0];
}

}  // namespace

std::vector<CodedFileLayer> write_coded_file(const std::string& path, const Model& model, const Plan& plan,
                                             const CodeRegistry& registry) {
  check_plan_against_model(plan, model);
  std::vector<CodedFileLayer> layers;
  for (const auto& split : plan.splits) {
    CodedFileLayer c;
    c.layer_index = model.index_of(split.layer);
    c.layer = split.layer;
    const std::unique_ptr<Code> code = make_code(plan, split, registry);
    const LinearLayer& linear = *model.layer(c.layer_index).as_linear();
    EncodedShards e = encode_layer(*code, linear.weight(), linear.bias());
    c.code_spec = code->spec();
    c.k = code->k();
    c.n = code->n();
    c.rows = e.rows;
    c.cols = e.cols;
    c.rows_per_block = e.rows_per_block;
    c.generator = code->generator();
    for (int j = 0; j < c.n; ++j) {
      c.weights.emplace(j, std::move(e.weights[static_cast<std::size_t>(j)]));
      c.biases.emplace(j, std::move(e.biases[static_cast<std::size_t>(j)]));
    }
    layers.push_back(std::move(c));
  }

  h5::File file(path, h5::File::Mode::truncate);
  write_model(model, file);
  const h5::Location coded = file.create_group("coded");
  coded.write_string("format", kCodedFormat);
  coded.write_ints("format_version", {1}, true);
  coded.write_string("plan", format_plan(plan));
  for (const auto& c : layers) {
    const h5::Location g = coded.create_group(std::to_string(c.layer_index));
    g.write_string("layer", c.layer);
    g.write_string("code", c.code_spec);
    g.write_ints("k", {c.k}, true);
    g.write_ints("n", {c.n}, true);
    g.write_ints("rows", {c.rows}, true);
    g.write_ints("cols", {c.cols}, true);
    g.write_ints("rows_per_block", {c.rows_per_block}, true);
    g.write_doubles("G", row_major(c.generator), {c.n, c.k});
    for (int j = 0; j < c.n; ++j) {
      const h5::Location s = g.create_group(std::to_string(j));
      s.write_tensor("weight", Tensor::from_matrix(c.weights.at(j), {c.rows_per_block, c.cols}));
      s.write_tensor("bias", Tensor::from_matrix(c.biases.at(j).transpose(), {c.rows_per_block}));
    }
  }
  return layers;
}

std::vector<CodedFileLayer> read_coded_layers(const std::string& path,
                                              const std::map<std::string, std::vector<int>>& shards) {
  h5::File file(path, h5::File::Mode::read);
  require(file.has("coded"), path, ": not a coded-weight file (no /coded group; make one with cdcnn encode)");
  const h5::Location coded = file.group("coded");
  require(coded.has_attribute("format") && coded.read_string("format") == kCodedFormat, coded.where(),
          ": attribute 'format' must be \"", kCodedFormat, "\"");
  std::vector<CodedFileLayer> out;
  for (const auto& key : coded.children()) {
    const h5::Location g = coded.group(key);
    CodedFileLayer c;
    require(!key.empty() && key.size() < 9 && key.find_first_not_of("0123456789") == std::string::npos, g.where(),
            ": coded layer groups must be named by the layer's index");
    c.layer_index = static_cast<std::size_t>(std::stoul(key));
    c.layer = g.read_string("layer");
    c.code_spec = g.read_string("code");
    // Checked as read (int64), before narrowing k and n to int.
    const Index k = read_scalar(g, "k"), n = read_scalar(g, "n");
    require(k >= 1 && n >= k && n <= Code::kMaxShards, g.where(), ": needs 1 <= k <= n <= ", Code::kMaxShards,
            ", has k = ", k, ", n = ", n);
    c.k = static_cast<int>(k);
    c.n = static_cast<int>(n);
    c.rows = read_scalar(g, "rows");
    c.cols = read_scalar(g, "cols");
    c.rows_per_block = read_scalar(g, "rows_per_block");
    require(c.rows >= c.k && c.cols >= 1 && checked_product({c.rows, c.cols}, kMaxElements).has_value(), g.where(),
            ": needs k <= rows, 1 <= cols and rows x cols at most 2^31, has rows = ", c.rows, ", cols = ", c.cols);
    require(c.rows_per_block == rows_per_block(c.rows, c.k), g.where(), ": rows_per_block must be ceil(rows/k)");
    Shape g_shape;
    const auto g_values = g.read_doubles("G", &g_shape);
    require(g_shape == Shape{c.n, c.k}, g.where(), ": dataset 'G' has shape ", to_string(g_shape), ", expected ",
            c.n, "x", c.k);
    c.generator.resize(c.n, c.k);
    for (int r = 0; r < c.n; ++r)
      for (int col = 0; col < c.k; ++col) c.generator(r, col) = g_values[static_cast<std::size_t>(r * c.k + col)];
    std::vector<int> wanted;
    if (auto it = shards.find(c.layer); it != shards.end()) {
      wanted = it->second;
    } else {
      for (int j = 0; j < c.n; ++j) wanted.push_back(j);
    }
    for (int j : wanted) {
      require(j >= 0 && j < c.n, g.where(), ": no shard ", j, " (the code has ", c.n, ")");
      const h5::Location s = g.group(std::to_string(j));
      const Shape w_shape = s.float_dataset_shape("weight"), b_shape = s.float_dataset_shape("bias");
      require(w_shape == Shape{c.rows_per_block, c.cols}, s.where(), ": dataset 'weight' has shape ",
              to_string(w_shape), ", expected ", c.rows_per_block, "x", c.cols);
      require(b_shape == Shape{c.rows_per_block}, s.where(), ": dataset 'bias' has shape ", to_string(b_shape),
              ", expected ", c.rows_per_block);
      // Read in place: a worker holds each shard once, never a copy beside it.
      Matrix w(c.rows_per_block, c.cols);
      Vector b(c.rows_per_block);
      s.read_floats_into("weight", w.data(), w.size());
      s.read_floats_into("bias", b.data(), b.size());
      c.weights.emplace(j, std::move(w));
      c.biases.emplace(j, std::move(b));
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace cdcnn
