#include "publisher/s3/s3_publisher.h"

#include <ctime>
#include <filesystem>

#include "common/archive.h"
#include "common/ids.h"
#include "common/strings.h"
#include "models/json.h"
#include "s3/s3_client.h"

namespace cod::publisher {

namespace fs = std::filesystem;

namespace {

std::string param(const models::SpecConfig& spec, std::string_view key) {
  const auto* v = models::findKey(spec.params, key);
  return v != nullptr && v->is_string() ? std::string(trim(v->as_string())) : std::string();
}

void replaceAll(std::string& s, std::string_view from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

}  // namespace

std::string expandKey(const std::string& key, const std::string& job_id,
                      const std::string& execution_id, const std::string& node_id, Time now) {
  std::time_t t = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::system_clock::duration>(now));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[9];
  char time[7];
  std::strftime(date, sizeof date, "%Y%m%d", &tm);
  std::strftime(time, sizeof time, "%H%M%S", &tm);
  std::string out = key;
  replaceAll(out, "{jobID}", job_id);
  replaceAll(out, "{executionID}", execution_id);
  replaceAll(out, "{nodeID}", node_id);
  replaceAll(out, "{date}", date);
  replaceAll(out, "{time}", time);
  return out;
}

Status S3Publisher::validate(const models::SpecConfig& spec) {
  if (param(spec, "Bucket").empty())
    return invalidArgument("s3 Publisher.Params.Bucket is required");
  if (param(spec, "Key").empty()) {
    return invalidArgument(
        "s3 Publisher.Params.Key is required (placeholders: {jobID}, {executionID}, {nodeID}, "
        "{date}, {time})");
  }
  std::string encoding = toLower(param(spec, "Encoding"));
  if (!encoding.empty() && encoding != "gzip" && encoding != "plain") {
    return invalidArgument("s3 Publisher.Params.Encoding must be gzip or plain, got \"" +
                           param(spec, "Encoding") + "\"");
  }
  std::string endpoint = toLower(param(spec, "Endpoint"));
  if (!endpoint.empty() && !startsWith(endpoint, "http://") && !startsWith(endpoint, "https://")) {
    return invalidArgument("s3 Publisher.Params.Endpoint must be an http:// or https:// URL");
  }
  return Status::ok();
}

Result<models::SpecConfig> S3Publisher::publish(const std::string& execution_id,
                                                const models::Job& job,
                                                const std::string& results_dir,
                                                CancelToken& cancel) {
  const models::SpecConfig& spec = job.task().publisher;
  COD_RETURN_IF_ERROR(validate(spec));
  s3::ClientConfig config =
      s3::configFromEnvironment(param(spec, "Region"), param(spec, "Endpoint"));
  config.clock = clock_;
  s3::S3Client client(config);
  const std::string bucket = param(spec, "Bucket");
  std::string key = expandKey(param(spec, "Key"), job.id, execution_id, node_id_, clock_->now());
  while (!key.empty() && key.front() == '/') key.erase(0, 1);
  bool plain = toLower(param(spec, "Encoding")) == "plain";

  if (plain) {
    while (!key.empty() && key.back() == '/') key.pop_back();
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(results_dir, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      // What the task left is not followed: a link (to /etc/shadow, say) is skipped, not read.
      // The task has ended, so nothing can swap a file for a link after this check.
      if (!fs::is_regular_file(it->symlink_status())) continue;
      // Lexically: fs::relative resolves links, which could put "../" into the key.
      std::string rel = it->path().lexically_relative(results_dir).generic_string();
      if (rel.empty() || rel.starts_with("../") || rel.find("/../") != std::string::npos) {
        return internalError("result file " + it->path().string() + " is outside " + results_dir);
      }
      COD_RETURN_IF_ERROR(client.putObject(bucket, key + "/" + rel, it->path().string(), &cancel));
    }
    if (ec) return internalError("cannot read " + results_dir + ": " + ec.message());
    key += "/";
  } else {
    if (!endsWith(key, ".tar.gz")) key += ".tar.gz";
    fs::path archive = fs::temp_directory_path() / ("cod-s3-publish-" + newUuid() + ".tar.gz");
    auto packed = createTarGz(results_dir, archive.string());
    if (!packed.isOk()) return std::move(packed).error().prepend("publishing results");
    Status put = client.putObject(bucket, key, archive.string(), &cancel);
    std::error_code ec;
    fs::remove(archive, ec);
    COD_RETURN_IF_ERROR(put);
  }
  models::SpecConfig out;
  out.type = "s3";
  out.params["Bucket"] = bucket;
  out.params["Key"] = key;
  if (!config.endpoint.empty()) out.params["Endpoint"] = config.endpoint;
  out.params["Region"] = config.region;
  return out;
}

}  // namespace cod::publisher
