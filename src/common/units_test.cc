#include "common/units.h"

#include <gtest/gtest.h>

#include "common/strings.h"

namespace cod {
namespace {

TEST(ParseCpuQuantityTest, KubernetesQuantities) {
  EXPECT_DOUBLE_EQ(*parseCpuQuantity("500m"), 0.5);
  EXPECT_DOUBLE_EQ(*parseCpuQuantity("2"), 2.0);
  EXPECT_DOUBLE_EQ(*parseCpuQuantity(" 1.5 "), 1.5);
  EXPECT_DOUBLE_EQ(*parseCpuQuantity("2k"), 2000.0);
  EXPECT_DOUBLE_EQ(*parseCpuQuantity("250M"), 0.25);  // suffixes are case-insensitive
  EXPECT_FALSE(parseCpuQuantity("").isOk());
  EXPECT_FALSE(parseCpuQuantity("-1").isOk());
  auto bad = parseCpuQuantity("2 cores");
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("\"2 cores\""), std::string::npos);
}

TEST(ParseByteSizeTest, DecimalAndBinaryUnits) {
  EXPECT_EQ(*parseByteSize("512"), 512u);
  EXPECT_EQ(*parseByteSize("512kb"), 512'000u);
  EXPECT_EQ(*parseByteSize("512Mb"), 512'000'000u);
  EXPECT_EQ(*parseByteSize("512m"), 512'000'000u);
  EXPECT_EQ(*parseByteSize("1gb"), 1'000'000'000u);
  EXPECT_EQ(*parseByteSize("1.5GB"), 1'500'000'000u);
  EXPECT_EQ(*parseByteSize("1tb"), 1'000'000'000'000u);
  EXPECT_EQ(*parseByteSize("1Ki"), 1024u);
  EXPECT_EQ(*parseByteSize("1mib"), 1024u * 1024);
  EXPECT_EQ(*parseByteSize("1Gi"), 1024u * 1024 * 1024);
  EXPECT_EQ(*parseByteSize("512 MB"), 512'000'000u);
  EXPECT_FALSE(parseByteSize("").isOk());
  EXPECT_FALSE(parseByteSize("-1gb").isOk());
  EXPECT_FALSE(parseByteSize("1 parsec").isOk());
  EXPECT_FALSE(parseByteSize("mb").isOk());
}

TEST(FormatBytesTest, DecimalUnitsForHumans) {
  EXPECT_EQ(formatBytes(0), "0 B");
  EXPECT_EQ(formatBytes(999), "999 B");
  EXPECT_EQ(formatBytes(512'000'000), "512.0 MB");
  EXPECT_EQ(formatBytes(1'500'000'000), "1.5 GB");
}

TEST(DurationTest, GoDurationStrings) {
  using std::chrono::milliseconds;
  using std::chrono::minutes;
  using std::chrono::seconds;
  EXPECT_EQ(*parseDuration("300ms"), Duration(milliseconds(300)));
  EXPECT_EQ(*parseDuration("1.5h"), Duration(minutes(90)));
  EXPECT_EQ(*parseDuration("2h45m"), Duration(minutes(165)));
  EXPECT_EQ(*parseDuration("1m0s"), Duration(minutes(1)));
  EXPECT_EQ(*parseDuration("30"), Duration(seconds(30)));
  EXPECT_EQ(*parseDuration("0"), Duration(0));
  EXPECT_EQ(*parseDuration("-5s"), Duration(seconds(-5)));
  EXPECT_FALSE(parseDuration("").isOk());
  EXPECT_FALSE(parseDuration("5 minutes").isOk());
  EXPECT_FALSE(parseDuration("5d").isOk());
  // Found by the quantity fuzzer: a plain number of seconds past int64 nanoseconds overflowed.
  for (const char* huge : {"18880000010", "-18880000010", "9999999999h", "3000000000000000000s"}) {
    auto d = parseDuration(huge);
    ASSERT_FALSE(d.isOk()) << huge;
    EXPECT_NE(d.status().message().find("longer than the longest"), std::string::npos) << huge;
  }
  EXPECT_TRUE(parseDuration("9000000000").isOk()) << "285 years still fits";

  EXPECT_EQ(formatDuration(Duration(0)), "0s");
  EXPECT_EQ(formatDuration(minutes(1)), "1m0s");
  EXPECT_EQ(formatDuration(seconds(90)), "1m30s");
  EXPECT_EQ(formatDuration(milliseconds(1500)), "1.5s");
  EXPECT_EQ(formatDuration(milliseconds(300)), "300ms");
  EXPECT_EQ(formatDuration(Duration(500)), "500ns");
  EXPECT_EQ(formatDuration(minutes(150)), "2h30m0s");
  EXPECT_EQ(formatDuration(seconds(-5)), "-5s");
  for (const char* text : {"1m0s", "1.5s", "300ms", "2h30m0s"}) {
    EXPECT_EQ(formatDuration(*parseDuration(text)), text);
  }
}

TEST(StringsTest, NumbersAndBase64) {
  int64_t i = 0;
  EXPECT_TRUE(parseInt64("+42", &i));
  EXPECT_EQ(i, 42);
  EXPECT_TRUE(parseInt64("-7", &i));
  EXPECT_EQ(i, -7);
  EXPECT_FALSE(parseInt64("4x", &i));
  EXPECT_FALSE(parseInt64("", &i));
  uint64_t u = 0;
  EXPECT_TRUE(parseUint64("18446744073709551615", &u));
  EXPECT_FALSE(parseUint64("-1", &u));
  double d = 0;
  EXPECT_TRUE(parseDouble("1.5", &d));
  EXPECT_FALSE(parseDouble("1.5x", &d));

  EXPECT_EQ(base64Encode("hi"), "aGk=");
  EXPECT_EQ(base64UrlEncode("\xfb\xff"), "-_8");
  std::string out;
  ASSERT_TRUE(base64Decode("aGk=", &out));
  EXPECT_EQ(out, "hi");
  ASSERT_TRUE(base64UrlDecode("-_8", &out));
  EXPECT_EQ(out, "\xfb\xff");
  EXPECT_FALSE(base64Decode("a*b", &out));

  EXPECT_EQ(trim(" \t x y \n"), "x y");
  EXPECT_EQ(split("a,,b", ','), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_TRUE(equalsIgnoreCase("Completed", "COMPLETED"));
}

}  // namespace
}  // namespace cod
