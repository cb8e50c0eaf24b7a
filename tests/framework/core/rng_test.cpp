#include "core/rng.hpp"

#include <gtest/gtest.h>

namespace cdcnn {
namespace {

TEST(Rng, SameSeedGivesSameStream) {
  Rng a(42), b(42), c(43);
  const auto x = a.next();
  EXPECT_EQ(x, b.next());
  EXPECT_NE(x, c.next());
}

TEST(Rng, ForkedStreamsDependOnlyOnSeedAndStream) {
  Rng a(7), b(7);
  a.next();  // drawing from the parent does not change its forks
  EXPECT_EQ(a.fork(3).next(), b.fork(3).next());
  EXPECT_NE(a.fork(3).next(), a.fork(4).next());
}

}  // namespace
}  // namespace cdcnn
