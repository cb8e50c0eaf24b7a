// The trained fmnist-cnn that ships in layers/zoo/ must score on the whole
// Fashion-MNIST test set what PyTorch scored on the same weights (recorded in
// the file by tools/train_fmnist.py), and at least 90%.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "io/hdf5.hpp"
#include "io/inputs.hpp"
#include "io/model_file.hpp"

namespace cdcnn {
namespace {

TEST(FashionMnistCnn, MatchesPyTorchAccuracyOnTheWholeTestSet) {
  const std::string data = "/usr/share/datasets/fashion-mnist";
  const std::string file = zoo_directory() + "/fmnist-cnn.h5";
  ASSERT_TRUE(std::filesystem::exists(data)) << data << " missing: run hpc/install-deps.sh";
  ASSERT_TRUE(std::filesystem::exists(file)) << file << " missing";
  const Model model = load_model(file);
  const auto reference = h5::File(file, h5::File::Mode::read).read_ints("pytorch_test_correct").at(0);

  const LabelledImages set = load_idx_dataset(data);
  ASSERT_EQ(set.count, 10000);
  Index correct = 0;
  for (Index i = 0; i < set.count; ++i) {
    const Tensor y = model.forward(set.image(i, model.normalisation()));
    const Index predicted = std::max_element(y.values().begin(), y.values().end()) - y.values().begin();
    correct += predicted == set.labels[static_cast<std::size_t>(i)];
  }
  std::printf("cdcnn %lld/10000 correct, PyTorch %lld/10000\n", static_cast<long long>(correct),
              static_cast<long long>(reference));
  // Float summation order differs from PyTorch's; an image whose top two
  // logits tie within rounding may flip. Allow 2 of 10,000.
  EXPECT_NEAR(correct, reference, 2);
  EXPECT_GE(correct, 9000);
}

}  // namespace
}  // namespace cdcnn
