#include "executor/executor.h"

#include <cerrno>
#include <cstring>
#include <fstream>

namespace cod::executor {

Status writeOutputFile(const std::string& dir, const std::string& name, const std::string& text) {
  std::string path = dir + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) return internalError("could not write " + path + ": " + std::strerror(errno));
  return Status::ok();
}

Result<std::pair<std::string, bool>> readOutputPrefix(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::make_pair(std::string(), false);
  std::string buf(models::kRunOutputLimit + 1, '\0');
  in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
  buf.resize(static_cast<size_t>(in.gcount()));
  bool truncated = buf.size() > models::kRunOutputLimit;
  if (truncated) buf.resize(models::kRunOutputLimit);
  return std::make_pair(std::move(buf), truncated);
}

}  // namespace cod::executor
