#include "storage/cache/input_cache.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "common/ids.h"

namespace cod::storage {
namespace {

namespace fs = std::filesystem;

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class InputCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cod-cache-test-" + newUuid());
    fs::create_directories(dir_ / "out");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::unique_ptr<InputCache> open(uint64_t max_bytes) {
    auto c = std::make_unique<InputCache>(InputCacheConfig{(dir_ / "cache").string(), max_bytes});
    EXPECT_TRUE(c->open().isOk());
    return c;
  }
  // A fill that writes `text` as one file and counts its calls.
  std::function<Status(const std::string&)> writes(std::string text, int* calls) {
    return [text = std::move(text), calls](const std::string& path) {
      ++*calls;
      std::ofstream(path) << text;
      return Status::ok();
    };
  }
  std::string out(const std::string& name) const { return (dir_ / "out" / name).string(); }

  fs::path dir_;
};

TEST_F(InputCacheTest, ASecondStageIsAHitThatLinksTheSameBytes) {
  auto cache = open(1 << 20);
  int calls = 0;
  auto first = cache->stage("k1", "l-1", out("a"), writes("payload", &calls));
  ASSERT_TRUE(first.isOk()) << first.status().toString();
  EXPECT_FALSE(*first);
  auto second = cache->stage("k1", "l-1", out("b"), writes("other", &calls));
  ASSERT_TRUE(second.isOk());
  EXPECT_TRUE(*second);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(readFile(out("a")), "payload");
  EXPECT_EQ(readFile(out("b")), "payload");
  struct stat a {
  }, b{};
  ASSERT_EQ(::stat(out("a").c_str(), &a), 0);
  ASSERT_EQ(::stat(out("b").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino) << "staged from the cache by a hard link, not a copy";

  auto info = cache->info();
  EXPECT_EQ(info.entries, 1u);
  EXPECT_EQ(info.bytes, 7u);
  EXPECT_EQ(info.hits, 1u);
  EXPECT_EQ(info.misses, 1u);
  EXPECT_EQ(info.inputs, std::vector<std::string>{"l-1"});
}

TEST_F(InputCacheTest, FoldersAreCachedAsTrees) {
  auto cache = open(1 << 20);
  auto tree = [](const std::string& path) {
    fs::create_directories(path + "/sub");
    std::ofstream(path + "/a.txt") << "alpha";
    std::ofstream(path + "/sub/b.txt") << "beta";
    return Status::ok();
  };
  ASSERT_TRUE(cache->stage("tree", "l-t", out("one"), tree).isOk());
  ASSERT_TRUE(*cache->stage("tree", "l-t", out("two"), tree));
  EXPECT_EQ(readFile(out("two") + "/sub/b.txt"), "beta");
  EXPECT_EQ(cache->info().bytes, 9u);
}

TEST_F(InputCacheTest, TheLeastRecentlyUsedGoWhenTheCapIsPassed) {
  auto cache = open(25);
  int calls = 0;
  ASSERT_TRUE(cache->stage("a", "l-a", out("a1"), writes(std::string(10, 'a'), &calls)).isOk());
  ASSERT_TRUE(cache->stage("b", "l-b", out("b1"), writes(std::string(10, 'b'), &calls)).isOk());
  ASSERT_TRUE(*cache->stage("a", "l-a", out("a2"), writes("", &calls)));  // a is now the newest
  ASSERT_TRUE(cache->stage("c", "l-c", out("c1"), writes(std::string(10, 'c'), &calls)).isOk());
  auto info = cache->info();
  EXPECT_EQ(info.entries, 2u);
  EXPECT_LE(info.bytes, 25u);
  EXPECT_EQ(info.inputs, (std::vector<std::string>{"l-c", "l-a"}));
  // b was evicted; what an execution staged from it is still whole.
  EXPECT_EQ(readFile(out("b1")), std::string(10, 'b'));
  EXPECT_FALSE(*cache->stage("b", "l-b", out("b2"), writes(std::string(10, 'b'), &calls)));
  EXPECT_EQ(calls, 4);
}

TEST_F(InputCacheTest, AnInputLargerThanTheCacheIsUsedButNotKept) {
  auto cache = open(4);
  int calls = 0;
  auto r = cache->stage("big", "l-big", out("big"), writes("too large", &calls));
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(readFile(out("big")), "too large");
  EXPECT_EQ(cache->info().entries, 0u);
  EXPECT_TRUE(fs::is_empty(dir_ / "cache" / "tmp"));
}

TEST_F(InputCacheTest, AFailedFillKeepsNothing) {
  auto cache = open(1 << 20);
  auto r = cache->stage("k", "l-k", out("x"), [](const std::string& path) {
    std::ofstream(path) << "half";
    return unavailable("connection reset");
  });
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(fs::exists(out("x")));
  EXPECT_EQ(cache->info().entries, 0u);
  EXPECT_TRUE(fs::is_empty(dir_ / "cache" / "tmp"));
}

TEST_F(InputCacheTest, EntriesSurviveARestartAndCrashLeftoversAreRemoved) {
  int calls = 0;
  {
    auto cache = open(1 << 20);
    ASSERT_TRUE(cache->stage("k", "l-k", out("a"), writes("kept", &calls)).isOk());
  }
  // What a crash mid-fill or mid-write leaves: a tmp folder, an entry without its meta.
  fs::create_directories(dir_ / "cache/tmp/half-done");
  fs::create_directories(dir_ / "cache/entries/0123abcd");
  std::ofstream(dir_ / "cache/entries/0123abcd/content") << "incomplete";
  auto cache = open(1 << 20);
  EXPECT_TRUE(fs::is_empty(dir_ / "cache/tmp"));
  EXPECT_FALSE(fs::exists(dir_ / "cache/entries/0123abcd"));
  auto info = cache->info();
  EXPECT_EQ(info.entries, 1u);
  EXPECT_EQ(info.bytes, 4u);
  EXPECT_TRUE(*cache->stage("k", "l-k", out("b"), writes("refetched", &calls)));
  EXPECT_EQ(readFile(out("b")), "kept");
  EXPECT_EQ(calls, 1);
}

TEST_F(InputCacheTest, ConcurrentExecutionsWantingOneKeyFetchItOnce) {
  auto cache = open(1 << 20);
  std::atomic<int> calls{0};
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r =
          cache->stage("shared", "l-s", out("t" + std::to_string(i)), [&](const std::string& path) {
            ++calls;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            std::ofstream(path) << "shared bytes";
            return Status::ok();
          });
      if (r.isOk()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(calls.load(), 1);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(readFile(out("t" + std::to_string(i))), "shared bytes");
  EXPECT_EQ(cache->info().hits, 7u);
}

}  // namespace
}  // namespace cod::storage
