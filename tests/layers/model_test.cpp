#include "layers/model.hpp"

#include <gtest/gtest.h>

#include "layer_test_util.hpp"
#include "layers/add.hpp"
#include "layers/concat.hpp"
#include "layers/conv.hpp"
#include "layers/dense.hpp"
#include "layers/max_pool.hpp"
#include "layers/relu.hpp"

namespace cdcnn {
namespace {

using testing::expect_error;

std::vector<std::unique_ptr<Layer>> one_relu() {
  std::vector<std::unique_ptr<Layer>> layers;
  layers.push_back(std::make_unique<Relu>("relu"));
  return layers;
}

TEST(Model, RefusesAnInputOfMoreThan2To31ElementsOrAnEmptyAxis) {
  constexpr Index k2To32 = Index{1} << 32;
  expect_error([] { Model("m", {k2To32, k2To32}, one_relu()); },
               "model 'm': the input would have shape 4294967296x4294967296", "more than 2^31 elements");
  expect_error([] { Model("m", {Index{1} << 31, 2}, one_relu()); }, "model 'm': the input", "more than 2^31 elements");
  expect_error([] { Model("m", {3, 0, k2To32}, one_relu()); }, "model 'm': the input", "empty dimension");
  EXPECT_EQ(Model("m", {Index{1} << 31}, one_relu()).output_shape(), (Shape{Index{1} << 31}));
}

TEST(Model, RefusesAFlopCountBeyondInt64) {
  // Four max pools of 2^31-element windows over ~2^30 positions: ~2^61 FLOPs
  // each, more than 2^63 together. Shapes only: nothing is allocated.
  constexpr Index k = Index{1} << 15;
  std::vector<std::unique_ptr<Layer>> layers;
  for (int i = 0; i < 4; ++i) {
    Window w{.kernel = {k, 2 * k}, .stride = {1, 1}, .padding = {k / 2, k}, .dilation = {1, 1}};
    layers.push_back(std::make_unique<MaxPool>("pool" + std::to_string(i), std::move(w), false));
  }
  const Model model("m", {1, k, k}, std::move(layers));
  EXPECT_GT(model.layer(0).flops(model.input_shape_of(0)), Index{1} << 61);
  expect_error([&] { model.flops(); }, "model 'm': more than 2^63 floating-point operations");
}

// A residual block on a {4} input: fc1 -> relu -> fc2, plus the input, then
// a 3-way head, listed in `order` (positions into that file order).
struct Residual {
  Matrix w1 = Matrix::Random(4, 4), w2 = Matrix::Random(4, 4), w3 = Matrix::Random(3, 4);
  Vector b1 = Vector::Random(4), b2 = Vector::Random(4), b3 = Vector::Random(3);

  Model model(const std::vector<int>& order = {0, 1, 2, 3, 4}) const {
    std::vector<std::unique_ptr<Layer>> all;
    all.push_back(std::make_unique<Dense>("fc1", w1, b1));
    all.push_back(std::make_unique<Relu>("relu"));
    all.push_back(std::make_unique<Dense>("fc2", w2, b2));
    all.push_back(std::make_unique<Add>("res"));
    all.push_back(std::make_unique<Dense>("head", w3, b3));
    const std::vector<std::vector<std::string>> all_inputs = {{"input"}, {"fc1"}, {"relu"}, {"fc2", "input"}, {"res"}};
    std::vector<std::unique_ptr<Layer>> layers;
    std::vector<std::vector<std::string>> inputs;
    for (int i : order) {
      layers.push_back(std::move(all[static_cast<std::size_t>(i)]));
      inputs.push_back(all_inputs[static_cast<std::size_t>(i)]);
    }
    return Model("res", {4}, std::move(layers), {}, std::move(inputs));
  }

