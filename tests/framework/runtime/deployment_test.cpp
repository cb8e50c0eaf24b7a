// Placement: which ranks make and which need every value, worked out by hand
// for fmnist-cnn laid out like the paper's AlexNet on 5 devices with copies
// (dataflow_test.cpp runs it), and the one-line errors of a bad stage.

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "layers/zoo.hpp"
#include "runtime/deployment.hpp"

namespace cdcnn::runtime {
namespace {

using Ranks = std::vector<int>;

std::string error_of(const std::string& plan, int world = 10) {
  try {
    deploy(parse_plan(plan, "p.plan"), zoo_model("fmnist-cnn", 1, WeightSelection::none()), world);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Deployment, TheStarPlacesEveryUnsplitLayerOnRankZero) {
  const Model model = zoo_model("fmnist-cnn", 1, WeightSelection::none());
  const Deployment d = deploy(parse_plan("7 2 sum 1 2 3\n"), model, 4);
  EXPECT_TRUE(d.is_star());
  EXPECT_EQ(d.placed[6], Ranks{0});
  EXPECT_TRUE(d.placed[7].empty());  // split: its holders compute it
  EXPECT_EQ(d.needers[7], (Ranks{1, 2, 3}));  // layer 6's output: the holders of 7
  EXPECT_EQ(d.makers[8], Ranks{0});           // layer 7's output is decoded where layer 8 runs
  EXPECT_EQ(d.needers[11], Ranks{0});         // the sink
}

TEST(Deployment, ALayoutSendsEachValueFromWhereItIsMadeToWhereItIsRead) {
  const Model model = zoo_model("fmnist-cnn", 1, WeightSelection::none());
  const Deployment d =
      deploy(parse_plan("input 1 6\nstage 0..6 2 7\n7 2 sum 3 4 8\nstage 8..10 5 9\n"), model, 10);
  EXPECT_FALSE(d.is_star());
  EXPECT_EQ(d.input_ranks, (Ranks{1, 6}));
  EXPECT_EQ(d.makers[0], (Ranks{1, 6}));   // the input: A and A'
  EXPECT_EQ(d.needers[0], (Ranks{2, 7}));  // read by layer 0, on B and B'
  EXPECT_EQ(d.placed[3], (Ranks{2, 7}));
  EXPECT_EQ(d.makers[7], (Ranks{2, 7}));   // layer 6's output
  EXPECT_EQ(d.needers[7], (Ranks{3, 4, 8}));  // the holders of the split layer
  EXPECT_EQ(d.makers[8], (Ranks{5, 9}));   // the split layer's output: decoded on E and E'
  EXPECT_EQ(d.needers[8], (Ranks{5, 9}));
  EXPECT_EQ(d.makers[11], (Ranks{5, 9}));  // the output, sent by both copies of E
  EXPECT_EQ(d.needers[11], Ranks{0});
}

TEST(Deployment, NamesTheLineOfABadStage) {
  EXPECT_NE(error_of("stage 0..nope 2\n").find("p.plan:1: "), std::string::npos);
  EXPECT_NE(error_of("stage 6..0 2\n").find("p.plan:1: stage '6..0' runs backwards"), std::string::npos);
  EXPECT_NE(error_of("stage 0..6 2\nstage 5..8 3\n").find("p.plan:2: layer '5' is already in the stage of line 1"),
            std::string::npos);
  EXPECT_NE(error_of("stage 0..6 12\n").find("p.plan:1: rank 12 does not exist (ranks are 0..9)"), std::string::npos);
  EXPECT_NE(error_of("input 10\n").find("p.plan:1: rank 10 does not exist"), std::string::npos);
}

}  // namespace
}  // namespace cdcnn::runtime
