#include "plan/devices.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace cdcnn {
namespace {

TEST(Devices, OnePerLineInRankOrderWithSpeeds) {
  const auto d = parse_devices("# the rack\npi0 speed=1\n\n  pi1 speed=2.5   # fast\npi2\n", "hosts");
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].name, "pi0");
  EXPECT_DOUBLE_EQ(d[1].speed, 2.5);
  EXPECT_EQ(d[2].name, "pi2");
  EXPECT_DOUBLE_EQ(d[2].speed, 1.0);
}

TEST(Devices, BadLinesNameTheFileAndLine) {
  auto message = [](const std::string& text) {
    try {
      parse_devices(text, "hosts");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(message("a\nb slots=4\n"), "hosts:2: unknown field 'slots=4': expected speed=S");
  EXPECT_EQ(message("a speed=0\n"), "hosts:1: speed '0' is not a positive number");
  EXPECT_EQ(message("a speed=2x\n"), "hosts:1: speed '2x' is not a positive number");
  EXPECT_EQ(message("a speed=\n"), "hosts:1: speed '' is not a positive number");
  EXPECT_EQ(message("a\na\n"), "hosts:2: device 'a' is listed twice");
  EXPECT_EQ(message("# nothing\n"), "hosts: no device listed (one line per device: NAME [speed=S])");
  EXPECT_THROW(load_devices("/nowhere/hosts"), Error);
}

}  // namespace
}  // namespace cdcnn
