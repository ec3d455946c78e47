#include "publisher/local/local_publisher.h"

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

std::string LocalPublisher::archivePath(const std::string& file_name) const {
  // Only "<execution-id>.tar.gz", nothing with a path in it.
  if (!endsWith(file_name, ".tar.gz") || file_name.find('/') != std::string::npos ||
      file_name.find("..") != std::string::npos || file_name.size() <= 7) {
    return "";
  }
  return (fs::path(config_.results_dir) / file_name).string();
}

}  // namespace cod::publisher
