#include "io/hdf5.hpp"

#include <algorithm>
#include <cmath>
#include <new>

#include "core/error.hpp"
#include "io/files.hpp"

namespace cdcnn::h5 {

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    if (valid() && close_) close_(id_);
    id_ = other.id_;
    close_ = other.close_;
    other.id_ = H5I_INVALID_HID;
  }
  return *this;
}

Handle::~Handle() {
  if (valid() && close_) close_(id_);
}

void silence_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

namespace {

Handle checked(hid_t id, Handle::Closer close, const std::string& what) {
  require(id >= 0, what);
  return Handle(id, close);
}

void check(herr_t status, const std::string& what) { require(status >= 0, what); }

std::string join(const std::string& path, const std::string& child) {
  if (child.empty()) return path;
  return path == "/" ? "/" + child : path + "/" + child;
}

Handle open_attribute(const Location& loc, const std::string& attr) {
  require(loc.has_attribute(attr), loc.where(), ": missing attribute '", attr, "'");
  return checked(H5Aopen(loc.id(), attr.c_str(), H5P_DEFAULT), H5Aclose,
                 cat(loc.where(), ": cannot open attribute '", attr, "'"));
}

std::vector<hsize_t> extent(hid_t space) {
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  return dims;
}

/// The element count of an extent if it is at most kMaxElements: what a
/// file says about sizes is never multiplied unchecked.
std::optional<std::size_t> count_of(const std::vector<hsize_t>& dims) {
  if (std::find(dims.begin(), dims.end(), hsize_t{0}) != dims.end()) return 0;
  Shape shape;
  for (auto d : dims) {
    if (d > static_cast<hsize_t>(kMaxElements)) return std::nullopt;
    shape.push_back(static_cast<Index>(d));
  }
  const auto n = checked_numel(shape);
  if (!n) return std::nullopt;
  return static_cast<std::size_t>(*n);
}

/// The size of the file holding `object`, in bytes (0 if HDF5 cannot say).
hsize_t file_size_of(hid_t object) {
  Handle file(H5Iget_file_id(object), H5Fclose);
  hsize_t size = 0;
  if (!file.valid() || H5Fget_filesize(file.get(), &size) < 0) return 0;
  return size;
}

/// What a file of `file_size` bytes can hold: its own size, or for data passed
/// through filters (compression) 4096 times that (deflate's best is about
/// 1032:1). A corrupt header may claim billions of values in a file of a few
/// KB: this is checked before anything is allocated for them.
bool fits_in_file(std::size_t count, std::size_t value_size, hsize_t file_size, bool filtered) {
  const long double needed = static_cast<long double>(count) * static_cast<long double>(value_size);
  return file_size == 0 || needed <= static_cast<long double>(file_size) * (filtered ? 4096 : 1);
}

/// "2x3" rendering of an extent (whose dimensions may not fit an Index).
std::string extent_string(const std::vector<hsize_t>& dims) {
  if (dims.empty()) return "scalar";
  std::string s;
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? "x" : "") + std::to_string(dims[i]);
  return s;
}

template <class T>
std::vector<T> read_attribute_numbers(const Location& loc, const std::string& attr, hid_t mem_type,
                                      H5T_class_t want, const char* what) {
  Handle a = open_attribute(loc, attr);
  Handle type(H5Aget_type(a.get()), H5Tclose);
  const H5T_class_t cls = H5Tget_class(type.get());
  const bool ok = cls == want || (want == H5T_FLOAT && cls == H5T_INTEGER);
  require(ok, loc.where(), ": attribute '", attr, "' must be ", what);
  Handle space(H5Aget_space(a.get()), H5Sclose);
  const auto dims = extent(space.get());
  const auto count = count_of(dims);
  require(count.has_value(), loc.where(), ": attribute '", attr, "' has shape ", extent_string(dims),
          ", more than 2^31 values");
  require(fits_in_file(*count, H5Tget_size(type.get()), file_size_of(a.get()), false), loc.where(), ": attribute '",
          attr, "' of shape ", extent_string(dims), " is larger than the whole file (truncated or corrupt?)");
  std::vector<T> out(*count);
  if (!out.empty())
    check(H5Aread(a.get(), mem_type, out.data()), cat(loc.where(), ": cannot read attribute '", attr, "'"));
  return out;
}

void write_attribute(const Location& loc, const std::string& attr, hid_t file_type, hid_t mem_type,
                     const void* data, std::size_t count, bool scalar) {
  if (loc.has_attribute(attr)) H5Adelete(loc.id(), attr.c_str());
  const hsize_t n = count;
  Handle space = checked(scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr), H5Sclose,
                         cat(loc.where(), ": cannot create dataspace"));
  Handle a = checked(H5Acreate2(loc.id(), attr.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                     cat(loc.where(), ": cannot create attribute '", attr, "'"));
  check(H5Awrite(a.get(), mem_type, data), cat(loc.where(), ": cannot write attribute '", attr, "'"));
}

