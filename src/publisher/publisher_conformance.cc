#include "publisher/publisher_conformance.h"

#include <filesystem>
#include <fstream>
#include <thread>

#include "common/ids.h"
#include "tests/support/services.h"

namespace cod::publisher::conformance {

namespace fs = std::filesystem;

std::map<std::string, std::string> readTree(const std::string& dir) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::ifstream in(it->path(), std::ios::binary);
    out[fs::relative(it->path(), dir).generic_string()] =
        std::string(std::istreambuf_iterator<char>(in), {});
  }
  return out;
}

void PublisherConformanceTest::SetUp() {
  dir_ = (fs::temp_directory_path() / ("cod-publisher-" + newUuid().substr(0, 8))).string();
  fs::create_directories(dir_);
  publisher_ = GetParam().make(dir_);
  COD_REQUIRE_SERVICE(publisher_ != nullptr, GetParam().name + ": its test service is missing");
}

void PublisherConformanceTest::TearDown() {
  publisher_.reset();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string PublisherConformanceTest::makeResults() {
  fs::path results = fs::path(dir_) / ("results-" + newUuid().substr(0, 8));
  fs::create_directories(results / "outputs" / "deep");
  std::ofstream(results / "stdout") << "hello\n";
  std::ofstream(results / "stderr") << "";
  std::ofstream(results / "exitCode") << "0";
  std::ofstream(results / "outputs" / "counts.csv") << "word,3\n";
  std::ofstream(results / "outputs" / "deep" / "x.bin", std::ios::binary)
      << std::string(70000, '\x01');
  return results.string();
}

models::Job PublisherConformanceTest::job() const {
  models::Job j;
  j.id = "j-" + newUuid();
  j.tasks.resize(1);
  j.task().publisher = GetParam().spec();
  return j;
}

TEST_P(PublisherConformanceTest, PublishesTheResultFolderAndSaysWhereItWent) {
  ASSERT_TRUE(publisher_->isInstalled());
  models::Job j = job();
  ASSERT_TRUE(publisher_->validate(j.task().publisher).isOk());
  std::string results = makeResults();
  auto before = readTree(results);
  CancelToken cancel;
  auto published = publisher_->publish("e-" + newUuid(), j, results, cancel);
  ASSERT_TRUE(published.isOk()) << published.status().toString();
  EXPECT_FALSE(published->type.empty());
  EXPECT_EQ(readTree(results), before) << "publish must not change the folder";
  std::string back = (fs::path(dir_) / "fetched").string();
  fs::create_directories(back);
  ASSERT_TRUE(GetParam().fetch(*published, dir_, back)) << published->type;
  EXPECT_EQ(readTree(back), before) << "what a client fetches is the result folder";
}

// A task may leave links in its output folders (to /etc/shadow, to the node's data dir); a
// publisher runs as root, so it must skip them, never publish what they point at.
TEST_P(PublisherConformanceTest, LinksATaskLeftAreNeverFollowed) {
  models::Job j = job();
  std::string results = makeResults();
  auto before = readTree(results);
  std::string secret = (fs::path(dir_) / "secret.txt").string();
  std::ofstream(secret) << "the node's secret";
  fs::create_symlink(secret, fs::path(results) / "outputs" / "absolute-link");
  fs::create_symlink("../../../secret.txt", fs::path(results) / "outputs" / "deep" / "relative");
  fs::create_directory_symlink(dir_, fs::path(results) / "outputs" / "dir-link");
  CancelToken cancel;
  auto published = publisher_->publish("e-" + newUuid(), j, results, cancel);
  ASSERT_TRUE(published.isOk()) << published.status().toString();
  std::string back = (fs::path(dir_) / "fetched").string();
  fs::create_directories(back);
  ASSERT_TRUE(GetParam().fetch(*published, dir_, back)) << published->type;
  auto fetched = readTree(back);
  for (const auto& [path, content] : fetched) {
    EXPECT_EQ(content.find("the node's secret"), std::string::npos) << path;
  }
  EXPECT_EQ(fetched, before);
}

TEST_P(PublisherConformanceTest, RefusesBadSpecsAtBidTimeWithAReason) {
  for (const models::SpecConfig& bad : GetParam().bad_specs()) {
    Status st = publisher_->validate(bad);
    EXPECT_FALSE(st.isOk()) << bad.type;
    EXPECT_FALSE(st.message().empty());
  }
}

TEST_P(PublisherConformanceTest, ACancelledPublishStopsWithCancelled) {
  std::string results = makeResults();
  CancelToken cancel;
  cancel.cancel();
  auto published = publisher_->publish("e-" + newUuid(), job(), results, cancel);
  EXPECT_EQ(published.status().code(), StatusCode::kCancelled) << published.status().toString();
}

TEST_P(PublisherConformanceTest, PublishesConcurrently) {
  std::vector<std::thread> threads;
  std::vector<Result<models::SpecConfig>> out(3, Result<models::SpecConfig>(unavailable("unset")));
  std::vector<std::string> folders;
  for (int i = 0; i < 3; ++i) folders.push_back(makeResults());
  models::Job j = job();
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      CancelToken cancel;
      out[static_cast<size_t>(i)] = publisher_->publish("e-" + newUuid(), j, folders[i], cancel);
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : out) EXPECT_TRUE(r.isOk()) << r.status().toString();
}

}  // namespace cod::publisher::conformance
