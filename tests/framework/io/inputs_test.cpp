#include "io/inputs.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "core/error.hpp"
#include "temp_path.hpp"

namespace cdcnn {
namespace {

namespace fs = std::filesystem;

TEST(Npy, RoundTripsAndDropsABatchDimensionOfOne) {
  Tensor t({2, 3}, {1, 2, 3, 4, 5, 6});
  const std::string path = test::temp_path("a.npy");
  save_npy(path, t);
  EXPECT_EQ(max_relative_error(load_npy(path, {2, 3}), t), 0.0);
  save_npy(path, t.reshaped({1, 2, 3}));
  EXPECT_EQ(load_npy(path, {2, 3}).shape(), (Shape{2, 3}));
}

TEST(Npy, RefusesAShapeThatDoesNotFitTheModel) {
  const std::string path = test::temp_path("b.npy");
  save_npy(path, Tensor({4}));
  try {
    load_npy(path, {2, 3});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not fit input shape 2x3"), std::string::npos) << e.what();
  }
}

TEST(Npy, RefusesGarbageAndTruncation) {
  const std::string path = test::temp_path("c.npy");
  std::ofstream(path) << "hello";
  EXPECT_THROW(load_npy(path, {1}), Error);
  save_npy(path, Tensor({100}));
  fs::resize_file(path, fs::file_size(path) - 8);
  EXPECT_THROW(load_npy(path, {100}), Error);
}

/// Writes a version-1 .npy file with `header` (unpadded) and `data_bytes` zero bytes.
void write_npy(const std::string& path, const std::string& header, std::size_t data_bytes = 0) {
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  out.put(static_cast<char>(header.size() & 0xff)).put(static_cast<char>(header.size() >> 8));
  out << header << std::string(data_bytes, '\0');
}

std::string npy_error(const std::string& header, const Shape& expected, std::size_t data_bytes = 0) {
  const std::string path = test::temp_path("h.npy");
  write_npy(path, header, data_bytes);
  try {
    load_npy(path, expected);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Npy, RefusesAHeaderEndingAfterFortranOrder) {
  // Nothing after the colon: used to escape as std::out_of_range.
  const std::string msg = npy_error("{'descr': '<f4', 'shape': (1, 28, 28), 'fortran_order':", {1, 28, 28});
  EXPECT_NE(msg.find("h.npy: malformed .npy header (fortran_order has no value)"), std::string::npos) << msg;
  EXPECT_NE(npy_error("{'descr': '<f4', 'fortran_order':      ", {1}).find("fortran_order has no value"),
            std::string::npos);
}

TEST(Npy, RefusesShapeTokensThatAreNotWholeIntegers) {
  // std::stoll read "2x" as 2 and "3.5" as 3: these loaded as 2x3 arrays.
  for (const std::string dims : {"2x, 3", "2, 3.5", "2, -3", "2, 3e0", "99999999999999999999999, 3"}) {
    const std::string msg =
        npy_error("{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }", {2, 3}, 24);
    EXPECT_NE(msg.find("malformed .npy shape '" + dims + "'"), std::string::npos) << dims << ": " << msg;
  }
  EXPECT_EQ(npy_error("{'descr': '<f4', 'fortran_order': False, 'shape': ( 2 ,3 ), }", {2, 3}, 24), "");
  const std::string msg = npy_error("{'descr': '<f4', 'fortran_order': False, 'shape': ) 2, 3}", {2, 3}, 24);
  EXPECT_NE(msg.find("malformed .npy header (shape)"), std::string::npos) << msg;
}

TEST(Inputs, NameAPathTooLongToExamine) {
  // std::filesystem::exists throws filesystem_error for this (ENAMETOOLONG).
  const std::string path = test::temp_path(std::string(5000, 'a') + ".png");
  for (const auto& load : std::vector<std::function<void()>>{[&] { load_image(path, {3, 8, 8}, {}); },
                                                             [&] { load_idx_dataset(path); },
                                                             [&] { load_npy(path, {1}); }}) {
    try {
      load();
      FAIL();
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
      EXPECT_NE(std::string(e.what()).find(std::string(100, 'a')), std::string::npos) << e.what();
    }
  }
}

/// A binary PPM of w x h pixels: left half black, right half white.
void write_ppm(const std::string& path, int w, int h) {
  std::ofstream out(path, std::ios::binary);
  out << "P6\n" << w << " " << h << "\n255\n";
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) out.put(static_cast<char>(x < w / 2 ? 0 : 255));
}

TEST(Inputs, LoadInputReadsNpyInAnyLetterCaseAndEverythingElseAsAnImage) {
  const Tensor t({3, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  for (const std::string name : {"x.npy", "x.NPY", "x.Npy"}) {
    const std::string path = test::temp_path(name);
    save_npy(path, t);
    EXPECT_EQ(max_relative_error(load_input(path, {3, 2, 2}, {}), t), 0.0) << name;
  }
  // An image whatever its extension (or none): stb_image reads the contents.
  for (const std::string name : {"img.ppm", "img.png", "img", "img.npy.ppm"}) {
    const std::string path = test::temp_path(name);
    write_ppm(path, 4, 2);
    EXPECT_EQ(max_relative_error(load_input(path, {3, 2, 2}, {}), load_image(path, {3, 2, 2}, {})), 0.0) << name;
  }
  // A .npy that is not one is an error of load_npy, not an unreadable image.
  const std::string path = test::temp_path("y.NPY");
  std::ofstream(path) << "garbage";
  try {
    load_input(path, {3, 2, 2}, {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a .npy file"), std::string::npos) << e.what();
  }
}

TEST(Image, RefusesAMissingOrUnreadableFile) {
  EXPECT_THROW(load_image(test::temp_path("none.png"), {3, 8, 8}, {}), Error);
  const std::string path = test::temp_path("bad.png");
  std::ofstream(path) << "not a png";
  EXPECT_THROW(load_image(path, {3, 8, 8}, {}), Error);
}

TEST(Image, ReadsABinaryPpmResizedAndCentreCropped) {
  // A 4x2 PPM: left half black, right half white; cropping to 2x2 keeps the
  // centre, so the first column is darker than the last.
  const std::string path = test::temp_path("img.ppm");
  write_ppm(path, 4, 2);
  const Tensor t = load_image(path, {3, 2, 2}, {});
  EXPECT_EQ(t.shape(), (Shape{3, 2, 2}));
  EXPECT_LT(t[0], t[1]);
  for (float v : t.values()) EXPECT_TRUE(v >= 0.0f && v <= 1.0f);
}

TEST(Idx, ReadsFashionMnistWhenInstalled) {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(dir)) GTEST_SKIP() << dir << " not installed";
  const LabelledImages set = load_idx_dataset(dir);
  EXPECT_EQ(set.count, 10000);
  EXPECT_EQ(set.rows, 28);
  EXPECT_EQ(set.labels.size(), 10000u);
  EXPECT_EQ(set.image(0, {}).shape(), (Shape{1, 28, 28}));
}

/// Writes an uncompressed IDX header (unsigned bytes, rank dims.size()) and `data`.
void write_idx(const std::string& path, const std::vector<std::uint32_t>& dims, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out.put(0).put(0).put(8).put(static_cast<char>(dims.size()));
  for (std::uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) out.put(static_cast<char>((d >> shift) & 0xff));
  out << data;
}

TEST(Idx, RefusesDimensionsWhoseProductOverflows) {
  // 769546 x 494770 x 48448661 wraps to 4 in int64: four bytes of pixels
  // passed for 769546 images of 494770x48448661 and image() read far outside.
  const std::string dir = test::temp_path("idx_ovf");
  fs::create_directories(dir);
  write_idx(dir + "/t10k-images-idx3-ubyte", {769546, 494770, 48448661}, "\x01\x02\x03\x04");
  write_idx(dir + "/t10k-labels-idx1-ubyte", {769546}, std::string(769546, '\0'));
  try {
    load_idx_dataset(dir);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("t10k-images-idx3-ubyte: implausible IDX dimensions 769546x494770x48448661"),
              std::string::npos)
        << e.what();
  }
  write_idx(dir + "/t10k-images-idx3-ubyte", {2, 0x10000, 0x10000}, "");  // 2^33 bytes: over the cap
  EXPECT_THROW(load_idx_dataset(dir), Error);
  write_idx(dir + "/t10k-images-idx3-ubyte", {2, 2, 2}, "\x01\x02\x03\x04\x05\x06\x07\x08");
  write_idx(dir + "/t10k-labels-idx1-ubyte", {2}, "\x03\x07");
  const LabelledImages set = load_idx_dataset(dir);
  EXPECT_EQ(set.count, 2);
  EXPECT_EQ(set.labels[1], 7);
  EXPECT_FLOAT_EQ(set.image(1, {})[3], 8.0f / 255.0f);
  fs::remove_all(dir);
}

TEST(Idx, NamesAMissingFile) {
  try {
    load_idx_dataset(test::temp_path("nodir"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("t10k-images-idx3-ubyte"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cdcnn