void write_dataset(const Location& loc, const std::string& name, hid_t file_type, hid_t mem_type, const void* data,
                   const Shape& shape) {
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  Handle space = checked(dims.empty() ? H5Screate(H5S_SCALAR)
                                      : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                         H5Sclose, cat(loc.where(name), ": cannot create dataspace"));
  Handle d = checked(H5Dcreate2(loc.id(), name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT,
                                H5P_DEFAULT),
                     H5Dclose, cat(loc.where(name), ": cannot create dataset"));
  check(H5Dwrite(d.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), cat(loc.where(name), ": cannot write"));
}

/// `values` false: the checks and the shape only. `into`: read into that
/// storage of `into_count` values (Error unless the dataset has as many) and
/// return nothing.
template <class T>
std::vector<T> read_float_dataset(const Location& loc, const std::string& name, hid_t mem_type, Shape* shape,
                                  bool values = true, T* into = nullptr, Index into_count = 0) {
  require(loc.has(name), loc.where(), ": missing dataset '", name, "'");
  Handle d = checked(H5Dopen2(loc.id(), name.c_str(), H5P_DEFAULT), H5Dclose,
                     cat(loc.where(), ": '", name, "' is not a dataset"));
  Handle type(H5Dget_type(d.get()), H5Tclose);
  require(H5Tget_class(type.get()) == H5T_FLOAT, loc.where(), ": dataset '", name,
          "' must hold floating-point numbers");
  Handle space(H5Dget_space(d.get()), H5Sclose);
  const auto dims = extent(space.get());
  const auto count = count_of(dims);
  require(count.has_value(), loc.where(), ": dataset '", name, "' has shape ", extent_string(dims),
          ", more than 2^31 elements");
  Handle create(H5Dget_create_plist(d.get()), H5Pclose);
  const bool filtered = create.valid() && H5Pget_nfilters(create.get()) > 0;
  require(fits_in_file(*count, H5Tget_size(type.get()), file_size_of(d.get()), filtered), loc.where(), ": dataset '",
          name, "' of shape ", extent_string(dims), " is larger than the whole file could hold (truncated or corrupt?)");
  std::vector<T> out;
  if (shape) shape->assign(dims.begin(), dims.end());
  if (!values) return out;
  if (into) {
    require(static_cast<Index>(*count) == into_count, loc.where(), ": dataset '", name, "' has shape ",
            extent_string(dims), ", expected ", into_count, " values");
    if (into_count > 0)
      check(H5Dread(d.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, into),
            cat(loc.where(), ": cannot read dataset '", name, "' (truncated or corrupt file?)"));
    for (Index i = 0; i < into_count; ++i)
      require(std::isfinite(into[i]), loc.where(), ": dataset '", name, "' holds NaN or Inf");
    return out;
  }
  try {
    out.resize(*count);
  } catch (const std::bad_alloc&) {
    throw Error(cat(loc.where(), ": dataset '", name, "' of shape ", extent_string(dims), " does not fit in memory"));
  }
  if (!out.empty())
    check(H5Dread(d.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()),
          cat(loc.where(), ": cannot read dataset '", name, "' (truncated or corrupt file?)"));
  for (const T& v : out)
    require(std::isfinite(v), loc.where(), ": dataset '", name, "' holds NaN or Inf");
  return out;
}

}  // namespace

std::string Location::where(const std::string& child) const { return file_ + ":" + join(path_, child); }

bool Location::has(const std::string& name) const { return H5Lexists(id(), name.c_str(), H5P_DEFAULT) > 0; }

bool Location::has_attribute(const std::string& name) const { return H5Aexists(id(), name.c_str()) > 0; }

Location Location::group(const std::string& name) const {
  require(has(name), where(), ": missing group '", name, "'");
  return Location(checked(H5Gopen2(id(), name.c_str(), H5P_DEFAULT), H5Gclose,
                          cat(where(), ": '", name, "' is not a group")),
                  file_, join(path_, name));
}

