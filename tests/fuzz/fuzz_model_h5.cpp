// libFuzzer target: the model-file loader (io/model_file.hpp, io/hdf5.hpp)
// on well-formed HDF5 files whose *contents* the fuzzer chooses: which
// attributes and datasets exist, their HDF5 types (strings fixed and
// variable, integers and floats of every width, compounds, enums), their
// shapes (scalar, empty, null, huge) and values. Raw bytes (fuzz_model_file)
// mostly exercise libhdf5's parser; this reaches what cdcnn itself does with
// what HDF5 hands it. The file lives in memory (HDF5's core driver).
// Properties: no crash or sanitizer report; a bad file is one cdcnn::Error of
// one line; no HDF5 handle is left open; a model that loads runs (if small).

#include <fuzzer/FuzzedDataProvider.h>
#include <hdf5.h>

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include "fuzz_util.hpp"
#include "io/hdf5.hpp"
#include "io/model_file.hpp"

namespace {


const char* const kLayerAttributes[] = {"kernel_size", "stride", "padding", "dilation", "groups", "ceil_mode",
                                        "count_include_pad", "output_size", "size", "alpha", "beta", "k", "eps", "p"};
const char* const kParams[] = {"weight", "bias", "running_mean", "running_var"};

/// Closes an HDF5 id at scope exit.
struct Id {
  hid_t id;
  herr_t (*close)(hid_t);
  ~Id() {
    if (id >= 0) close(id);
  }
};

/// A dataspace: mostly small 1-D, sometimes scalar, null, empty, multi-D or huge.
hid_t make_space(FuzzedDataProvider& in, bool allow_huge) {
  switch (in.ConsumeIntegralInRange(0, 7)) {
    case 0: return H5Screate(H5S_SCALAR);
    case 1: return H5Screate(H5S_NULL);
    case 2: {
      const hsize_t zero = 0;
      return H5Screate_simple(1, &zero, nullptr);
    }
    case 3:
    case 4: {
      std::vector<hsize_t> dims(in.ConsumeIntegralInRange<std::size_t>(1, 5));
      for (auto& d : dims) d = in.ConsumeIntegralInRange<hsize_t>(1, 6);
      return H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    }
    case 5:
      if (allow_huge) {
        std::vector<hsize_t> dims(in.ConsumeIntegralInRange<std::size_t>(1, 3));
        for (auto& d : dims) d = in.ConsumeIntegralInRange<hsize_t>(1, hsize_t{1} << 40);
        return H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
      }
      [[fallthrough]];
    default: {
      const hsize_t n = in.ConsumeIntegralInRange<hsize_t>(1, 4);
      return H5Screate_simple(1, &n, nullptr);
    }
  }
}

/// A type of any class the loader may meet. Returns a type to close.
hid_t make_type(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 11)) {
    case 0: {
      hid_t t = H5Tcopy(H5T_C_S1);
      H5Tset_size(t, H5T_VARIABLE);
      return t;
    }
    case 1: {
      hid_t t = H5Tcopy(H5T_C_S1);
      H5Tset_size(t, in.ConsumeIntegralInRange<std::size_t>(1, 40));
      H5Tset_strpad(t, in.ConsumeBool() ? H5T_STR_NULLTERM : H5T_STR_SPACEPAD);
      return t;
    }
    case 2: return H5Tcopy(H5T_STD_I64LE);
    case 3: return H5Tcopy(H5T_STD_U64BE);
    case 4: return H5Tcopy(H5T_STD_I8LE);
    case 5: return H5Tcopy(H5T_STD_I32BE);
    case 6: return H5Tcopy(H5T_IEEE_F64LE);
    case 7: return H5Tcopy(H5T_IEEE_F32BE);
    case 8: {
      hid_t t = H5Tcreate(H5T_COMPOUND, 16);
      H5Tinsert(t, "a", 0, H5T_STD_I64LE);
      H5Tinsert(t, "b", 8, H5T_IEEE_F64LE);
      return t;
    }
    case 9: {
      hid_t t = H5Tenum_create(H5T_STD_I32LE);
      int v = 0;
      H5Tenum_insert(t, "zero", &v);
      v = 1;
      H5Tenum_insert(t, "one", &v);
      return t;
    }
    case 10: return H5Tcopy(H5T_STD_B8LE);  // bitfield
    default: return H5Tcopy(H5T_STD_I16LE);
  }
}

