// The trained networks that ship in layers/zoo/ (fmnist-cnn, fmnist-resnet)
// must score on the whole Fashion-MNIST test set what PyTorch scored on the
// same weights (recorded in the file by tools/train_fmnist.py), and no less
// than the shipped files score (a floor against a retrained or damaged file).

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "io/hdf5.hpp"
#include "io/inputs.hpp"
#include "io/model_file.hpp"

namespace cdcnn {
namespace {

void expect_pytorch_accuracy(const std::string& name, Index at_least) {
  const std::string data = "/usr/share/datasets/fashion-mnist";
  const std::string file = zoo_directory() + "/" + name + ".h5";
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
  std::printf("%s: cdcnn %lld/10000 correct, PyTorch %lld/10000\n", name.c_str(), static_cast<long long>(correct),
              static_cast<long long>(reference));
  // Float summation order differs from PyTorch's; an image whose top two
  // logits tie within rounding may flip. Allow 2 of 10,000.
  EXPECT_NEAR(correct, reference, 2);
  EXPECT_GE(correct, at_least);
}

TEST(FashionMnistCnn, MatchesPyTorchAccuracyOnTheWholeTestSet) { expect_pytorch_accuracy("fmnist-cnn", 9000); }

// A graph model: residual adds, a strided shortcut conv, global pooling.
// The shipped file scores 9214; the floor is issue 12's target, 92%.
TEST(FashionMnistResNet, MatchesPyTorchAccuracyOnTheWholeTestSet) { expect_pytorch_accuracy("fmnist-resnet", 9200); }

}  // namespace
}  // namespace cdcnn
