// libFuzzer target: the model-file loader (io/model_file.hpp) on arbitrary
// bytes written to a file. Properties: no crash or sanitizer report; a bad
// file is one cdcnn::Error of one line; no HDF5 handle is left open; a model
// that loads runs (when it is small enough to run in a fuzz iteration).

#include <cstdint>

#include "fuzz_util.hpp"
#include "io/model_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = cdcnn::fuzz::scratch_path("model.h5");
  cdcnn::fuzz::write_file(path, data, size);
  try {
    const cdcnn::Model model = cdcnn::load_model(path);
    cdcnn::fuzz::check_runs_if_small(model);
  } catch (const cdcnn::Error& e) {
    cdcnn::fuzz::check_error_message(e);
  }
  cdcnn::fuzz::check_no_open_hdf5_objects();
  return 0;
}
