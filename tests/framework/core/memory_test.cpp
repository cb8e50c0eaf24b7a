#include "core/memory.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>

namespace cdcnn {
namespace {

TEST(PeakResidentMemory, GrowsByWhatThisProcessTouches) {
  const std::optional<double> before = peak_resident_mb();
  ASSERT_TRUE(before.has_value()) << "Linux has /proc/self/status";
  constexpr std::size_t kBytes = 64'000'000;
  auto block = std::make_unique<char[]>(kBytes);
  std::memset(block.get(), 1, kBytes);  // touched: resident
  const double after = peak_resident_mb().value();
  EXPECT_GE(after - *before, 60.0) << "before " << *before << " MB, after " << after << " MB";
  EXPECT_EQ(block[kBytes - 1], 1);
}

}  // namespace
}  // namespace cdcnn