  /// The reference, written out with Eigen.
  Tensor by_hand(const Tensor& x) const {
    const Vector in = x.flat();
    const Vector h = (w1 * in + b1).cwiseMax(0.0f);
    const Vector r = (w2 * h + b2) + in;
    const Vector y = w3 * r + b3;
    return Tensor({3}, std::vector<float>(y.data(), y.data() + 3));
  }
};

TEST(GraphModel, AResidualBlockComputesWhatItsLayersComputeByHand) {
  const Residual r;
  const Model m = r.model();
  EXPECT_FALSE(m.is_sequential());
  EXPECT_EQ(m.inputs_of(3), (std::vector<int>{2, Model::kModelInput}));
  EXPECT_TRUE(m.warnings().empty());
  const Tensor x = testing::random_tensor({4}, 7);
  EXPECT_LT(max_relative_error(m.forward(x), r.by_hand(x)), 1e-6);
}

TEST(GraphModel, LayersListedOutOfOrderAreSortedAndTheLastStaysTheOutput) {
  const Residual r;
  const Model m = r.model({3, 2, 0, 1, 4});
  std::vector<std::string> names;
  for (std::size_t i = 0; i < m.size(); ++i) names.push_back(m.layer(i).name());
  EXPECT_EQ(names, (std::vector<std::string>{"fc1", "relu", "fc2", "res", "head"}));
  const Tensor x = testing::random_tensor({4}, 8);
  EXPECT_LT(max_relative_error(m.forward(x), r.by_hand(x)), 1e-6);
}

TEST(GraphModel, WithoutInputsAModelIsTheChainItAlwaysWas) {
  std::vector<std::unique_ptr<Layer>> layers;
  layers.push_back(std::make_unique<Relu>("a"));
  layers.push_back(std::make_unique<Relu>("b"));
  const Model m("m", {3}, std::move(layers), {}, {{}, {"a"}});
  EXPECT_TRUE(m.is_sequential());
  EXPECT_EQ(m.inputs_of(0), std::vector<int>{Model::kModelInput});
  EXPECT_EQ(m.inputs_of(1), std::vector<int>{0});
}

std::vector<std::unique_ptr<Layer>> relus(std::initializer_list<const char*> names) {
  std::vector<std::unique_ptr<Layer>> layers;
  for (const char* n : names) layers.push_back(std::make_unique<Relu>(n));
  return layers;
}

TEST(GraphModel, RefusesCyclesUnknownInputsAndAConsumedOutput) {
  expect_error([] { Model("m", {3}, relus({"a", "b", "c"}), {}, {{"b"}, {"a"}, {"b"}}); },
               "model 'm': the inputs of layers 'a', 'b', 'c' form a cycle");
  expect_error([] { Model("m", {3}, relus({"a", "b"}), {}, {{"a"}, {}}); },
               "model 'm': layer 'a' (relu) takes its own output (a cycle)");
  expect_error([] { Model("m", {3}, relus({"a", "b"}), {}, {{"input"}, {"nope"}}); },
               "model 'm': layer 'b' (relu) takes input 'nope', which names no layer");
  expect_error([] { Model("m", {3}, relus({"a", "b", "c"}), {}, {{"c"}, {"input"}, {"b"}}); },
               "model 'm': layer 'a' (relu) takes layer 'c' (relu)'s output, but the last layer of a model is its output");
  expect_error([] { Model("m", {3}, relus({"a", "a"})); }, "model 'm': two layers are named 'a'");
  expect_error([] { Model("m", {3}, relus({"a", "b"}), {}, {{}, {"a", "a"}}); },
               "model 'm': layer 'b' (relu) takes one input, but 'inputs' names 2");
}

TEST(GraphModel, RefusesAMergeOfOneInputAndMismatchedShapes) {
  std::vector<std::unique_ptr<Layer>> layers;
  layers.push_back(std::make_unique<Add>("sum"));
  expect_error([&] { Model("m", {3}, std::move(layers)); }, "layer 'sum' (add) takes 2 or more inputs, got 1");
  std::vector<std::unique_ptr<Layer>> sum;
  sum.push_back(std::make_unique<Dense>("fc", Matrix::Random(2, 3), Vector::Random(2)));
  sum.push_back(std::make_unique<Add>("res"));
  expect_error([&] { Model("m", {3}, std::move(sum), {}, {{"input"}, {"fc", "input"}}); },
               "layer 'res' (add): input shapes 2, 3 do not broadcast");
}

TEST(GraphModel, WarnsOfALayerNobodyConsumes) {
  const Model m("m", {3}, relus({"a", "dangling", "out"}), {}, {{"input"}, {"a"}, {"a"}});
  ASSERT_EQ(m.warnings().size(), 1u);
  EXPECT_NE(m.warnings()[0].find("nothing takes the output of layer 'dangling' (relu)"), std::string::npos);
}

TEST(GraphModel, ReservesTheNameInputInAGraph) {
  expect_error([] { Model("m", {3}, relus({"input", "b", "c"}), {}, {{}, {}, {"input"}}); },
               "model 'm': layer 'input' (relu)",
               "stands for the model's input");
}

TEST(GraphModel, CountsThePeakOfLiveActivations) {
  // input {4}: fc1 {4} -> relu {4} -> fc2 {4} -> res {4} -> head {3}. The
  // input lives until res: at fc2, input + relu + fc2 = 12 floats; at res,
  // input + fc2 + res = 12; before that input + fc1 + relu = 12.
  EXPECT_EQ(Residual().model().peak_activation_bytes(), 12 * 4);
  // A chain keeps only a layer's input and output: 2 x 3 floats.
  EXPECT_EQ(Model("m", {3}, relus({"a", "b", "c"})).peak_activation_bytes(), 6 * 4);
}

TEST(ModelPass, ACopiedPassContinuesWithAnotherOutputWhileTheSkipStaysAlive) {
  const Residual r;
  const Model m = r.model();
  const Tensor x = testing::random_tensor({4}, 9);
  ModelPass pass(m, x);
  pass.run_until(m.index_of("fc2"));
  ModelPass other = pass;
  pass.run();
  Tensor zeros({4});
  other.give(zeros);  // fc2's output replaced: head(relu-free) of 0 + x
  other.run_until(m.size());
  pass.run_until(m.size());
  EXPECT_LT(max_relative_error(pass.take_output(), r.by_hand(x)), 1e-6);
  const Vector y = r.w3 * x.flat() + r.b3;
  EXPECT_LT(max_relative_error(other.take_output(), Tensor({3}, std::vector<float>(y.data(), y.data() + 3))), 1e-6);
  ModelPass wrong(m, x);
  expect_error([&] { wrong.give(Tensor({5})); }, "layer 'fc1' (dense): given an output of shape 5, expected 4");
  expect_error([&] { wrong.take_output(); }, "model 'res': the output is not computed yet");
}

TEST(ModelPass, KeepsEachValueAfterItsLastReaderAsASpareNotBefore) {
  // The master writes split layers' outputs into these spares: a value
  // still to be read (the skip connection's input) must never be one.
  const Residual r;
  const Model m = r.model();
  const Tensor x = testing::random_tensor({4}, 11);
  std::vector<Tensor> spares;
  ModelPass pass(m, x);
  pass.keep_spares(&spares);
  // fc1, relu, fc2 have run: relu computed in fc1's output, now dead after
  // fc2; x is still to be read.
  pass.run_until(m.index_of("res"));
  ASSERT_EQ(spares.size(), 1u);
  const Vector h = (r.w1 * x.flat() + r.b1).cwiseMax(0.0f);
  EXPECT_LT(max_relative_error(spares[0], Tensor({4}, std::vector<float>(h.data(), h.data() + 4))), 1e-6);
  for (Tensor& t : spares) std::ranges::fill(t.values(), 1e9f);  // reused and overwritten: nothing may change
  pass.run_until(m.size());
  EXPECT_LT(max_relative_error(pass.take_output(), r.by_hand(x)), 1e-6);
  EXPECT_EQ(spares.size(), 3u);  // + x after res (which summed into fc2's output), + res's output after head
  EXPECT_EQ(spares[1].numel(), 4);
}

// relu(x) + x, and relu(x) + relu(x): a layer may overwrite its input only
// when no later layer, and no other input of its own, reads it.
TEST(ModelPass, GivesALayerItsInputOnlyWhenNothingElseReadsIt) {
  std::vector<std::unique_ptr<Layer>> layers;
  layers.push_back(std::make_unique<Relu>("relu"));
  layers.push_back(std::make_unique<Add>("skip"));
  layers.push_back(std::make_unique<Add>("twice"));
  const Model m("m", {5}, std::move(layers), {}, {{"input"}, {"relu", "input"}, {"skip", "skip"}});
  const Tensor x({5}, {-2, -1, 0, 1, 2});
  const Tensor y = m.forward(x);
  EXPECT_EQ(std::vector<float>(y.values().begin(), y.values().end()), (std::vector<float>{-4, -2, 0, 4, 8}));
}

// A conv's output takes the storage of a dead value of its size.
TEST(ModelPass, WritesAnOutputIntoTheStorageOfADeadValueOfItsSize) {
  std::vector<std::unique_ptr<Layer>> layers;
  Tensor w = testing::random_tensor({2, 2, 1, 1}, 3);
  layers.push_back(std::make_unique<Conv>("conv", w, Vector::Zero(2), Window{{1, 1}, {1, 1}, {0, 0}, {1, 1}}, 1));
  const Model m("m", {2, 3, 3}, std::move(layers));
  std::vector<Tensor> spares;
  spares.emplace_back(Shape{18});
  const float* storage = spares[0].data();
  ModelPass pass(m, testing::random_tensor({2, 3, 3}, 4));
  pass.keep_spares(&spares);
  pass.run();
  const Tensor y = pass.take_output();
  EXPECT_EQ(y.data(), storage);
  ASSERT_EQ(spares.size(), 1u);  // the input, dead after the conv
  EXPECT_NE(spares[0].data(), storage);
}

}  // namespace
}  // namespace cdcnn
