#include "core/csv.hpp"

#include <gtest/gtest.h>

namespace cdcnn {
namespace {

TEST(Csv, QuotesOnlyFieldsWithACommaAQuoteOrALineBreak) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_field("fc1=sum fc2=mds:r=2"), "fc1=sum fc2=mds:r=2");  // spaces are plain text
  EXPECT_EQ(csv_field(" padded "), " padded ");
  EXPECT_EQ(csv_field("parity of fc1,fc2"), "\"parity of fc1,fc2\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("\""), "\"\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field("cr\rhere"), "\"cr\rhere\"");
  EXPECT_EQ(csv_field("tab\there;semi'single"), "tab\there;semi'single");
}

TEST(Csv, WritesRecordsEndedByALineFeed) {
  EXPECT_EQ(csv_line({"a", "b,c", "", "d \"e\""}), "a,\"b,c\",,\"d \"\"e\"\"\"\n");
  EXPECT_EQ(csv_line({}), "\n");
  EXPECT_EQ(csv_text({{"run", "codes"}, {"r1", "fc1=sum fc2=sum"}, {"r,2", "x"}}),
            "run,codes\nr1,fc1=sum fc2=sum\n\"r,2\",x\n");
}

TEST(Csv, ParsesWhatItWritesAndWhatOthersWrite) {
  const std::vector<std::vector<std::string>> rows = {
      {"a", "b,c", "", "say \"hi\""}, {"two\nlines", "cr\r\nlf", " spaced "}, {""}};
  EXPECT_EQ(parse_csv(csv_text(rows)), rows);
  // CRLF line ends, a quoted plain field, a last record without a line end.
  EXPECT_EQ(parse_csv("x,\"y\"\r\n1,2"), (std::vector<std::vector<std::string>>{{"x", "y"}, {"1", "2"}}));
  EXPECT_TRUE(parse_csv("").empty());
}

}  // namespace
}  // namespace cdcnn
