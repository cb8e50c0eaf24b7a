#include "core/error.hpp"

#include <gtest/gtest.h>

#include "core/spec_string.hpp"

namespace cdcnn {
namespace {

TEST(Error, WritesControlCharactersOutSoTheMessageIsOneLine) {
  EXPECT_STREQ(Error(std::string("a\nb\rc\td\x01" "e\x7f", 10)).what(), "a\\nb\\rc\td\\x01e\\x7f");
  // A NUL would otherwise cut what() short.
  EXPECT_STREQ(Error(std::string("kind '\0x'", 9)).what(), "kind '\\x00x'");
  // Wrapping a message again leaves it as it is.
  const Error inner("line\none");
  EXPECT_STREQ(Error(cat("file.h5: ", inner.what())).what(), "file.h5: line\\none");
}

// Found by fuzz_spec: a spec holding newlines was quoted verbatim, and the
// error message ran over several lines.
TEST(SpecString, ErrorsQuotingASpecWithNewlinesStayOnOneLine) {
  const std::string text("\0empirical:File=x\n1.5, 2\n# comment\n30 4e1\n", 42);
  try {
    SpecString::parse(text, "--flag");
    FAIL() << "parsed";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    EXPECT_NE(msg.find("is not key=value"), std::string::npos) << msg;
    EXPECT_NE(msg.find("' 2\\n# comment\\n30 4e1\\n'"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace cdcnn
