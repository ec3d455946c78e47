#pragma once

// tar.gz archives of result folders (libarchive), made and unpacked safely: nothing outside the
// given folder is ever read or written. Entries are relative ("stdout", "outputs/a.txt"), with no
// top folder; symbolic links are left out when packing (a task could point them anywhere) and
// refused when unpacking, as are hard links, absolute paths and ".."; unpacked modes keep only
// rwx bits (no setuid/setgid).

#include <cstdint>
#include <string>

#include "common/status.h"

namespace cod {

struct ArchiveStats {
  uint64_t files = 0;
  uint64_t bytes = 0;
};

// Packs the contents of `dir` into the gzip-compressed tar `archive_path` (written atomically:
// to a temporary name, then renamed).
Result<ArchiveStats> createTarGz(const std::string& dir, const std::string& archive_path);

// Unpacks `archive_path` (tar, optionally gzip-compressed) into `dir`, which is created; fails
// once its files hold more than `max_bytes` (what is unpacked by then stays, for the caller's
// cleanup of `dir`).
Result<ArchiveStats> extractTar(const std::string& archive_path, const std::string& dir,
                                uint64_t max_bytes = UINT64_MAX);

}  // namespace cod
