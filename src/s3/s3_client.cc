#include "s3/s3_client.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "common/ids.h"
#include "common/strings.h"

namespace cod::s3 {

namespace {

std::string xmlUnescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    size_t semi = s.find(';', i);
    if (semi == std::string_view::npos) {
      out += s[i];
      continue;
    }
    std::string_view entity = s.substr(i + 1, semi - i - 1);
    if (entity == "amp")
      out += '&';
    else if (entity == "lt")
      out += '<';
    else if (entity == "gt")
      out += '>';
    else if (entity == "quot")
      out += '"';
    else if (entity == "apos")
      out += '\'';
    else if (!entity.empty() && entity[0] == '#') {
      uint64_t code = 0;
      bool ok =
          entity.size() > 1 && entity[1] == 'x'
              ? (code = std::strtoull(std::string(entity.substr(2)).c_str(), nullptr, 16), true)
              : parseUint64(entity.substr(1), &code);
      if (!ok || code == 0 || code > 0x7f) {
        out.append(s.substr(i, semi - i + 1));  // leave what we do not decode
      } else {
        out += static_cast<char>(code);
      }
    } else {
      out.append(s.substr(i, semi - i + 1));
    }
    i = semi;
  }
  return out;
}

// The text of every <tag>…</tag> in `xml`, in order (S3's answers are flat enough for this).
std::vector<std::string> elements(std::string_view xml, const std::string& tag) {
  std::vector<std::string> out;
  const std::string open = "<" + tag + ">";
  const std::string close = "</" + tag + ">";
  for (size_t pos = xml.find(open); pos != std::string_view::npos; pos = xml.find(open, pos)) {
    size_t start = pos + open.size();
    size_t end = xml.find(close, start);
    if (end == std::string_view::npos) break;
    out.emplace_back(xml.substr(start, end - start));
    pos = end + close.size();
  }
  return out;
}

std::string first(std::string_view xml, const std::string& tag) {
  auto all = elements(xml, tag);
  return all.empty() ? "" : xmlUnescape(all[0]);
}

// "http://host:port/base" → "host:port" and "/base".
void splitEndpoint(const std::string& endpoint, std::string* host, std::string* base_path) {
  size_t scheme = endpoint.find("://");
  size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  size_t slash = endpoint.find('/', start);
  *host = endpoint.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
  *base_path = slash == std::string::npos ? "" : endpoint.substr(slash);
  while (!base_path->empty() && base_path->back() == '/') base_path->pop_back();
}

// INI sections of an AWS credentials or config file: section → key → value.
std::map<std::string, std::map<std::string, std::string>> readIni(const std::string& path) {
  std::map<std::string, std::map<std::string, std::string>> out;
  std::ifstream in(path);
  std::string line;
  std::string section;
  while (std::getline(in, line)) {
    std::string_view l = trim(line);
    if (l.empty() || l[0] == '#' || l[0] == ';') continue;
    if (l.front() == '[' && l.back() == ']') {
      section = std::string(trim(l.substr(1, l.size() - 2)));
      if (startsWith(section, "profile ")) section = std::string(trim(section.substr(8)));
      continue;
    }
    size_t eq = l.find('=');
    if (eq == std::string_view::npos) continue;
    out[section][toLower(trim(l.substr(0, eq)))] = std::string(trim(l.substr(eq + 1)));
  }
  return out;
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

std::string awsFile(const char* override_var, const char* name) {
  if (std::string p = env(override_var); !p.empty()) return p;
  std::string home = env("HOME");
  return home.empty() ? "" : home + "/.aws/" + name;
}

std::string profile() {
  std::string p = env("AWS_PROFILE");
  return p.empty() ? "default" : p;
}

}  // namespace

ListPage parseListPage(const std::string& xml) {
  ListPage page;
  for (const std::string& contents : elements(xml, "Contents")) {
    ObjectInfo o;
    o.key = first(contents, "Key");
    uint64_t size = 0;
    if (parseUint64(first(contents, "Size"), &size)) o.size = size;
    o.etag = first(contents, "ETag");
    page.objects.push_back(std::move(o));
  }
  page.truncated = first(xml, "IsTruncated") == "true";
  page.next_token = first(xml, "NextContinuationToken");
  return page;
}

