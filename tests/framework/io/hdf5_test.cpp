#include "io/hdf5.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "temp_path.hpp"

namespace cdcnn {
namespace {

/// A file holding one float32 dataset "/huge" of `dims`, chunked so that
/// nothing is written: the file stays tiny whatever the extent.
std::string file_with_unwritten_dataset(const std::string& name, std::vector<hsize_t> dims) {
  const std::string path = test::temp_path(name + ".h5");
  h5::silence_errors();
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t plist = H5Pcreate(H5P_DATASET_CREATE);
  const std::vector<hsize_t> chunk(dims.size(), 1);
  H5Pset_chunk(plist, static_cast<int>(chunk.size()), chunk.data());
  hid_t d = H5Dcreate2(f, "huge", H5T_IEEE_F32LE, space, H5P_DEFAULT, plist, H5P_DEFAULT);
  EXPECT_GE(d, 0);
  H5Dclose(d);
  H5Pclose(plist);
  H5Sclose(space);
  H5Fclose(f);
  return path;
}

std::string read_error(const std::string& path) {
  try {
    h5::File(path, h5::File::Mode::read).read_tensor("huge");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Hdf5, RefusesADatasetWhoseElementCountOverflows) {
  // 2^32 x 2^32 wrapped to 0 elements: an empty tensor of that shape was
  // returned, and the model built from it hung or divided by zero.
  const std::string path = file_with_unwritten_dataset("ovf", {hsize_t{1} << 32, hsize_t{1} << 32});
  const std::string msg = read_error(path);
  EXPECT_EQ(msg, path + ":/: dataset 'huge' has shape 4294967296x4294967296, more than 2^31 elements");
}

TEST(Hdf5, RefusesADatasetOfMoreThan2To31ElementsBeforeAllocating) {
  // 2^40 floats: used to end in a bare "out of memory" without the file's name.
  const std::string path = file_with_unwritten_dataset("big", {1, 1, hsize_t{1} << 20, hsize_t{1} << 20});
  EXPECT_EQ(read_error(path), path + ":/: dataset 'huge' has shape 1x1x1048576x1048576, more than 2^31 elements");
}

TEST(Hdf5, ReadsAnUnwrittenDatasetOfAFewElementsAsZeros) {
  const std::string path = file_with_unwritten_dataset("small", {2, 3});
  const Tensor t = h5::File(path, h5::File::Mode::read).read_tensor("huge");
  EXPECT_EQ(t.shape(), (Shape{2, 3}));
  for (float v : t.values()) EXPECT_EQ(v, 0.0f);
}

TEST(Hdf5, NamesAPathTooLongToExamine) {
  // std::filesystem::exists threw filesystem_error ("File name too long").
  const std::string path = test::temp_path(std::string(5000, 'x') + ".h5");
  try {
    h5::File(path, h5::File::Mode::read);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), path + ": cannot access (File name too long)");
  }
  EXPECT_THROW(h5::File(test::temp_path("missing.h5"), h5::File::Mode::read), Error);
}

}  // namespace
}  // namespace cdcnn
