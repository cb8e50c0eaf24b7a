// libFuzzer target: the coded-weight loader (io/coded_file.hpp) on arbitrary
// bytes written to a file, reading every shard, then one shard of every layer
// as a worker does. Properties: no crash or sanitizer report; a bad file is
// one cdcnn::Error of one line; no HDF5 handle is left open; what loads is
// consistent (shapes as the metadata says).

#include <cstdint>

#include "fuzz_util.hpp"
#include "io/coded_file.hpp"

namespace {

void check_layer(const cdcnn::CodedFileLayer& c) {
  bool ok = c.k >= 1 && c.n >= c.k && c.generator.rows() == c.n && c.generator.cols() == c.k;
  for (const auto& [j, w] : c.weights) ok = ok && w.rows() == c.rows_per_block && w.cols() == c.cols;
  for (const auto& [j, b] : c.biases) ok = ok && b.size() == c.rows_per_block;
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = cdcnn::fuzz::scratch_path("coded.h5");
  cdcnn::fuzz::write_file(path, data, size);
  try {
    const auto layers = cdcnn::read_coded_layers(path);
    std::map<std::string, std::vector<int>> last_shard;
    for (const auto& c : layers) {
      check_layer(c);
      last_shard[c.layer] = {c.n - 1};
    }
    for (const auto& c : cdcnn::read_coded_layers(path, last_shard)) check_layer(c);
  } catch (const cdcnn::Error& e) {
    cdcnn::fuzz::check_error_message(e);
  }
  cdcnn::fuzz::check_no_open_hdf5_objects();
  return 0;
}
