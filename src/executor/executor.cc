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

Result<models::RunCommandResult> resultFromOutputFiles(const std::string& results_dir,
                                                       int64_t exit_code) {
  models::RunCommandResult result;
  result.exit_code = exit_code;
  COD_ASSIGN_OR_RETURN(auto out, readOutputPrefix(results_dir + "/stdout"));
  COD_ASSIGN_OR_RETURN(auto err, readOutputPrefix(results_dir + "/stderr"));
  result.stdout_text = std::move(out.first);
  result.stdout_truncated = out.second;
  result.stderr_text = std::move(err.first);
  result.stderr_truncated = err.second;
  return result;
}

}  // namespace cod::executor
