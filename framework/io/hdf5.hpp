#pragma once
// A thin RAII layer over HDF5's C API: move-only handles released in their
// destructors, HDF5's automatic error-stack printing switched off, and every
// failure turned into a cdcnn::Error that names the file and the object.
// Only what cdcnn's files need is here: groups, int64/float64/string
// attributes, float32/float64/int64 datasets (whole, or appended by rows).

#include <hdf5.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.hpp"

namespace cdcnn::h5 {

/// Owns one hid_t; `close` is the matching H5?close function.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer close) : id_(id), close_(close) {}
  Handle(Handle&& other) noexcept : id_(other.id_), close_(other.close_) { other.id_ = H5I_INVALID_HID; }
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle();  // closes; never throws

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer close_ = nullptr;
};

/// Silences HDF5's own printing of its error stack (process-wide, idempotent);
/// our messages say what went wrong instead.
void silence_errors();

/// An HDF5 object (file or group) under which attributes, datasets and
/// subgroups live, with the file path for messages.
class Location {
 public:
  Location(Handle handle, std::string file, std::string path)
      : handle_(std::move(handle)), file_(std::move(file)), path_(std::move(path)) {}

  hid_t id() const { return handle_.get(); }
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }
  /// "model.h5:/layers/3" for messages.
  std::string where(const std::string& child = "") const;

  bool has(const std::string& name) const;  ///< a link (group or dataset) of that name exists
  bool has_attribute(const std::string& name) const;
  Location group(const std::string& name) const;         ///< opens; Error if missing
  Location create_group(const std::string& name) const;  ///< creates; Error if it exists
  std::vector<std::string> children() const;             ///< link names, in name order
  std::vector<std::string> attribute_names() const;

  // Attributes. Readers throw Error naming the attribute if missing or of the
  // wrong type class; integer lists accept a scalar as a one-element list.
  std::string read_string(const std::string& attr) const;
  std::vector<std::int64_t> read_ints(const std::string& attr) const;
  std::vector<double> read_reals(const std::string& attr) const;
  /// True if the attribute holds integers, false if reals; Error otherwise.
  bool attribute_is_integer(const std::string& attr) const;
  void write_string(const std::string& attr, const std::string& value) const;
  void write_ints(const std::string& attr, const std::vector<std::int64_t>& values, bool scalar = false) const;
  void write_reals(const std::string& attr, const std::vector<double>& values, bool scalar = false) const;

  // Datasets.
  /// Reads a float dataset of any float width into a Tensor (converted to
  /// float32). Error if missing, not floating point, or holding NaN/Inf.
  Tensor read_tensor(const std::string& name) const;
  /// The shape of a float dataset, its data unread; the same checks as
  /// read_tensor but for the values (a skeleton's weights: layers/weight_selection.hpp).
  Shape float_dataset_shape(const std::string& name) const;
  /// Reads a float dataset of `count` values (any shape) into `out`, with
  /// read_tensor's checks: a layer's weights read in place, held once.
  void read_floats_into(const std::string& name, float* out, Index count) const;
  /// Reads a float64 dataset as a row-major double vector with its shape.
  std::vector<double> read_doubles(const std::string& name, Shape* shape = nullptr) const;
  void write_tensor(const std::string& name, const Tensor& t) const;
  void write_doubles(const std::string& name, const std::vector<double>& values, const Shape& shape) const;

 private:
  Handle handle_;
  std::string file_;
  std::string path_;
};

/// An open HDF5 file, itself the root group "/".
class File : public Location {
 public:
  /// read: an existing file, read-only. truncate: a new file. stream: a new
  /// file in the latest format, ready for start_streaming() (SWMR).
  enum class Mode { read, truncate, stream };
  /// Opens or creates `path`; Error("<path>: ...") when it is missing, not
  /// HDF5, truncated, or cannot be created.
  File(const std::string& path, Mode mode);
  /// Pushes everything written so far to disk (H5Fflush).
  void flush() const;
  /// Switches a Mode::stream file to single-writer/multiple-reader writing:
  /// from here on the file on disk is always a valid HDF5 file holding what
  /// was last flushed, even if the process is killed. Create every group,
  /// attribute and dataset first: SWMR allows only appends afterwards.
  void start_streaming() const;
};

}  // namespace cdcnn::h5
