#include "publisher/local/local_publisher.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace cod::publisher
