#include "core/strings.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cdcnn {
namespace {

using ::testing::ElementsAre;

TEST(Split, KeepsEveryPieceEmptyOnesToo) {
  EXPECT_THAT(split("a,b,c", ','), ElementsAre("a", "b", "c"));
  EXPECT_THAT(split("a,,b,", ','), ElementsAre("a", "", "b", ""));
  EXPECT_THAT(split("", ','), ElementsAre(""));
  EXPECT_THAT(split("a b", ','), ElementsAre("a b"));
  EXPECT_THAT(split("x;y", ';'), ElementsAre("x", "y"));
}

TEST(Join, IsSplitsInverse) {
  EXPECT_EQ(join({"a", "b", "c"}, ","), "a,b,c");
  EXPECT_EQ(join({}, ","), "");
  EXPECT_EQ(join({"one"}, ", "), "one");
  for (const std::string text : {"a,b", ",", "", "a,,b,"}) EXPECT_EQ(join(split(text, ','), ","), text);
}

}  // namespace
}  // namespace cdcnn
