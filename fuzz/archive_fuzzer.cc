// Result archives as `cod job get` unpacks them (a compute node's tar.gz, maybe hostile): the
// bytes are unpacked into a fresh folder inside a sentinel folder, and nothing may land beside
// it. A sentinel that gains an entry, or an entry with setuid/setgid bits, is a finding (abort).
// TMPDIR=/dev/shm keeps the folder in memory (scripts/fuzz.sh sets it).

#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/archive.h"

namespace fs = std::filesystem;

namespace {

const fs::path& sandbox() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("cod-archive-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path archive = sandbox() / "in.tar.gz";
  const fs::path out = sandbox() / "out";
  {
    std::ofstream f(archive, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  // Bounded, so that an input inflating to megabytes costs no more than any other (the bound's
  // own path is then fuzzed too).
  (void)cod::extractTar(archive.string(), out.string(), size_t{1} << 20);
  size_t beside = 0;
  for (const auto& entry : fs::directory_iterator(sandbox())) {
    beside += entry.path() != archive && entry.path() != out;
  }
  if (beside != 0) std::abort();  // something escaped the folder it was unpacked into
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(out, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID)) != 0) {
      std::abort();  // an archive must not make setuid/setgid files
    }
  }
  fs::remove_all(out, ec);
  return 0;
}
