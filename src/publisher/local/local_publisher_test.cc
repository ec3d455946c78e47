#include "publisher/local/local_publisher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "common/archive.h"
#include "common/ids.h"
#include "models/json.h"

namespace cod::publisher {
namespace {

namespace fs = std::filesystem;

TEST(LocalPublisherTest, PacksTheResultFolderAndSaysWhereToFetchIt) {
  fs::path dir = fs::temp_directory_path() / ("cod-local-pub-" + newUuid());
  fs::create_directories(dir / "work" / "outputs");
  std::ofstream(dir / "work" / "stdout") << "hello\n";
  std::ofstream(dir / "work" / "outputs" / "n") << "15\n";
  LocalPublisher pub({(dir / "results").string(), "10.0.0.5", 6001});
  CancelToken cancel;
  auto published = pub.publish("e-123", models::Job{}, (dir / "work").string(), cancel);
  ASSERT_TRUE(published.isOk()) << published.status().toString();
  EXPECT_EQ(models::serialize(models::toJson(*published)),
            R"({"Type":"urlDownload","Params":{"URL":"http://10.0.0.5:6001/e-123.tar.gz"}})");
  std::string archive = pub.archivePath("e-123.tar.gz");
  ASSERT_EQ(archive, (dir / "results" / "e-123.tar.gz").string());
  auto unpacked = extractTar(archive, (dir / "check").string());
  ASSERT_TRUE(unpacked.isOk());
  EXPECT_EQ(unpacked->files, 2u);
  EXPECT_TRUE(fs::exists(dir / "check" / "outputs" / "n"));
  fs::remove_all(dir);
}

TEST(LocalPublisherTest, ServesOnlyArchiveNames) {
  LocalPublisher pub({"/srv/results", "127.0.0.1", 6001});
  EXPECT_EQ(pub.archivePath("../etc/passwd"), "");
  EXPECT_EQ(pub.archivePath("a/b.tar.gz"), "");
  EXPECT_EQ(pub.archivePath("..tar.gz"), "");
  EXPECT_EQ(pub.archivePath("notes.txt"), "");
  EXPECT_EQ(pub.archivePath("e-1.tar.gz"), "/srv/results/e-1.tar.gz");
}

// Retention: the archives written before a time are listed (never another file in the folder),
// and one is removed by its execution's ID, never a path outside the folder.
TEST(LocalPublisherTest, ListsAndRemovesArchivesByAge) {
  fs::path dir = fs::temp_directory_path() / ("cod-local-pub-" + newUuid());
  fs::create_directories(dir / "results");
  auto now = std::chrono::system_clock::now();
  auto write = [&](const std::string& name, std::chrono::hours age) {
    fs::path p = dir / "results" / name;
    std::ofstream(p) << "x";
    fs::last_write_time(p, std::chrono::file_clock::from_sys(now - age));
  };
  write("e-old.tar.gz", std::chrono::hours(48));
  write("e-older.tar.gz", std::chrono::hours(72));
  write("e-new.tar.gz", std::chrono::hours(0));
  write("notes.txt", std::chrono::hours(72));
  std::ofstream(dir / "outside.tar.gz") << "keep";
  LocalPublisher pub({(dir / "results").string(), "127.0.0.1", 6001});
  Time day_ago = std::chrono::time_point_cast<Duration>(now - std::chrono::hours(24));

  auto kept = pub.keptResultsBefore(day_ago, 10, {});
  std::sort(kept.begin(), kept.end());
  EXPECT_EQ(kept, (std::vector<std::string>{"e-old", "e-older"}));
  EXPECT_EQ(pub.keptResultsBefore(day_ago, 1, {}).size(), 1u);
  // Those the caller skips leave room for others.
  EXPECT_EQ(pub.keptResultsBefore(day_ago, 1, [](const std::string& id) { return id == "e-old"; }),
            (std::vector<std::string>{"e-older"}));

  pub.removeKeptResults("e-old");
  pub.removeKeptResults("../outside");
  EXPECT_FALSE(fs::exists(dir / "results" / "e-old.tar.gz"));
  EXPECT_TRUE(fs::exists(dir / "outside.tar.gz"));
  EXPECT_TRUE(fs::exists(dir / "results" / "e-new.tar.gz"));
  EXPECT_EQ(pub.keptResultsBefore(day_ago, 10, {}), (std::vector<std::string>{"e-older"}));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cod::publisher
