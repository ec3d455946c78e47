#include "common/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

namespace cod {

namespace fs = std::filesystem;

namespace {

struct ArchiveDeleter {
  void operator()(struct archive* a) const { archive_free(a); }
};
using ArchivePtr = std::unique_ptr<struct archive, ArchiveDeleter>;

struct EntryDeleter {
  void operator()(struct archive_entry* e) const { archive_entry_free(e); }
};

Status archiveError(struct archive* a, const std::string& what) {
  const char* msg = archive_error_string(a);
  return internalError(what + ": " + (msg ? msg : "unknown archive error"));
}

// Adds one regular file, read without following a symlink swapped in after the walk.
Status addFile(struct archive* out, const fs::path& path, const std::string& name,
               const struct stat& st, ArchiveStats* stats) {
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return internalError("cannot read " + path.string() + ": " + std::strerror(errno));
  std::unique_ptr<struct archive_entry, EntryDeleter> entry(archive_entry_new());
  archive_entry_set_pathname(entry.get(), name.c_str());
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_perm(entry.get(), st.st_mode & 0777);
  archive_entry_set_size(entry.get(), st.st_size);
  archive_entry_set_mtime(entry.get(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  if (archive_write_header(out, entry.get()) != ARCHIVE_OK) {
    close(fd);
    return archiveError(out, "writing " + name);
  }
  char buf[64 * 1024];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    if (archive_write_data(out, buf, static_cast<size_t>(n)) < 0) {
      close(fd);
      return archiveError(out, "writing " + name);
    }
    stats->bytes += static_cast<uint64_t>(n);
  }
  close(fd);
  stats->files++;
  return Status::ok();
}

}  // namespace

Result<ArchiveStats> createTarGz(const std::string& dir, const std::string& archive_path) {
  std::string tmp = archive_path + ".tmp";
  ArchivePtr out(archive_write_new());
  archive_write_add_filter_gzip(out.get());
  archive_write_set_format_pax_restricted(out.get());
  if (archive_write_open_filename(out.get(), tmp.c_str()) != ARCHIVE_OK) {
    return archiveError(out.get(), "creating " + tmp);
  }
  ArchiveStats stats;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec);
  if (ec) return internalError("cannot read " + dir + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return internalError("cannot read " + dir + ": " + ec.message());
    const fs::path& path = it->path();
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) continue;
    std::string name = fs::relative(path, dir).generic_string();
    if (S_ISDIR(st.st_mode)) {
      std::unique_ptr<struct archive_entry, EntryDeleter> entry(archive_entry_new());
      archive_entry_set_pathname(entry.get(), (name + "/").c_str());
      archive_entry_set_filetype(entry.get(), AE_IFDIR);
      archive_entry_set_perm(entry.get(), 0755);
      archive_entry_set_mtime(entry.get(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
      if (archive_write_header(out.get(), entry.get()) != ARCHIVE_OK) {
        return archiveError(out.get(), "writing " + name);
      }
    } else if (S_ISREG(st.st_mode)) {
      COD_RETURN_IF_ERROR(addFile(out.get(), path, name, st, &stats));
    }
    // Symlinks, devices, sockets and fifos are left out.
  }
  if (archive_write_close(out.get()) != ARCHIVE_OK)
    return archiveError(out.get(), "closing " + tmp);
  fs::rename(tmp, archive_path, ec);
  if (ec) return internalError("cannot rename " + tmp + ": " + ec.message());
  return stats;
}

Result<ArchiveStats> extractTar(const std::string& archive_path, const std::string& dir,
                                uint64_t max_bytes) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return internalError("cannot create " + dir + ": " + ec.message());
  ArchivePtr in(archive_read_new());
  // gzip only: "all" would also take lzop, lrzip, grzip, … by running the host's program of that
  // name on the hostile bytes.
  archive_read_support_filter_gzip(in.get());
  archive_read_support_format_tar(in.get());
  archive_read_support_format_gnutar(in.get());
  if (archive_read_open_filename(in.get(), archive_path.c_str(), size_t{64} * 1024) != ARCHIVE_OK) {
    return archiveError(in.get(), "opening " + archive_path);
  }
  ArchivePtr out(archive_write_disk_new());
  // Entry names are checked below and then made absolute under `dir` (so no chdir is needed);
  // libarchive still refuses ".." and writing through a symlink on the way.
  // No ARCHIVE_EXTRACT_PERM: modes are masked below (no setuid/setgid from an archive).
  archive_write_disk_set_options(out.get(), ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                ARCHIVE_EXTRACT_SECURE_SYMLINKS);
  ArchiveStats stats;
  struct archive_entry* entry;
  int rc;
  while ((rc = archive_read_next_header(in.get(), &entry)) == ARCHIVE_OK) {
    std::string name = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
    auto type = archive_entry_filetype(entry);
    // A hard link entry looks like a regular file but names a target that is never checked
    // (it could be any file of the host): refused like symlinks.
    if (archive_entry_hardlink(entry) != nullptr) {
      return invalidArgument("refusing archive entry \"" + name + "\": hard links are not allowed");
    }
    if (type != AE_IFREG && type != AE_IFDIR) {
      return invalidArgument("refusing archive entry \"" + name +
                             "\": only regular files and folders are allowed");
    }
    if (name.empty() || name.front() == '/' || name == ".." || name.rfind("../", 0) == 0 ||
        name.find("/../") != std::string::npos) {
      return invalidArgument("refusing archive entry \"" + name + "\": it points outside " + dir);
    }
    std::string target = (fs::path(dir) / name).string();
    archive_entry_set_pathname(entry, target.c_str());
    archive_entry_set_perm(entry, archive_entry_perm(entry) & 0777);
    if (archive_write_header(out.get(), entry) != ARCHIVE_OK) {
      return archiveError(out.get(), "extracting " + name);
    }
    if (type == AE_IFREG) {
      const void* buf;
      size_t size;
      la_int64_t offset;
      while ((rc = archive_read_data_block(in.get(), &buf, &size, &offset)) == ARCHIVE_OK) {
        if (size > max_bytes - stats.bytes) {
          return resourceExhausted("the archive unpacks to more than " + std::to_string(max_bytes) +
                                   " bytes");
        }
        if (archive_write_data_block(out.get(), buf, size, offset) != ARCHIVE_OK) {
          return archiveError(out.get(), "extracting " + name);
        }
        stats.bytes += size;
      }
      if (rc != ARCHIVE_EOF) return archiveError(in.get(), "reading " + name);
      stats.files++;
    }
    archive_write_finish_entry(out.get());
  }
  if (rc != ARCHIVE_EOF) return archiveError(in.get(), "reading " + archive_path);
  return stats;
}

}  // namespace cod