Location Location::create_group(const std::string& name) const {
  require(!has(name), where(), ": '", name, "' already exists");
  return Location(checked(H5Gcreate2(id(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                          cat(where(), ": cannot create group '", name, "'")),
                  file_, join(path_, name));
}

namespace {
herr_t collect_name(hid_t, const char* name, const void*, void* out) {
  static_cast<std::vector<std::string>*>(out)->emplace_back(name);
  return 0;
}
herr_t collect_link(hid_t, const char* name, const H5L_info_t*, void* out) {
  static_cast<std::vector<std::string>*>(out)->emplace_back(name);
  return 0;
}
}  // namespace

std::vector<std::string> Location::children() const {
  std::vector<std::string> names;
  check(H5Literate(id(), H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_link, &names),
        cat(where(), ": cannot list members"));
  return names;
}

std::vector<std::string> Location::attribute_names() const {
  std::vector<std::string> names;
  auto cb = [](hid_t, const char* name, const H5A_info_t*, void* out) -> herr_t {
    return collect_name(0, name, nullptr, out);
  };
  check(H5Aiterate2(id(), H5_INDEX_NAME, H5_ITER_INC, nullptr, cb, &names), cat(where(), ": cannot list attributes"));
  return names;
}

std::string Location::read_string(const std::string& attr) const {
  Handle a = open_attribute(*this, attr);
  Handle type(H5Aget_type(a.get()), H5Tclose);
  require(H5Tget_class(type.get()) == H5T_STRING, where(), ": attribute '", attr, "' must be a string");
  Handle space(H5Aget_space(a.get()), H5Sclose);
  require(count_of(extent(space.get())) == std::size_t{1}, where(), ": attribute '", attr, "' must be a single string");
  if (H5Tis_variable_str(type.get()) > 0) {
    Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.get(), H5T_VARIABLE);
    H5Tset_cset(mem.get(), H5Tget_cset(type.get()));
    char* value = nullptr;
    check(H5Aread(a.get(), mem.get(), &value), cat(where(), ": cannot read attribute '", attr, "'"));
    std::string out = value ? value : "";
    H5free_memory(value);
    return out;
  }
  const std::size_t size = H5Tget_size(type.get());
  std::string out(size, '\0');
  check(H5Aread(a.get(), type.get(), out.data()), cat(where(), ": cannot read attribute '", attr, "'"));
  out.resize(out.find('\0') == std::string::npos ? size : out.find('\0'));
  while (!out.empty() && out.back() == ' ') out.pop_back();  // space-padded fixed strings
  return out;
}

std::vector<std::int64_t> Location::read_ints(const std::string& attr) const {
  return read_attribute_numbers<std::int64_t>(*this, attr, H5T_NATIVE_INT64, H5T_INTEGER, "integer");
}

std::vector<double> Location::read_reals(const std::string& attr) const {
  return read_attribute_numbers<double>(*this, attr, H5T_NATIVE_DOUBLE, H5T_FLOAT, "a number");
}

bool Location::attribute_is_integer(const std::string& attr) const {
  Handle a = open_attribute(*this, attr);
  Handle type(H5Aget_type(a.get()), H5Tclose);
  const H5T_class_t cls = H5Tget_class(type.get());
  require(cls == H5T_INTEGER || cls == H5T_FLOAT, where(), ": attribute '", attr, "' must be a number");
  return cls == H5T_INTEGER;
}

void Location::write_string(const std::string& attr, const std::string& value) const {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  const char* p = value.c_str();
  write_attribute(*this, attr, type.get(), type.get(), &p, 1, true);
}

void Location::write_ints(const std::string& attr, const std::vector<std::int64_t>& values, bool scalar) const {
  write_attribute(*this, attr, H5T_STD_I64LE, H5T_NATIVE_INT64, values.data(), values.size(),
                  scalar && values.size() == 1);
}

void Location::write_reals(const std::string& attr, const std::vector<double>& values, bool scalar) const {
  write_attribute(*this, attr, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, values.data(), values.size(),
                  scalar && values.size() == 1);
}

Tensor Location::read_tensor(const std::string& name) const {
  Shape shape;
  auto values = read_float_dataset<float>(*this, name, H5T_NATIVE_FLOAT, &shape);
  return Tensor(std::move(shape), std::move(values));
}

Shape Location::float_dataset_shape(const std::string& name) const {
  Shape shape;
  read_float_dataset<float>(*this, name, H5T_NATIVE_FLOAT, &shape, false);
  return shape;
}

void Location::read_floats_into(const std::string& name, float* out, Index count) const {
  read_float_dataset<float>(*this, name, H5T_NATIVE_FLOAT, nullptr, true, out, count);
}

std::vector<double> Location::read_doubles(const std::string& name, Shape* shape) const {
  return read_float_dataset<double>(*this, name, H5T_NATIVE_DOUBLE, shape);
}

void Location::write_tensor(const std::string& name, const Tensor& t) const {
  write_dataset(*this, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, t.data(), t.shape());
}

void Location::write_doubles(const std::string& name, const std::vector<double>& values, const Shape& shape) const {
  require(static_cast<Index>(values.size()) == numel(shape), where(name), ": value count does not match shape");
  write_dataset(*this, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, values.data(), shape);
}

namespace {
Handle open_file(const std::string& path, File::Mode mode) {
  silence_errors();
  if (mode == File::Mode::read) {
    require_exists(path);
    require(H5Fis_hdf5(path.c_str()) > 0, path, ": not an HDF5 file");
    hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    // A file whose SWMR writer was killed still carries its "open for write"
    // flag; SWMR read access opens it as it was last flushed.
    if (id < 0) id = H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, H5P_DEFAULT);
    return checked(id, H5Fclose, cat(path, ": cannot open HDF5 file (truncated or corrupt?)"));
  }
  Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (mode == File::Mode::stream) H5Pset_libver_bounds(access.get(), H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
  return checked(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()), H5Fclose,
                 cat(path, ": cannot create HDF5 file"));
}
}  // namespace

File::File(const std::string& path, Mode mode) : Location(open_file(path, mode), path, "/") {}

void File::start_streaming() const {
  check(H5Fstart_swmr_write(id()), cat(file(), ": cannot start SWMR writing (was the file created with Mode::stream?)"));
}

void File::flush() const { check(H5Fflush(id(), H5F_SCOPE_GLOBAL), cat(file(), ": cannot flush")); }

}  // namespace cdcnn::h5
