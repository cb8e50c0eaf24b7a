#pragma once
// What every cdcnn fuzz target shares: a scratch file for inputs that must
// be files (HDF5 opens paths), and the one property every target checks
// beyond "no crash, no sanitizer report": bad input is a cdcnn::Error whose
// message is one non-empty line. Any other exception escapes to libFuzzer,
// which reports it as a crash.

#include <hdf5.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.hpp"
#include "layers/model.hpp"

namespace cdcnn::fuzz {

/// A model that loads is run when its work is below this (a fuzz iteration must stay short).
constexpr std::int64_t kMaxFlopsToRun = 20'000'000;

/// A model that loaded must run, when small enough, and give the output shape it declares.
inline void check_runs_if_small(const Model& model) {
  if (model.flops() >= kMaxFlopsToRun) return;
  const Tensor y = model.forward(Tensor(model.input_shape()));
  if (y.shape() != model.output_shape()) std::abort();
}

/// A per-process scratch path: in $CDCNN_FUZZ_SCRATCH if set (run.sh sets a
/// directory it removes at the end, as fork mode starts a process per job and
/// a crashed one cleans nothing up), else in RAM (/dev/shm) when the machine
/// has it.
inline std::string scratch_path(const std::string& name) {
  static const std::filesystem::path dir = []() -> std::filesystem::path {
    if (const char* scratch = std::getenv("CDCNN_FUZZ_SCRATCH"); scratch != nullptr && *scratch != '\0') return scratch;
    std::error_code ec;
    if (std::filesystem::is_directory("/dev/shm", ec)) return std::filesystem::path("/dev/shm");
    return std::filesystem::temp_directory_path();
  }();
  return (dir / ("cdcnn_fuzz_" + std::to_string(getpid()) + "_" + name)).string();
}

/// Writes `size` bytes to `path` (truncating it).
inline void write_file(const std::string& path, const std::uint8_t* data, std::size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
}

/// The error contract: a non-empty message on one line (no control characters but tab).
inline void check_error_message(const Error& e) {
  const std::string msg = e.what();
  bool control = false;
  for (const char c : msg) control = control || (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f;
  if (msg.empty() || control) {
    std::fprintf(stderr, "fuzz: error message is not one non-empty line: [%s]\n", msg.c_str());
    std::abort();
  }
}

/// Every HDF5 object the loaders opened is closed again, whatever was thrown
/// (a leaked file handle would keep the next input's file from being read).
inline void check_no_open_hdf5_objects() {
  const ssize_t open = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
  if (open != 0) {
    std::fprintf(stderr, "fuzz: %zd HDF5 objects left open\n", static_cast<ssize_t>(open));
    std::abort();
  }
}

}  // namespace cdcnn::fuzz
