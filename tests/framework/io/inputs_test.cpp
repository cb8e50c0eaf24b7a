#include "io/inputs.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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
  std::ofstream out(path, std::ios::binary);
  out << "P6\n4 2\n255\n";
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 4; ++x)
      for (int c = 0; c < 3; ++c) out.put(static_cast<char>(x < 2 ? 0 : 255));
  out.close();
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
