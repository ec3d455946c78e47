#include "storage/storage_conformance.h"

#include <filesystem>
#include <fstream>
#include <thread>

#include "common/ids.h"
#include "models/json.h"

namespace cod::storage::conformance {

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

std::map<std::string, std::string> readMount(const Mount& mount) {
  std::map<std::string, std::string> out;
  if (fs::is_regular_file(mount.host_path)) {
    out[""] = slurp(mount.host_path);
    return out;
  }
  for (const auto& e : fs::recursive_directory_iterator(mount.host_path)) {
    if (e.is_regular_file()) {
      out[fs::relative(e.path(), mount.host_path).string()] = slurp(e.path());
    }
  }
  return out;
}

void StorageConformanceTest::SetUp() {
  fs::path base = fs::temp_directory_path() / ("cod-storage-" + newUuid().substr(0, 8));
  fixture_dir_ = (base / "fixture").string();
  work_dir_ = (base / "work").string();
  fs::create_directories(fixture_dir_);
  fs::create_directories(work_dir_);
  provider_ = GetParam().make(fixture_dir_);
}

void StorageConformanceTest::TearDown() {
  provider_.reset();
  std::error_code ec;
  fs::remove_all(fs::path(fixture_dir_).parent_path(), ec);
}

TEST_P(StorageConformanceTest, ValidatesAndStagesWhatTheTaskReads) {
  models::InputSource input = GetParam().good_input(fixture_dir_);
  ASSERT_TRUE(provider_->isInstalled());
  Status valid = provider_->validate(input);
  ASSERT_TRUE(valid.isOk()) << valid.toString();
  CancelToken cancel;
  auto mount = provider_->prepare(input, {}, work_dir_, cancel);
  ASSERT_TRUE(mount.isOk()) << mount.status().toString();
  EXPECT_EQ(mount->target, input.target);
  EXPECT_TRUE(fs::path(mount->host_path).is_absolute()) << mount->host_path;
  EXPECT_TRUE(mount->read_only);
  EXPECT_EQ(readMount(*mount), GetParam().expected_files);
}

TEST_P(StorageConformanceTest, RefusesBadInputsAtBidTimeWithAReason) {
  for (const models::InputSource& bad : GetParam().bad_inputs(fixture_dir_)) {
    Status s = provider_->validate(bad);
    EXPECT_FALSE(s.isOk()) << models::serialize(models::toJson(bad.source));
    EXPECT_FALSE(s.message().empty());
    EXPECT_NE(s.code(), StatusCode::kInternal) << s.toString();
    CancelToken cancel;
    EXPECT_FALSE(provider_->prepare(bad, {}, work_dir_, cancel).isOk());
  }
}

TEST_P(StorageConformanceTest, ACancelledStagingStagesNothing) {
  CancelToken cancel;
  cancel.cancel();
  auto mount = provider_->prepare(GetParam().good_input(fixture_dir_), {}, work_dir_, cancel);
  ASSERT_FALSE(mount.isOk());
  EXPECT_EQ(mount.status().code(), StatusCode::kCancelled) << mount.status().toString();
}

TEST_P(StorageConformanceTest, StagesConcurrently) {
  constexpr int kRuns = 4;
  std::vector<Result<Mount>> results(kRuns, internalError("not run"));
  const models::InputSource input = GetParam().good_input(fixture_dir_);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRuns; ++i) {
    std::string dir = work_dir_ + "/" + std::to_string(i);
    fs::create_directories(dir);
    threads.emplace_back([&, i, dir] {
      CancelToken cancel;
      results[i] = provider_->prepare(input, {}, dir, cancel);
    });
  }
  for (auto& t : threads) t.join();
  for (auto& r : results) {
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    EXPECT_EQ(readMount(*r), GetParam().expected_files);
  }
}

}  // namespace cod::storage::conformance