/// Fills a buffer for `count` elements of `type` (strings: the wanted text, or junk).
std::vector<unsigned char> make_values(FuzzedDataProvider& in, hid_t type, std::size_t count, const std::string& text,
                                       std::vector<std::string>& strings, std::vector<const char*>& pointers) {
  if (H5Tget_class(type) == H5T_STRING && H5Tis_variable_str(type) > 0) {
    for (std::size_t i = 0; i < count; ++i) strings.push_back(in.ConsumeBool() ? text : in.ConsumeRandomLengthString(12));
    for (const auto& s : strings) pointers.push_back(s.c_str());
    return {};
  }
  const std::size_t size = H5Tget_size(type);
  std::vector<unsigned char> bytes(size * count);
  if (H5Tget_class(type) == H5T_STRING) {
    const std::string s = in.ConsumeBool() ? text : in.ConsumeRandomLengthString(size);
    for (std::size_t i = 0; i < count; ++i)
      for (std::size_t c = 0; c < size && c < s.size(); ++c) bytes[i * size + c] = static_cast<unsigned char>(s[c]);
    return bytes;
  }
  // Numbers in the file's byte order: write native values of the class, or raw bytes.
  const H5T_class_t cls = H5Tget_class(type);
  const bool raw = in.ConsumeIntegralInRange(0, 3) == 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (raw || (cls != H5T_INTEGER && cls != H5T_FLOAT)) {
      for (std::size_t b = 0; b < size; ++b) bytes[i * size + b] = in.ConsumeIntegral<unsigned char>();
      continue;
    }
    // Convert a native value into the file type with H5Tconvert.
    std::vector<unsigned char> element(std::max<std::size_t>(size, 8));
    if (cls == H5T_INTEGER) {
      const std::int64_t v = in.ConsumeBool() ? in.ConsumeIntegralInRange<std::int64_t>(-2, 12) : in.ConsumeIntegral<std::int64_t>();
      std::memcpy(element.data(), &v, 8);
      H5Tconvert(H5T_NATIVE_INT64, type, 1, element.data(), nullptr, H5P_DEFAULT);
    } else {
      const double v = in.ConsumeBool() ? in.ConsumeFloatingPointInRange(-2.0, 2.0) : in.ConsumeFloatingPoint<double>();
      std::memcpy(element.data(), &v, 8);
      H5Tconvert(H5T_NATIVE_DOUBLE, type, 1, element.data(), nullptr, H5P_DEFAULT);
    }
    std::memcpy(&bytes[i * size], element.data(), size);
  }
  return bytes;
}

/// What a valid file holds for an attribute: a string, integers or one real.
enum class Canonical { string, ints, real };

