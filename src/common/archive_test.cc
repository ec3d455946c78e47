#include "common/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/ids.h"

namespace cod {
namespace {

namespace fs = std::filesystem;

class ArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("cod-archive-" + newUuid());
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  std::string read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  // Writes a tar (bzip2-compressed when asked) of one regular file entry `name` with `data`.
  static void writeOneEntryTar(const fs::path& tar, const std::string& name, int perm,
                               const std::string& data, bool bzip2 = false) {
    struct archive* a = archive_write_new();
    if (bzip2) archive_write_add_filter_bzip2(a);
    archive_write_set_format_pax_restricted(a);
    archive_write_open_filename(a, tar.c_str());
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, perm);
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    archive_write_header(a, e);
    archive_write_data(a, data.data(), data.size());
    archive_entry_free(e);
    archive_write_close(a);
    archive_write_free(a);
  }

  fs::path root_;
};

TEST_F(ArchiveTest, RoundTripsFilesAndFoldersButNotSymlinks) {
  fs::path src = root_ / "src";
  write(src / "stdout", "hello\n");
  write(src / "exitCode", "3");
  write(src / "outputs" / "deep" / "a.txt", "15\n");
  fs::create_symlink("/etc/passwd", src / "outputs" / "escape");
  auto packed = createTarGz(src.string(), (root_ / "r.tar.gz").string());
  ASSERT_TRUE(packed.isOk()) << packed.status().toString();
  EXPECT_EQ(packed->files, 3u);
  auto unpacked = extractTar((root_ / "r.tar.gz").string(), (root_ / "dst").string());
  ASSERT_TRUE(unpacked.isOk()) << unpacked.status().toString();
  EXPECT_EQ(read(root_ / "dst" / "stdout"), "hello\n");
  EXPECT_EQ(read(root_ / "dst" / "exitCode"), "3");
  EXPECT_EQ(read(root_ / "dst" / "outputs" / "deep" / "a.txt"), "15\n");
  EXPECT_FALSE(fs::exists(fs::symlink_status(root_ / "dst" / "outputs" / "escape")));
}

TEST_F(ArchiveTest, RefusesEntriesThatEscape) {
  for (std::string bad : {"../evil.txt", "/tmp/evil.txt", "a/../../evil.txt"}) {
    fs::path tar = root_ / "bad.tar";
    writeOneEntryTar(tar, bad, 0644, "evil");
    auto r = extractTar(tar.string(), (root_ / "out").string());
    ASSERT_FALSE(r.isOk()) << bad;
    EXPECT_NE(r.status().message().find("refusing archive entry"), std::string::npos)
        << r.status().message();
    EXPECT_FALSE(fs::exists(root_ / "evil.txt"));
  }
}

// A hard link entry is a regular file to the type check, but its target is a host path: with
// libarchive's defaults it would link (and, with data, overwrite) that file.
TEST_F(ArchiveTest, RefusesHardLinksAndDropsSetuidBits) {
  write(root_ / "host-secret", "secret");
  fs::path tar = root_ / "link.tar";
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_open_filename(a, tar.c_str());
  struct archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "innocent.txt");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_hardlink(e, (root_ / "host-secret").c_str());
  archive_entry_set_size(e, 0);
  archive_write_header(a, e);
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
  auto r = extractTar(tar.string(), (root_ / "out").string());
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("hard links are not allowed"), std::string::npos)
      << r.status().message();
  EXPECT_FALSE(fs::exists(root_ / "out" / "innocent.txt"));
  EXPECT_EQ(read(root_ / "host-secret"), "secret");

  fs::path suid = root_ / "suid.tar";
  writeOneEntryTar(suid, "tool", 04755, "#!");
  ASSERT_TRUE(extractTar(suid.string(), (root_ / "suid-out").string()).isOk());
  auto perms = fs::status(root_ / "suid-out" / "tool").permissions();
  EXPECT_EQ(perms & fs::perms::set_uid, fs::perms::none);
}

// Only gzip is taken: libarchive's other filters include some that run a host program (lzop,
// lrzip, grzip) on the hostile bytes.
TEST_F(ArchiveTest, RefusesCompressionOtherThanGzip) {
  fs::path tar = root_ / "data.tar.bz2";
  writeOneEntryTar(tar, "a.txt", 0644, "hi", /*bzip2=*/true);
  auto r = extractTar(tar.string(), (root_ / "out").string());
  ASSERT_FALSE(r.isOk());
  EXPECT_FALSE(fs::exists(root_ / "out" / "a.txt"));
}

TEST_F(ArchiveTest, StopsAtTheByteLimit) {
  fs::path src = root_ / "src";
  write(src / "a.txt", std::string(3000, 'a'));
  write(src / "b.txt", std::string(3000, 'b'));
  ASSERT_TRUE(createTarGz(src.string(), (root_ / "r.tar.gz").string()).isOk());
  auto over = extractTar((root_ / "r.tar.gz").string(), (root_ / "small").string(), 5999);
  ASSERT_FALSE(over.isOk());
  EXPECT_EQ(over.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(over.status().message().find("more than 5999 bytes"), std::string::npos)
      << over.status().message();
  auto fits = extractTar((root_ / "r.tar.gz").string(), (root_ / "fits").string(), 6000);
  ASSERT_TRUE(fits.isOk()) << fits.status().toString();
  EXPECT_EQ(fits->bytes, 6000u);
}

}  // namespace
}  // namespace cod
