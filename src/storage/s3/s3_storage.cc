#include "storage/s3/s3_storage.h"

#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>

#include "common/paths.h"
#include "common/strings.h"
#include "models/json.h"

namespace cod::storage {

namespace fs = std::filesystem;

namespace {

struct S3Params {
  std::string bucket;
  std::string key;
  std::string filter;
  std::string region;
  std::string endpoint;
  std::string version_id;
  std::string checksum_sha256;
};

Result<S3Params> parse(const models::InputSource& input) {
  S3Params p;
  p.bucket = std::string(trim(stringParam(input, "Bucket")));
  p.key = stringParam(input, "Key");
  p.filter = stringParam(input, "Filter");
  p.region = std::string(trim(stringParam(input, "Region")));
  p.endpoint = std::string(trim(stringParam(input, "Endpoint")));
  p.version_id = stringParam(input, "VersionID");
  p.checksum_sha256 = stringParam(input, "ChecksumSHA256");
  if (p.bucket.empty()) return invalidArgument("s3 Source.Params.Bucket is required");
  if (!p.endpoint.empty()) {
    std::string lower = toLower(p.endpoint);
    if (!startsWith(lower, "http://") && !startsWith(lower, "https://")) {
      return invalidArgument(
          "s3 Source.Params.Endpoint must be an http:// or https:// URL, got \"" + p.endpoint +
          "\"");
    }
  }
  if (!p.filter.empty()) {
    try {
      std::regex check(p.filter);
    } catch (const std::regex_error& e) {
      return invalidArgument("s3 Source.Params.Filter is not a valid regular expression: " +
                             std::string(e.what()));
    }
  }
  if (!p.checksum_sha256.empty()) {
    std::string digest;
    if (!base64Decode(p.checksum_sha256, &digest) || digest.size() != 32) {
      return invalidArgument(
          "s3 Source.Params.ChecksumSHA256 must be the base64 of a SHA-256 digest (44 characters)");
    }
  }
  const auto* partition = models::findKey(input.source.params, "Partition");
  if (partition != nullptr && partition->is_object()) {
    const auto* type = models::findKey(partition->as_object(), "Type");
    if (type != nullptr && type->is_string() && !equalsIgnoreCase(type->as_string(), "none") &&
        !type->as_string().empty()) {
      return Status(StatusCode::kUnimplemented,
                    "s3 Source.Params.Partition is not supported by this compute node yet; remove "
                    "it (every execution then reads every object)");
    }
  }
  return p;
}

}  // namespace

Result<std::string> stagedPath(const std::string& prefix, const std::string& key) {
  if (key.empty() || key.back() == '/') return std::string();
  std::string rel;
  if (key == prefix) {
    rel = key.substr(key.rfind('/') + 1);
  } else {
    size_t folder = prefix.rfind('/');
    rel = folder == std::string::npos ? key : key.substr(folder + 1);
  }
  for (const std::string& segment : split(rel, '/')) {
    if (std::string problem = pathSegmentProblem(segment); !problem.empty()) {
      return invalidArgument("object key \"" + key + "\" cannot be staged: its part \"" + segment +
                             "\" " + problem);
    }
  }
  return rel;
}

Status S3Storage::validate(const models::InputSource& input) { return parse(input).status(); }

Result<Mount> S3Storage::prepare(const models::InputSource& input, const std::string& dir,
                                 CancelToken& cancel) {
  COD_ASSIGN_OR_RETURN(S3Params p, parse(input));
  if (cancel.cancelled()) return cancelled("staging cancelled");
  s3::ClientConfig client_config;
  client_config.credentials = s3::credentialsFromEnvironment();
  client_config.region = !p.region.empty() ? p.region : s3::regionFromEnvironment();
  if (client_config.region.empty()) client_config.region = "us-east-1";
  client_config.endpoint = p.endpoint;
  client_config.clock = config_.clock;
  client_config.http.attempts = config_.attempts;
  s3::S3Client client(client_config);

  COD_ASSIGN_OR_RETURN(std::vector<s3::ObjectInfo> objects,
                       client.listObjects(p.bucket, p.key, &cancel));
  std::vector<std::pair<s3::ObjectInfo, std::string>> chosen;
  std::optional<std::regex> filter;
  if (!p.filter.empty()) filter.emplace(p.filter);
  for (auto& o : objects) {
    if (filter && !std::regex_search(o.key, *filter)) continue;
    COD_ASSIGN_OR_RETURN(std::string rel, stagedPath(p.key, o.key));
    if (!rel.empty()) chosen.emplace_back(std::move(o), std::move(rel));
  }
  if (chosen.empty()) {
    return notFound("no objects in s3://" + p.bucket + "/" + p.key +
                    (p.filter.empty() ? "" : " match the filter \"" + p.filter + "\""));
  }
  bool single = chosen.size() == 1;
  if (!single && (!p.version_id.empty() || !p.checksum_sha256.empty())) {
    return invalidArgument("s3 VersionID and ChecksumSHA256 apply to one object, but s3://" +
                           p.bucket + "/" + p.key + " names " + std::to_string(chosen.size()));
  }
  fs::path root = fs::path(dir) / "s3";
  for (const auto& [object, rel] : chosen) {
    fs::path file = root / rel;
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    if (ec)
      return internalError("cannot create " + file.parent_path().string() + ": " + ec.message());
    COD_RETURN_IF_ERROR(
        client.getObject(p.bucket, object.key, single ? p.version_id : "", file.string(), &cancel));
    if (single && !p.checksum_sha256.empty()) {
      std::string got = base64Encode(s3::sha256OfFile(file.string()));
      if (got != p.checksum_sha256) {
        return failedPrecondition("s3://" + p.bucket + "/" + object.key +
                                  " does not match its ChecksumSHA256 (expected " +
                                  p.checksum_sha256 + ", got " + got + ")");
      }
    }
  }
  return Mount{root.string(), input.target, true};
}

}  // namespace cod::storage