/// Three times in four the attribute is what a valid file holds (so the
/// fuzzer gets past the format checks to the layers), else anything.
void write_attribute(FuzzedDataProvider& in, hid_t loc, const std::string& name, const std::string& text,
                     Canonical canonical) {
  if (in.ConsumeIntegralInRange(0, 3) != 0) {
    H5Iinc_ref(loc);  // the Location's handle gives this reference back
    const cdcnn::h5::Location l(cdcnn::h5::Handle(loc, H5Idec_ref), "fuzz.h5", "/");
    switch (canonical) {
      case Canonical::string: l.write_string(name, in.ConsumeIntegralInRange(0, 7) ? text : in.ConsumeRandomLengthString(12)); break;
      case Canonical::ints: {
        std::vector<std::int64_t> v(in.ConsumeIntegralInRange<std::size_t>(1, 3));
        for (auto& x : v) x = in.ConsumeIntegralInRange(0, 7) ? in.ConsumeIntegralInRange<std::int64_t>(0, 6) : in.ConsumeIntegral<std::int64_t>();
        l.write_ints(name, v, v.size() == 1 && in.ConsumeBool());
        break;
      }
      case Canonical::real: l.write_reals(name, {in.ConsumeFloatingPointInRange(-1.0, 2.0)}, in.ConsumeBool()); break;
    }
    return;
  }
  Id type{make_type(in), H5Tclose};
  Id space{make_space(in, false), H5Sclose};
  const hssize_t n = H5Sget_simple_extent_npoints(space.id);
  Id attr{H5Acreate2(loc, name.c_str(), type.id, space.id, H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
  if (attr.id < 0 || n <= 0 || H5Sget_simple_extent_type(space.id) == H5S_NULL) return;
  std::vector<std::string> strings;
  std::vector<const char*> pointers;
  auto bytes = make_values(in, type.id, static_cast<std::size_t>(n), text, strings, pointers);
  H5Awrite(attr.id, type.id, pointers.empty() ? static_cast<const void*>(bytes.data()) : pointers.data());
}

void write_dataset(FuzzedDataProvider& in, hid_t loc, const std::string& name) {
  const bool huge = in.ConsumeIntegralInRange(0, 7) == 0;
  Id type{in.ConsumeIntegralInRange(0, 3) ? H5Tcopy(in.ConsumeBool() ? H5T_IEEE_F32LE : H5T_IEEE_F64BE) : make_type(in),
          H5Tclose};
  Id space{make_space(in, huge), H5Sclose};
  Id plist{H5Pcreate(H5P_DATASET_CREATE), H5Pclose};
  const int rank = H5Sget_simple_extent_ndims(space.id);
  if (huge && rank > 0) {  // chunked, nothing written: a tiny file claiming a huge array
    std::vector<hsize_t> chunk(static_cast<std::size_t>(rank), 1);
    H5Pset_chunk(plist.id, rank, chunk.data());
  }
  Id d{H5Dcreate2(loc, name.c_str(), type.id, space.id, H5P_DEFAULT, plist.id, H5P_DEFAULT), H5Dclose};
  const hssize_t n = H5Sget_simple_extent_npoints(space.id);
  if (d.id < 0 || huge || n <= 0 || n > 4096 || H5Sget_simple_extent_type(space.id) == H5S_NULL) return;
  std::vector<std::string> strings;
  std::vector<const char*> pointers;
  auto bytes = make_values(in, type.id, static_cast<std::size_t>(n), "", strings, pointers);
  H5Dwrite(d.id, type.id, H5S_ALL, H5S_ALL, H5P_DEFAULT,
           pointers.empty() ? static_cast<const void*>(bytes.data()) : pointers.data());
}

void build_file(FuzzedDataProvider& in, hid_t file) {
  const std::tuple<const char*, const char*, Canonical> root_attributes[] = {
      {"format", "cdcnn-model", Canonical::string}, {"format_version", "", Canonical::ints},
      {"input_shape", "", Canonical::ints},         {"name", "m", Canonical::string},
      {"input_mean", "", Canonical::real},          {"input_std", "", Canonical::real}};
  for (const auto& [name, text, canonical] : root_attributes)
    if (in.ConsumeIntegralInRange(0, 7) != 0) write_attribute(in, file, name, text, canonical);
  if (in.ConsumeIntegralInRange(0, 15) == 0) {  // "layers" is not a group
    write_dataset(in, file, "layers");
    return;
  }
  Id layers{H5Gcreate2(file, "layers", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose};
  if (in.ConsumeIntegralInRange(0, 7) != 0) write_attribute(in, layers.id, "count", "", Canonical::ints);
  const int count = in.ConsumeIntegralInRange(0, 5);
  const std::vector<std::string> kinds = cdcnn::layer_registry().kinds();  // a new kind is fuzzed as it is registered
  for (int i = 0; i < count; ++i) {
    const std::string group = in.ConsumeIntegralInRange(0, 15) ? std::to_string(i) : in.ConsumeRandomLengthString(4);
    if (in.ConsumeIntegralInRange(0, 15) == 0) {  // a dataset where a layer group should be
      write_dataset(in, layers.id, group.empty() ? "x" : group);
      continue;
    }
    Id g{H5Gcreate2(layers.id, group.empty() ? "x" : group.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose};
    if (g.id < 0) continue;
    if (in.ConsumeIntegralInRange(0, 7))
      write_attribute(in, g.id, "kind", kinds[in.ConsumeIntegralInRange<std::size_t>(0, kinds.size() - 1)],
                      Canonical::string);
    if (in.ConsumeIntegralInRange(0, 7)) write_attribute(in, g.id, "name", "l" + std::to_string(i), Canonical::string);
    for (int a = in.ConsumeIntegralInRange(0, 3); a > 0; --a) {
      const int which = in.ConsumeIntegralInRange(0, 13);  // the first 9 are integer attributes
      write_attribute(in, g.id, kLayerAttributes[which], "", which < 9 ? Canonical::ints : Canonical::real);
    }
    for (int p = in.ConsumeIntegralInRange(0, 3); p > 0; --p)
      write_dataset(in, g.id, kParams[in.ConsumeIntegralInRange(0, 3)]);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  cdcnn::h5::silence_errors();
  FuzzedDataProvider in(data, size);
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_core(fapl, 1 << 16, 0);  // in memory, never written out
  const hid_t file = H5Fcreate(cdcnn::fuzz::scratch_path("model_h5.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  if (file < 0) std::abort();
  build_file(in, file);
  try {
    const cdcnn::h5::Location root(cdcnn::h5::Handle(file, H5Fclose), "fuzz.h5", "/");
    const cdcnn::Model model = cdcnn::read_model(root);
    cdcnn::fuzz::check_runs_if_small(model);
  } catch (const cdcnn::Error& e) {
    cdcnn::fuzz::check_error_message(e);
  }
  cdcnn::fuzz::check_no_open_hdf5_objects();
  return 0;
}
