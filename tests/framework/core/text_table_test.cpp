#include "core/text_table.hpp"

#include <gtest/gtest.h>

namespace cdcnn {
namespace {

TEST(TextTable, PadsEveryColumnToItsWidestCellTwoSpacesApart) {
  EXPECT_EQ(format_text_table({{"code", "n", "from"}, {"mds:r=2", "6", "built-in"}, {"sum", "5", "x"}}),
            "code     n  from\n"
            "mds:r=2  6  built-in\n"
            "sum      5  x\n");
}

TEST(TextTable, AlignsRightWhereAsked) {
  EXPECT_EQ(format_text_table({{"run", "p50_ms", "late"}, {"a-long-name", "3.25", "0"}, {"b", "120.00", "12"}},
                              {Align::left, Align::right, Align::right}),
            "run          p50_ms  late\n"
            "a-long-name    3.25     0\n"
            "b            120.00    12\n");
}

TEST(TextTable, DropsTrailingSpacesAndFillsShortRows) {
  EXPECT_EQ(format_text_table({{"extra", "adds", "note"}, {"0", "-", ""}, {"1"}, {"10", "rank 4", "ok"}}),
            "extra  adds    note\n"
            "0      -\n"
            "1\n"
            "10     rank 4  ok\n");
  EXPECT_EQ(format_text_table({}), "");
}

}  // namespace
}  // namespace cdcnn
