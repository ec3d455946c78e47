#include "publisher/local/local_publisher.h"

#include <chrono>
#include <filesystem>

#include "common/archive.h"
#include "common/strings.h"

namespace cod::publisher {

namespace fs = std::filesystem;

LocalPublisher::LocalPublisher(LocalPublisherConfig config) : config_(std::move(config)) {}

Result<models::SpecConfig> LocalPublisher::publish(const std::string& execution_id,
                                                   const models::Job&,
                                                   const std::string& results_dir,
                                                   CancelToken& cancel) {
  if (cancel.cancelled()) return cancelled("publishing cancelled");
  std::error_code ec;
  fs::create_directories(config_.results_dir, ec);
  if (ec) return internalError("cannot create " + config_.results_dir + ": " + ec.message());
  std::string file = execution_id + ".tar.gz";
  auto packed = createTarGz(results_dir, (fs::path(config_.results_dir) / file).string());
  if (!packed.isOk()) return std::move(packed).error().prepend("publishing results");
  models::SpecConfig out;
  out.type = "urlDownload";
  out.params["URL"] = "http://" + config_.address + ":" + std::to_string(config_.port) + "/" + file;
  return out;
}

std::vector<std::string> LocalPublisher::keptResultsBefore(
    Time before, size_t limit, const std::function<bool(const std::string&)>& skip) {
  std::vector<std::string> ids;
  std::error_code ec;
  for (fs::directory_iterator it(config_.results_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (ids.size() >= limit) break;
    std::string name = it->path().filename().string();
    if (archivePath(name).empty() || !it->is_regular_file(ec)) continue;
    auto written = it->last_write_time(ec);
    if (ec) continue;
    auto when = std::chrono::time_point_cast<Duration>(std::chrono::file_clock::to_sys(written));
    if (when >= before) continue;
    std::string id = name.substr(0, name.size() - 7);  // less ".tar.gz"
    if (!skip || !skip(id)) ids.push_back(std::move(id));
  }
  return ids;
}

void LocalPublisher::removeKeptResults(const std::string& execution_id) {
  std::string path = archivePath(execution_id + ".tar.gz");
  if (path.empty()) return;
  std::error_code ec;
  fs::remove(path, ec);
}

std::string LocalPublisher::archivePath(const std::string& file_name) const {
  // Only "<execution-id>.tar.gz", nothing with a path in it.
  if (!endsWith(file_name, ".tar.gz") || file_name.find('/') != std::string::npos ||
      file_name.find("..") != std::string::npos || file_name.size() <= 7) {
    return "";
  }
  return (fs::path(config_.results_dir) / file_name).string();
}

}  // namespace cod::publisher
