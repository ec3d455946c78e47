#include "publisher/s3managed/s3managed_publisher.h"

#include <filesystem>

#include "common/archive.h"
#include "common/ids.h"
#include "http/http_client.h"

namespace cod::publisher {

namespace fs = std::filesystem;

std::string managedResultKey(const std::string& prefix, const std::string& job_id,
                             const std::string& execution_id) {
  std::string p = prefix;
  while (!p.empty() && p.back() == '/') p.pop_back();
  while (!p.empty() && p.front() == '/') p.erase(0, 1);
  return (p.empty() ? "" : p + "/") + job_id + "/" + execution_id + ".tar.gz";
}

Result<models::SpecConfig> S3ManagedPublisher::publish(const std::string& execution_id,
                                                       const models::Job& job,
                                                       const std::string& results_dir,
                                                       CancelToken& cancel) {
  if (cancel.cancelled()) return cancelled("publishing cancelled");
  auto url = upload_url_(job.id, execution_id);
  if (!url.isOk()) return std::move(url).error().prepend("publishing to the managed bucket");
  fs::path archive = fs::temp_directory_path() / ("cod-s3managed-" + newUuid() + ".tar.gz");
  struct Remove {
    fs::path p;
    ~Remove() {
      std::error_code ec;
      fs::remove(p, ec);
    }
  } remove{archive};
  auto packed = createTarGz(results_dir, archive.string());
  if (!packed.isOk()) return std::move(packed).error().prepend("publishing results");
  http::DownloadOptions options;
  options.attempts = 3;
  auto put = http::upload(*url, archive.string(), options, &cancel);
  if (!put.isOk()) return std::move(put).error().prepend("uploading to the managed bucket");
  if (put->status != 200) {
    return unavailable("uploading to the managed bucket: HTTP " + std::to_string(put->status) +
                       ": " + put->body.substr(0, 300));
  }
  models::SpecConfig out;
  out.type = "s3managed";
  out.params["JobID"] = job.id;
  out.params["ExecutionID"] = execution_id;
  return out;
}

}  // namespace cod::publisher
