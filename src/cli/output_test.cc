#include "cli/output.h"

#include <cstdlib>
#include <ctime>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "models/json.h"

namespace cod::cli {
namespace {

using ::testing::HasSubstr;

class OutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

TEST_F(OutputTest, TableAlignsColumnsWithoutTrailingSpaces) {
  Table table({{"ID"}, {"NAME"}, {"STATE"}});
  table.addRow({"j-1", "a-long-name", "Completed"});
  table.addRow({"j-22", "b", "Running"});
  EXPECT_EQ(table.render({}),
            "ID     NAME          STATE\n"
            "j-1    a-long-name   Completed\n"
            "j-22   b             Running\n");
}

TEST_F(OutputTest, TableTruncatesUnlessWide) {
  Table table({{"NAME", 8}, {"X"}});
  table.addRow({"abcdefghijkl", "1"});
  EXPECT_EQ(table.render({}), "NAME       X\nabcde...   1\n");
  TableStyle styled;
  styled.styled = true;
  EXPECT_EQ(table.render(styled), "\x1b[1mNAME\x1b[0m       \x1b[1mX\x1b[0m\nabcdefg…   1\n");
  TableStyle wide;
  wide.wide = true;
  EXPECT_EQ(table.render(wide), "NAME           X\nabcdefghijkl   1\n");
}

TEST_F(OutputTest, TableHideHeaderAndMissingCellsAndNewlines) {
  Table table({{"A"}, {"B"}, {"C"}});
  table.addRow({"1"});
  table.addRow({"x\ny", "2", "3"});
  TableStyle style;
  style.hide_header = true;
  EXPECT_EQ(table.render(style), "1\nx y   2   3\n");
}

TEST_F(OutputTest, DisplayWidthCountsCodePointsAndSkipsEscapes) {
  EXPECT_EQ(displayWidth("abc"), 3u);
  EXPECT_EQ(displayWidth("a…"), 2u);
  EXPECT_EQ(displayWidth("\x1b[1mab\x1b[0m"), 2u);
  EXPECT_EQ(truncateText("héllo wörld", 6, true), "héllo…");
  EXPECT_EQ(truncateText("short", 10, false), "short");
}

TEST_F(OutputTest, ErrorIsOneLinePlusHint) {
  EXPECT_EQ(formatError(notFound("job not found: j-1")), "Error: job not found: j-1\n");
  EXPECT_EQ(formatError(notFound("job not found: j-1").withHint("list jobs with cod job list")),
            "Error: job not found: j-1\nHint: list jobs with cod job list\n");
}

TEST_F(OutputTest, MultiLineErrorsBecomeOneLine) {
  EXPECT_EQ(formatError(invalidArgument("Job.Type: must be set\nJob.Tasks: need one\n")),
            "Error: Job.Type: must be set; Job.Tasks: need one\n");
  EXPECT_EQ(formatError(failedPrecondition("not enough nodes. suitable: 0.\n• n-1: no docker")),
            "Error: not enough nodes. suitable: 0. • n-1: no docker\n");
  EXPECT_EQ(oneLine("reasons:\n  a\n\n  b"), "reasons: a; b");
}

TEST_F(OutputTest, StructuredOutput) {
  auto v = models::parseJson(R"({"Status":"OK","N":[1,2]})");
  ASSERT_TRUE(v.isOk());
  EXPECT_EQ(renderStructured(*v, OutputFormat::kJson).back(), '\n');
  EXPECT_THAT(renderStructured(*v, OutputFormat::kJson), HasSubstr("\"Status\": \"OK\""));
  std::string yaml = renderStructured(*v, OutputFormat::kYaml);
  EXPECT_THAT(yaml, HasSubstr("Status: OK"));
  EXPECT_EQ(yaml.back(), '\n');
}

TEST_F(OutputTest, ParseOutputFormat) {
  EXPECT_EQ(*parseOutputFormat("JSON"), OutputFormat::kJson);
  EXPECT_EQ(*parseOutputFormat("yaml"), OutputFormat::kYaml);
  EXPECT_EQ(*parseOutputFormat("table"), OutputFormat::kTable);
  EXPECT_FALSE(parseOutputFormat("csv").isOk());
}

TEST_F(OutputTest, TimesAndIds) {
  Time t = fromUnixNanos(1724099000123000000);  // 2024-08-19T20:23:20.123Z
  EXPECT_EQ(formatTimestamp(t), "2024-08-19 20:23:20");
  EXPECT_EQ(formatUnixNanos(1724099000123000000), "2024-08-19 20:23:20");
  EXPECT_EQ(formatUnixNanos(0), "");
  EXPECT_EQ(formatTimeOfDay(t), "20:23:20.123");
  EXPECT_EQ(displayId("j-3514ff75-c6f6-4380-8dc6-88f31ce7a1b3", false), "j-3514ff75");
  EXPECT_EQ(displayId("j-3514ff75-c6f6-4380-8dc6-88f31ce7a1b3", true),
            "j-3514ff75-c6f6-4380-8dc6-88f31ce7a1b3");
  EXPECT_EQ(formatLabels({{"b", "2"}, {"a", ""}}), "a, b=2");
}

}  // namespace
}  // namespace cod::cli
