#include "storage/s3/s3_storage.h"

#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <vector>

#include "common/ids.h"
#include "common/paths.h"
#include "common/strings.h"
#include "common/units.h"
#include "models/json.h"
#include "models/locality.h"
#include "storage/s3/go_layout.h"

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
  // Params.Partition (reference §5.5); type "" or "none" = every execution reads everything.
  std::string partition_type;
  std::string partition_pattern;
  int64_t partition_start = 0;
  int64_t partition_end = 0;
  std::string partition_date_format;  // a Go layout
};

// 32-bit FNV-1a, the hash Bacalhau's S3 partitioning documents, so that cod and Bacalhau split a
// prefix the same way.
uint32_t fnv1a32(std::string_view s) {
  uint32_t h = 2166136261u;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  return h;
}

// The code points [start, end) of a UTF-8 string; nullopt when it has fewer than `end`.
std::optional<std::string> codePoints(std::string_view s, int64_t start, int64_t end) {
  std::vector<size_t> starts;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) starts.push_back(i);
  }
  starts.push_back(s.size());
  if (static_cast<int64_t>(starts.size()) - 1 < end) return std::nullopt;
  return std::string(s.substr(starts[start], starts[end] - starts[start]));
}

// Which partition an object belongs to, by Bacalhau's rules: the whole key (object), the regex's
// capture groups joined by U+001F or its whole match (regex), a slice of code points (substring);
// a key the rule cannot read goes to partition 0. Patterns see the key without the prefix.
int64_t partitionOf(const S3Params& p, const std::string& key, int64_t count) {
  auto bucket = [&](std::string_view s) { return static_cast<int64_t>(fnv1a32(s) % count); };
  if (p.partition_type == "object") return bucket(key);
  std::string prefix(trim(p.key));
  while (!prefix.empty() && prefix.back() == '*') prefix.pop_back();
  std::string_view rel(key);
  if (startsWith(rel, prefix)) rel.remove_prefix(prefix.size());
  if (startsWith(rel, "/")) rel.remove_prefix(1);
  if (p.partition_type == "regex") {
    std::regex re(p.partition_pattern);
    std::match_results<std::string_view::const_iterator> m;
    if (!std::regex_search(rel.begin(), rel.end(), m, re) || m.length(0) == 0) return 0;
    std::string groups;
    for (size_t i = 1; i < m.size(); ++i) {
      if (m[i].length() == 0) continue;
      if (!groups.empty()) groups += '\x1F';
      groups += m[i].str();
    }
    return bucket(groups.empty() ? m[0].str() : groups);
  }
  if (p.partition_type == "substring") {
    auto slice = codePoints(rel, p.partition_start, p.partition_end);
    return slice ? bucket(*slice) : 0;
  }
  if (p.partition_type == "date") {
    // The key's first len(layout) bytes, parsed with the layout and formatted back.
    std::string_view head = rel.substr(0, p.partition_date_format.size());
    auto date = reformatGoTime(p.partition_date_format, head);
    return date ? bucket(*date) : 0;
  }
  return 0;
}

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
  if (!isS3BucketName(p.bucket)) {
    return invalidArgument("s3 Source.Params.Bucket \"" + p.bucket +
                           "\" is not a bucket name (letters, digits, '-', '.', '_')");
  }
  if (!p.region.empty() && !isS3RegionName(p.region)) {
    return invalidArgument("s3 Source.Params.Region \"" + p.region +
                           "\" is not a region name (like eu-west-1)");
  }
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
    const auto& obj = partition->as_object();
    auto str = [&](std::string_view key) {
      const auto* v = models::findKey(obj, key);
      return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
    };
    auto num = [&](std::string_view key) -> int64_t {
      const auto* v = models::findKey(obj, key);
      return v != nullptr ? models::exactInt64(*v).value_or(0) : 0;
    };
    p.partition_type = toLower(trim(str("Type")));
    p.partition_pattern = str("Pattern");
    p.partition_start = num("StartIndex");
    p.partition_end = num("EndIndex");
    p.partition_date_format = str("DateFormat");
    const std::string& t = p.partition_type;
    if (t == "regex") {
      if (p.partition_pattern.empty()) {
        return invalidArgument(
            "s3 Source.Params.Partition.Pattern is required for regex partitioning");
      }
      try {
        std::regex check(p.partition_pattern);
      } catch (const std::regex_error& e) {
        return invalidArgument(
            "s3 Source.Params.Partition.Pattern is not a valid regular "
            "expression: " +
            std::string(e.what()));
      }
    } else if (t == "substring") {
      if (p.partition_start < 0 || p.partition_end <= p.partition_start) {
        return invalidArgument(
            "s3 Source.Params.Partition needs 0 <= StartIndex < EndIndex for "
            "substring partitioning");
      }
    } else if (t == "date") {
      COD_RETURN_IF_ERROR(validateGoLayout(p.partition_date_format));
    } else if (!t.empty() && t != "none" && t != "object") {
      return invalidArgument(
          "s3 Source.Params.Partition.Type must be none, object, regex, "
          "substring or date, got \"" +
          str("Type") + "\"");
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

Result<Mount> S3Storage::prepare(const models::InputSource& input, const Partition& partition,
                                 const std::string& dir, CancelToken& cancel) {
  COD_ASSIGN_OR_RETURN(S3Params p, parse(input));
  if (cancel.cancelled()) return cancelled("staging cancelled");
  s3::ClientConfig client_config = s3::configFromEnvironment(p.region, p.endpoint);
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
  // This execution's share of a partitioned input; every key goes to exactly one partition.
  if (partition.count > 1 && !p.partition_type.empty() && p.partition_type != "none") {
    std::erase_if(chosen, [&](const auto& c) {
      return partitionOf(p, c.first.key, partition.count) != partition.index;
    });
  }
  bool single = chosen.size() == 1 &&
                (partition.count <= 1 || p.partition_type.empty() || p.partition_type == "none");
  if (!single && (!p.version_id.empty() || !p.checksum_sha256.empty())) {
    return invalidArgument("s3 VersionID and ChecksumSHA256 apply to one object, but s3://" +
                           p.bucket + "/" + p.key + " names " + std::to_string(chosen.size()));
  }
  fs::path root = fs::path(dir) / "s3";
  std::error_code root_ec;
  fs::create_directories(root, root_ec);  // a partition's share may be empty
  if (root_ec) return internalError("cannot create " + root.string() + ": " + root_ec.message());
  const std::string locator = models::inputLocator(input);
  auto cache_key = [&](const s3::ObjectInfo& object, const std::string& version) {
    // An object's bytes are named by its ETag (and VersionID, when one is asked for).
    return "s3\n" + client_config.endpoint + "\n" + client_config.region + "\n" + p.bucket + "\n" +
           object.key + "\n" + object.etag + "\n" + version;
  };
  // Refuse before the first byte when the share would not fit (cached objects cost nothing).
  uint64_t needed = 0;
  for (const auto& [object, rel] : chosen) {
    if (config_.cache == nullptr ||
        !config_.cache->contains(cache_key(object, single ? p.version_id : ""))) {
      needed += object.size;
    }
  }
  std::error_code space_ec;
  uint64_t free = config_.free_disk ? config_.free_disk(dir) : fs::space(dir, space_ec).available;
  if (needed > free && !space_ec) {
    return resourceExhausted("s3://" + p.bucket + "/" + p.key + " needs " + formatBytes(needed) +
                             " of disk to stage, but this node has " + formatBytes(free) +
                             " free where it stages inputs");
  }
  for (const auto& chosen_object : chosen) {
    const s3::ObjectInfo& object = chosen_object.first;
    fs::path file = root / chosen_object.second;
    std::error_code ec;
    fs::create_directories(file.parent_path(), ec);
    if (ec)
      return internalError("cannot create " + file.parent_path().string() + ": " + ec.message());
    const std::string version = single ? p.version_id : "";
    auto fetch = [&](const std::string& path) {
      return client.getObject(p.bucket, object.key, version, path, &cancel, object.size,
                              object.etag);
    };
    if (config_.cache != nullptr && (!object.etag.empty() || !version.empty())) {
      COD_RETURN_IF_ERROR(
          config_.cache->stage(cache_key(object, version), locator, file.string(), fetch).status());
    } else {
      COD_RETURN_IF_ERROR(fetch(file.string()));
    }
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
