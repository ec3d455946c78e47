#include "common/clock.h"

#include <gtest/gtest.h>

#include "common/ids.h"

namespace cod {
namespace {

Time parsed(const std::string& text) {
  Time t;
  EXPECT_TRUE(parseRfc3339(text, &t)) << text;
  return t;
}

TEST(Rfc3339Test, FormatsLikeGoRfc3339Nano) {
  EXPECT_EQ(formatRfc3339(fromUnixNanos(1724100026100000000)), "2024-08-19T20:40:26.1Z");
  EXPECT_EQ(formatRfc3339(fromUnixNanos(1724100026000000000)), "2024-08-19T20:40:26Z");
  EXPECT_EQ(formatRfc3339(fromUnixNanos(1724100026123456789)), "2024-08-19T20:40:26.123456789Z");
  EXPECT_EQ(formatRfc3339(fromUnixNanos(1)), "1970-01-01T00:00:00.000000001Z");
}

TEST(Rfc3339Test, UnsetTimePrintsAsGoZeroTimeAndParsesBack) {
  EXPECT_EQ(formatRfc3339(Time{}), "0001-01-01T00:00:00Z");
  Time t = fromUnixNanos(5);
  ASSERT_TRUE(parseRfc3339("0001-01-01T00:00:00Z", &t));
  EXPECT_EQ(t, Time{});
}

TEST(Rfc3339Test, ParsesFractionsAndOffsets) {
  EXPECT_EQ(toUnixNanos(parsed("2024-08-19T20:40:26Z")), 1724100026000000000);
  EXPECT_EQ(toUnixNanos(parsed("2024-08-19T20:40:26.1Z")), 1724100026100000000);
  EXPECT_EQ(toUnixNanos(parsed("2024-08-19T22:40:26+02:00")), 1724100026000000000);
  EXPECT_EQ(toUnixNanos(parsed("2024-08-19T19:40:26.5-01:00")), 1724100026500000000);
  Time t;
  EXPECT_FALSE(parseRfc3339("2024-08-19", &t));
  EXPECT_FALSE(parseRfc3339("2024-08-19T20:40:26", &t));  // no zone
  EXPECT_FALSE(parseRfc3339("2024-02-30T00:00:00Z", &t));
  EXPECT_FALSE(parseRfc3339("2024-08-19T20:40:26.Z", &t));
  EXPECT_FALSE(parseRfc3339("2024-08-19T20:40:26Zjunk", &t));
  // Outside 1677–2262 a time does not fit in int64 nanoseconds (UBSan saw the overflow).
  EXPECT_FALSE(parseRfc3339("1500-01-01T00:00:00Z", &t));
  EXPECT_FALSE(parseRfc3339("2300-01-01T00:00:00Z", &t));
  for (int64_t ns : {int64_t{0}, int64_t{1}, int64_t{1724100026123456789}}) {
    EXPECT_EQ(toUnixNanos(parsed(formatRfc3339(fromUnixNanos(ns)))), ns);
  }
}

TEST(ManualClockTest, MovesOnlyWhenTold) {
  ManualClock clock;
  EXPECT_EQ(formatRfc3339(clock.now()), "2024-01-01T00:00:00Z");
  clock.advance(std::chrono::seconds(90));
  EXPECT_EQ(formatRfc3339(clock.now()), "2024-01-01T00:01:30Z");
  clock.set(fromUnixNanos(5));
  EXPECT_EQ(toUnixNanos(clock.now()), 5);
}

TEST(IdsTest, PrefixesAndShortForms) {
  SeededRandom random(7);
  std::string job = newJobId(random);
  EXPECT_EQ(job.rfind("j-", 0), 0u);
  EXPECT_EQ(job.size(), 38u);
  EXPECT_EQ(job[16], '4');  // version 4
  EXPECT_NE(newJobId(random), job);
  EXPECT_EQ(newExecutionId(random).rfind("e-", 0), 0u);
  EXPECT_EQ(newNodeId(random).rfind("n-", 0), 0u);
  EXPECT_EQ(newEvaluationId(Time{}, random).size(), 36u);
  EXPECT_EQ(shortId("j-3514ff75-c6f6-4380-8dc6-88f31ce7a1b3"), "j-3514ff75");
  EXPECT_EQ(shortId("9b1c2d3e-aaaa"), "9b1c2d3e");
  SeededRandom a(1);
  SeededRandom b(1);
  EXPECT_EQ(newUuid(a), newUuid(b));
}

// Version 7: the time leads, so later IDs sort later as text, and the bound of a time separates
// the IDs made before it from those made at or after it.
TEST(IdsTest, TimeOrderedUuidsSortByTime) {
  SeededRandom random(3);
  Time t0 = fromUnixNanos(int64_t{1733000000123} * 1'000'000);
  std::string a = newTimeOrderedUuid(t0, random);
  std::string b = newTimeOrderedUuid(t0 + std::chrono::milliseconds(1), random);
  std::string c = newTimeOrderedUuid(t0 + std::chrono::hours(24 * 365), random);
  EXPECT_EQ(a.size(), 36u);
  EXPECT_EQ(a.substr(0, 13), "01937ed9-727b");                                // 1733000000123 ms
  EXPECT_EQ(a[14], '7');                                                      // version 7
  EXPECT_TRUE(a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b');  // variant
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  std::string bound = timeOrderedUuidBound(t0 + std::chrono::milliseconds(1));
  EXPECT_LT(a, bound);
  EXPECT_GE(b, bound);
  EXPECT_GE(c, bound);
}

}  // namespace
}  // namespace cod