Credentials credentialsFromEnvironment() {
  Credentials c{env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"), env("AWS_SESSION_TOKEN")};
  if (!c.empty()) return c;
  auto ini = readIni(awsFile("AWS_SHARED_CREDENTIALS_FILE", "credentials"));
  auto it = ini.find(profile());
  if (it == ini.end()) return {};
  return {it->second["aws_access_key_id"], it->second["aws_secret_access_key"],
          it->second["aws_session_token"]};
}

std::string regionFromEnvironment() {
  if (std::string r = env("AWS_REGION"); !r.empty()) return r;
  if (std::string r = env("AWS_DEFAULT_REGION"); !r.empty()) return r;
  auto ini = readIni(awsFile("AWS_CONFIG_FILE", "config"));
  auto it = ini.find(profile());
  return it == ini.end() ? "" : it->second["region"];
}

ClientConfig configFromEnvironment(const std::string& region, const std::string& endpoint) {
  ClientConfig c;
  c.credentials = credentialsFromEnvironment();
  c.region = region.empty() ? regionFromEnvironment() : region;
  if (c.region.empty()) c.region = "us-east-1";
  c.endpoint = endpoint;
  c.http.attempts = 3;
  // Parallel ranges pay where one connection is the limit (AWS: ~100 MB/s each, and awscli does
  // the same). Against a server on the same machine (bench/s3_staging.sh, s3rver on loopback)
  // they gained nothing (1 GiB: 2,990 ms against 2,518-2,745 ms for one stream), so custom
  // endpoints get one stream.
  if (!endpoint.empty()) c.parallel_get_threshold = UINT64_MAX;
  return c;
}

namespace {

// Runs fn(0) … fn(count - 1) on up to `threads` threads (this one included); once one fails no
// new ones start, and the first failure is returned.
Status inParallel(uint64_t count, int threads, const std::function<Status(uint64_t)>& fn) {
  std::atomic<uint64_t> next{0};
  std::mutex mu;
  Status failure = Status::ok();
  auto worker = [&] {
    for (uint64_t i = next++; i < count; i = next++) {
      {
        std::lock_guard lock(mu);
        if (!failure.isOk()) return;
      }
      Status st = fn(i);
      if (!st.isOk()) {
        std::lock_guard lock(mu);
        if (failure.isOk()) failure = std::move(st);
        return;
      }
    }
  };
  std::vector<std::thread> pool;
  for (uint64_t t = 1; t < std::min<uint64_t>(static_cast<uint64_t>(std::max(threads, 1)), count);
       ++t) {
    pool.emplace_back(worker);
  }
  worker();
  for (auto& t : pool) t.join();
  return failure;
}

}  // namespace

Result<S3Client::Prepared> S3Client::prepare(
    const std::string& method, const std::string& bucket, const std::string& key,
    const std::vector<std::pair<std::string, std::string>>& query,
    const std::string& payload_sha256) const {
  SignInput in;
  in.method = method;
  in.payload_sha256 = payload_sha256;
  COD_ASSIGN_OR_RETURN(std::string scheme_host, target(bucket, key, &in));
  in.query = query;
  Prepared out;
  if (config_.credentials.empty()) {
    SignedHeaders unsigned_request =
        signV4(in, Credentials{"-", "-", ""}, config_.region, config_.clock->now());
    out.url =
        scheme_host + unsigned_request.canonical_path +
        (unsigned_request.canonical_query.empty() ? "" : "?" + unsigned_request.canonical_query);
    return out;
  }
  SignedHeaders s = signV4(in, config_.credentials, config_.region, config_.clock->now());
  out.url =
      scheme_host + s.canonical_path + (s.canonical_query.empty() ? "" : "?" + s.canonical_query);
  out.headers = std::move(s.headers);
  return out;
}

Result<std::string> S3Client::target(const std::string& bucket, const std::string& key,
                                     SignInput* in) const {
  // Both become part of a host name on AWS: nothing that could change which host is reached.
  if (!isS3BucketName(bucket)) {
    return invalidArgument("S3 bucket \"" + bucket +
                           "\" is not a bucket name (letters, digits, '-', '.', '_')");
  }
  if (!isS3RegionName(config_.region)) {
    return invalidArgument("S3 region \"" + config_.region +
                           "\" is not a region name (like eu-west-1)");
  }
  if (config_.endpoint.empty()) {
    in->host = bucket + ".s3." + config_.region + ".amazonaws.com";
    in->path = "/" + key;
    return "https://" + in->host;
  }
  std::string lower = toLower(config_.endpoint);
  if (!startsWith(lower, "http://") && !startsWith(lower, "https://")) {
    return invalidArgument("S3 Endpoint \"" + config_.endpoint +
                           "\" must be an http:// or https:// URL");
  }
  std::string base_path;
  splitEndpoint(config_.endpoint, &in->host, &base_path);
  // No trailing slash on a bucket-level path: some servers refuse "/bucket/?…".
  in->path = base_path + "/" + bucket + (key.empty() ? "" : "/" + key);
  return config_.endpoint.substr(0, config_.endpoint.find("://") + 3) + in->host;
}

Result<std::string> S3Client::presign(const std::string& method, const std::string& bucket,
                                      const std::string& key, int64_t expires_secs) const {
  if (config_.credentials.empty()) {
    return failedPrecondition("no AWS credentials to presign s3://" + bucket + "/" + key + " with");
  }
  SignInput in;
  in.method = method;
  COD_ASSIGN_OR_RETURN(std::string scheme_host, target(bucket, key, &in));
  return scheme_host +
         presignV4(in, config_.credentials, config_.region, config_.clock->now(), expires_secs);
}

Status S3Client::errorFor(long status, const std::string& body, const std::string& what) const {
  std::string code = first(body, "Code");
  std::string message = first(body, "Message");
  std::string text = what + ": " + (code.empty() ? "HTTP " + std::to_string(status) : code) +
                     (message.empty() ? "" : " (" + message + ")");
  if (code == "NoSuchBucket" || code == "NoSuchKey" || code == "NoSuchVersion" || status == 404) {
    return notFound(text);
  }
  if (code == "AccessDenied" || code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId" ||
      code == "ExpiredToken" || status == 401 || status == 403) {
    return Status(StatusCode::kPermissionDenied, text)
        .withHint(config_.credentials.empty()
                      ? "no AWS credentials were found on the compute node: set "
                        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or ~/.aws/credentials"
                      : "check the compute node's AWS credentials (AWS_ACCESS_KEY_ID, "
                        "AWS_PROFILE, ~/.aws/credentials) and the bucket's region");
  }
  if (status >= 500) return unavailable(text);
  return failedPrecondition(text);
}

Result<std::vector<ObjectInfo>> S3Client::listObjects(const std::string& bucket,
                                                      const std::string& prefix,
                                                      CancelToken* cancel) const {
  std::vector<ObjectInfo> out;
  std::string token;
  const std::string what = "listing s3://" + bucket + "/" + prefix;
  while (true) {
    std::vector<std::pair<std::string, std::string>> query{{"list-type", "2"}};
    if (!prefix.empty()) query.emplace_back("prefix", prefix);
    if (!token.empty()) query.emplace_back("continuation-token", token);
    COD_ASSIGN_OR_RETURN(Prepared req, prepare("GET", bucket, "", query));
    http::DownloadOptions options = config_.http;
    options.headers = req.headers;
    options.max_bytes = size_t{64} * 1024 * 1024;
    auto got = http::get(req.url, options, cancel);
    if (!got.isOk()) return Status(got.status()).prepend(what);
    if (got->status != 200) return errorFor(got->status, got->body, what);
    ListPage page = parseListPage(got->body);
    for (auto& o : page.objects) out.push_back(std::move(o));
    if (!page.truncated || page.next_token.empty()) return out;
    token = page.next_token;
  }
}

Status S3Client::getObject(const std::string& bucket, const std::string& key,
                           const std::string& version_id, const std::string& path,
                           CancelToken* cancel, uint64_t size, const std::string& etag) const {
  const std::string what = "downloading s3://" + bucket + "/" + key;
  std::vector<std::pair<std::string, std::string>> query;
  if (!version_id.empty()) query.emplace_back("versionId", version_id);
  if (size > config_.parallel_get_threshold && !etag.empty() && config_.upload_threads > 1) {
    // Ranges into one preallocated file, each pinned to the listed ETag so that an object
    // replaced meanwhile fails (412) instead of mixing two versions.
    {
      std::ofstream create(path, std::ios::binary | std::ios::trunc);
      if (!create) return internalError("cannot write " + path);
    }
    std::error_code ec;
    std::filesystem::resize_file(path, size, ec);
    if (ec) return internalError("cannot write " + path + ": " + ec.message());
    const uint64_t part = std::max<uint64_t>(config_.part_size, 1);
    const uint64_t ranges = (size + part - 1) / part;
    return inParallel(ranges, config_.upload_threads, [&](uint64_t i) -> Status {
      uint64_t from = i * part;
      uint64_t to = std::min(size, from + part) - 1;
      COD_ASSIGN_OR_RETURN(Prepared req, prepare("GET", bucket, key, query));
      http::DownloadOptions options = config_.http;
      options.headers = req.headers;
      options.headers.emplace_back("Range",
                                   "bytes=" + std::to_string(from) + "-" + std::to_string(to));
      options.headers.emplace_back("If-Match", etag);
      options.write_offset = from;
      auto got = http::download(req.url, path, options, cancel);
      if (!got.isOk()) return Status(got.status()).prepend(what);
      if (got->bytes != to - from + 1) {
        return unavailable(what + ": a range came back short (" + std::to_string(got->bytes) +
                           " of " + std::to_string(to - from + 1) + " bytes)");
      }
      return Status::ok();
    });
  }
  COD_ASSIGN_OR_RETURN(Prepared req, prepare("GET", bucket, key, query));
  http::DownloadOptions options = config_.http;
  options.headers = req.headers;
  // The bytes must be those the listing named (the input cache keys them by that ETag), and no
  // more of them than it said; a server that trickles still ends (at 1 MiB/s plus 10 minutes).
  if (!etag.empty()) options.headers.emplace_back("If-Match", etag);
  if (size > 0) {
    options.max_bytes = size;
    if (options.timeout.count() == 0) {
      options.timeout = std::chrono::minutes(10) + std::chrono::seconds(size >> 20);
    }
  }
  auto got = http::download(req.url, path, options, cancel);
  if (got.isOk()) return Status::ok();
  if (got.status().message().find("HTTP 412") != std::string::npos) {
    return unavailable(what +
                       ": the object changed while it was being staged; a retry lists it "
                       "again");
  }
  switch (got.status().code()) {
    case StatusCode::kNotFound:
    case StatusCode::kFailedPrecondition: {
      // The error document is in the file.
      std::ifstream in(path, std::ios::binary);
      std::string body((std::istreambuf_iterator<char>(in)), {});
      long status = got.status().code() == StatusCode::kNotFound ? 404 : 403;
      if (got.status().message().find("HTTP 400") != std::string::npos) status = 400;
      return errorFor(status, body, what);
    }
    default: return Status(got.status()).prepend(what);
  }
}

Status S3Client::putObject(const std::string& bucket, const std::string& key,
                           const std::string& path, CancelToken* cancel) const {
  std::error_code size_ec;
  if (std::filesystem::file_size(path, size_ec) > config_.multipart_threshold && !size_ec) {
    return putObjectMultipart(bucket, key, path, cancel).status();
  }
  std::string digest = sha256OfFile(path);
  if (digest.empty()) return internalError("cannot read " + path);
  COD_ASSIGN_OR_RETURN(Prepared req, prepare("PUT", bucket, key, {}, hex(digest)));
  http::DownloadOptions options = config_.http;
  options.headers = req.headers;
  const std::string what = "uploading s3://" + bucket + "/" + key;
  auto got = http::upload(req.url, path, options, cancel);
  if (!got.isOk()) return Status(got.status()).prepend(what);
  if (got->status != 200) return errorFor(got->status, got->body, what);
  return Status::ok();
}

Result<int> S3Client::putObjectMultipart(const std::string& bucket, const std::string& key,
                                         const std::string& path, CancelToken* cancel) const {
  const std::string what = "uploading s3://" + bucket + "/" + key;
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return internalError("cannot read " + path + ": " + ec.message());
  constexpr uint64_t kMaxParts = 10000;
  const auto part_size =
      std::max<uint64_t>({config_.part_size, (size + kMaxParts - 1) / kMaxParts, 1});
  const auto parts = static_cast<int>(std::max<uint64_t>(1, (size + part_size - 1) / part_size));

  // Initiate: the upload ID names the parts that follow.
  COD_ASSIGN_OR_RETURN(Prepared start, prepare("POST", bucket, key, {{"uploads", ""}}));
  http::DownloadOptions options = config_.http;
  options.headers = start.headers;
  options.method = "POST";
  auto started = http::get(start.url, options, cancel);
  if (!started.isOk()) return Status(started.status()).prepend(what);
  if (started->status != 200) return errorFor(started->status, started->body, what);
  const std::string upload_id = first(started->body, "UploadId");
  if (upload_id.empty()) return unavailable(what + ": the server sent no UploadId");

  std::vector<std::string> etags(static_cast<size_t>(parts));
  Status failure =
      inParallel(static_cast<uint64_t>(parts), config_.upload_threads, [&](uint64_t n) -> Status {
        const auto i = static_cast<int>(n);
        const uint64_t offset = n * part_size;
        const uint64_t length = std::min(part_size, size - offset);
        std::string digest = sha256OfFileRange(path, offset, length);
        if (digest.empty()) return internalError("cannot read " + path);
        COD_ASSIGN_OR_RETURN(
            Prepared req,
            prepare("PUT", bucket, key,
                    {{"partNumber", std::to_string(i + 1)}, {"uploadId", upload_id}}, hex(digest)));
        http::DownloadOptions part_options = config_.http;
        part_options.headers = req.headers;
        auto got = http::uploadRange(req.url, path, offset, length, part_options, cancel);
        if (!got.isOk()) return Status(got.status()).prepend(what);
        if (got->status != 200) return errorFor(got->status, got->body, what);
        auto etag = got->headers.find("etag");
        if (etag == got->headers.end() || etag->second.empty()) {
          return unavailable(what + ": the server sent no ETag for part " + std::to_string(i + 1));
        }
        etags[n] = etag->second;
        return Status::ok();
      });

  auto abort = [&] {
    // Best effort: an upload left behind costs storage until a lifecycle rule removes it.
    auto req = prepare("DELETE", bucket, key, {{"uploadId", upload_id}});
    if (!req.isOk()) return;
    http::DownloadOptions o = config_.http;
    o.headers = req->headers;
    o.method = "DELETE";
    o.attempts = 1;
    (void)http::get(req->url, o, nullptr);
  };
  if (!failure.isOk()) {
    abort();
    return failure;
  }
  std::string xml = "<CompleteMultipartUpload>";
  for (int i = 0; i < parts; ++i) {
    xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" +
           etags[static_cast<size_t>(i)] + "</ETag></Part>";
  }
  xml += "</CompleteMultipartUpload>";
  COD_ASSIGN_OR_RETURN(Prepared done,
                       prepare("POST", bucket, key, {{"uploadId", upload_id}}, sha256Hex(xml)));
  http::DownloadOptions done_options = config_.http;
  done_options.headers = done.headers;
  auto completed = http::post(done.url, xml, done_options, cancel);
  // S3 may answer 200 and still report an error in the body.
  if (!completed.isOk() || completed->status != 200 || !first(completed->body, "Code").empty()) {
    abort();
    if (!completed.isOk()) return Status(completed.status()).prepend(what);
    return errorFor(completed->status == 200 ? 500 : completed->status, completed->body, what);
  }
  return parts;
}

}  // namespace cod::s3
