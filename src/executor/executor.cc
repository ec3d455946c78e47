#include "executor/executor.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "common/strings.h"

namespace cod::executor {

Status writeOutputFile(const std::string& dir, const std::string& name, const std::string& text) {
  std::string path = dir + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) return internalError("could not write " + path + ": " + std::strerror(errno));
  return Status::ok();
}

std::pair<std::string, bool> outputPrefix(std::string_view text) {
  std::string valid = isValidUtf8(text) ? std::string(text) : toValidUtf8(text);
  std::string_view prefix = utf8Prefix(valid, models::kRunOutputLimit);
  bool truncated = prefix.size() < valid.size();
  return {std::string(prefix), truncated};
}

Result<std::pair<std::string, bool>> readOutputPrefix(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::make_pair(std::string(), false);
  // A few bytes past the limit, so that a character crossing it is read whole (and then left
  // out) rather than cut into bytes that are not UTF-8; one more says whether there is more.
  constexpr size_t kUtf8Slack = 4;
  std::string buf(models::kRunOutputLimit + kUtf8Slack, '\0');
  in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
  buf.resize(static_cast<size_t>(in.gcount()));
  bool more = buf.size() == models::kRunOutputLimit + kUtf8Slack;
  auto [prefix, truncated] = outputPrefix(buf);
  return std::make_pair(std::move(prefix), truncated || more);
}

}  // namespace cod::executor
