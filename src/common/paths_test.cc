#include "common/paths.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <sstream>

#include "common/clock.h"
#include "common/ids.h"
#include "common/strings.h"

namespace cod {
namespace {

TEST(PathSegmentTest, OnlyPlainNames) {
  for (const char* ok : {"outputs", "a.b", "..a", "a..", "résultats", "x y"}) {
    EXPECT_EQ(pathSegmentProblem(ok), "") << ok;
  }
  for (const char* bad : {"", ".", "..", "/", "/etc", "a/b", "../x", "a\tb"}) {
    EXPECT_NE(pathSegmentProblem(bad), "") << bad;
  }
  EXPECT_NE(pathSegmentProblem(std::string("a\0b", 3)), "");
  EXPECT_EQ(pathSegmentProblem(std::string(255, 'a')), "");
  EXPECT_NE(pathSegmentProblem(std::string(256, 'a')), "");
}

TEST(PathSegmentTest, ChildPathNeverLeavesItsBase) {
  EXPECT_EQ(*childPath("/data/e-1", "outputs"), "/data/e-1/outputs");
  EXPECT_EQ(*childPath("/data/e-1/", "outputs"), "/data/e-1/outputs");
  for (const char* bad : {"/etc", "/", "../../x", ".."}) {
    auto p = childPath("/data/e-1", bad);
    ASSERT_FALSE(p.isOk()) << bad;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(IdTest, LettersDigitsAndPunctuationThatNamesNoPath) {
  for (const char* ok : {"j-d0a0b76e-812e-424e-8307-478b7fdc300d", "my_service.v2", "7"}) {
    EXPECT_EQ(idProblem(ok), "") << ok;
  }
  for (const char* bad : {"", "../x", "a/b", ".x", "-x", "a b", "é"}) {
    EXPECT_NE(idProblem(bad), "") << bad;
  }
  EXPECT_NE(idProblem(std::string(129, 'a')), "");
}

TEST(ContainerPathTest, AbsoluteCleanAndBindSafe) {
  for (const char* ok : {"/outputs", "/a/b/c", "/a..b", "/out/"}) {
    EXPECT_EQ(containerPathProblem(ok), "") << ok;
  }
  for (const char* bad : {"", "out", "/a/../b", "/a/./b", "/..", "/x:/y", "/x,ro", "/a\nb"}) {
    EXPECT_NE(containerPathProblem(bad), "") << bad;
  }
  for (const char* reserved : {"/", "//", "/proc", "/proc/", "/sys/fs", "/dev", "//dev//shm"}) {
    EXPECT_TRUE(isReservedContainerPath(reserved)) << reserved;
  }
  for (const char* fine : {"/processes", "/devices", "/outputs", "/system"}) {
    EXPECT_FALSE(isReservedContainerPath(fine)) << fine;
  }
}

TEST(PathsTest, IsWithinComparesWholeSegments) {
  EXPECT_TRUE(isWithin("/a", "/a"));
  EXPECT_TRUE(isWithin("/a/b", "/a"));
  EXPECT_TRUE(isWithin("/anything", "/"));
  EXPECT_FALSE(isWithin("/ab", "/a"));
  EXPECT_FALSE(isWithin("/a", "/a/b"));
}

TEST(Utf8Test, ValidatesAndRepairs) {
  EXPECT_TRUE(isValidUtf8("plain ascii"));
  EXPECT_TRUE(isValidUtf8("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x90\x9F"));  // é € 🐟
  for (const char* bad :
       {"\xFF", "\xC3", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82"}) {
    EXPECT_FALSE(isValidUtf8(bad)) << toValidUtf8(bad);
    EXPECT_TRUE(isValidUtf8(toValidUtf8(bad)));
  }
  EXPECT_EQ(toValidUtf8("a\xFF\xFE"
                        "b"),
            "a\xEF\xBF\xBD\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(toValidUtf8("h\xC3\xA9"), "h\xC3\xA9");
}

TEST(Utf8Test, PrefixNeverSplitsACharacter) {
  std::string euros;
  for (int i = 0; i < 10; ++i) euros += "\xE2\x82\xAC";  // 3 bytes each
  for (size_t limit = 0; limit <= euros.size() + 1; ++limit) {
    std::string_view p = utf8Prefix(euros, limit);
    EXPECT_LE(p.size(), limit);
    EXPECT_EQ(p.size() % 3, 0u) << limit;
    EXPECT_GT(p.size() + 3, std::min(limit, euros.size())) << limit;
    EXPECT_TRUE(isValidUtf8(p));
  }
}

// Inverts mt19937_64's output tempering, so that 312 outputs give away the whole state.
uint64_t untemper(uint64_t y) {
  auto undo_right = [](uint64_t v, int shift, uint64_t mask) {
    uint64_t x = v;
    for (int i = 0; i * shift < 64; ++i) x = v ^ ((x >> shift) & mask);
    return x;
  };
  auto undo_left = [](uint64_t v, int shift, uint64_t mask) {
    uint64_t x = v;
    for (int i = 0; i * shift < 64; ++i) x = v ^ ((x << shift) & mask);
    return x;
  };
  y = undo_right(y, 43, ~uint64_t{0});
  y = undo_left(y, 37, 0xFFF7EEE000000000ULL);
  y = undo_left(y, 17, 0x71D67FFFEDA60000ULL);
  return undo_right(y, 29, 0x5555555555555555ULL);
}

// Predicts the next 8 bytes `random` gives from the 312 × 8 it gave before, as one could with
// any mt19937_64 however it was seeded.
uint64_t predictNext(Random& random, uint64_t* actual) {
  std::string state;
  for (int i = 0; i < 312; ++i) {
    uint64_t v = 0;
    random.fill(reinterpret_cast<uint8_t*>(&v), sizeof v);
    state += std::to_string(untemper(v)) + " ";
  }
  std::istringstream in(state + "312");
  std::mt19937_64 clone;
  in >> clone;
  random.fill(reinterpret_cast<uint8_t*>(actual), sizeof *actual);
  return clone();
}

// Job and execution IDs are capabilities: one who has seen some must not be able to work out the
// next. They came from a seeded mt19937_64, whose every later output follows from 312 earlier ones.
TEST(SystemRandomTest, LaterIdsCannotBeWorkedOutFromEarlierOnes) {
  SeededRandom seeded(12345);  // the same attack works on a Mersenne Twister...
  uint64_t actual = 0;
  EXPECT_EQ(predictNext(seeded, &actual), actual);
  uint64_t predicted = predictNext(SystemRandom::instance(), &actual);  // ...but not here
  EXPECT_NE(predicted, actual);
}

TEST(SystemRandomTest, IdsAreUniqueAndUniformStaysInRange) {
  std::set<std::string> ids;
  for (int i = 0; i < 2000; ++i) ids.insert(newUuid());
  EXPECT_EQ(ids.size(), 2000u);
  auto& random = SystemRandom::instance();
  std::set<uint64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    uint64_t v = random.uniform(7);
    ASSERT_LT(v, 7u);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 7u);
}

}  // namespace
}  // namespace cod
