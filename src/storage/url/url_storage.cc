#include "storage/url/url_storage.h"

#include <filesystem>

#include "common/paths.h"
#include "common/strings.h"
#include "http/http_client.h"
#include "models/locality.h"

namespace cod::storage {

namespace fs = std::filesystem;

namespace {

// filename="a.csv" or filename=a.csv from a Content-Disposition value.
std::string dispositionFileName(const std::string& value) {
  for (const std::string& part : split(value, ';')) {
    std::string_view p = trim(part);
    if (p.size() > 9 && equalsIgnoreCase(p.substr(0, 9), "filename=")) {
      std::string_view name = trim(p.substr(9));
      if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
        name = name.substr(1, name.size() - 2);
      }
      return std::string(name);
    }
  }
  return "";
}

}  // namespace

std::string downloadFileName(const std::string& url, const std::string& content_disposition) {
  std::string name = dispositionFileName(content_disposition);
  if (name.empty()) {
    std::string path = url.substr(0, url.find_first_of("?#"));
    size_t scheme = path.find("://");
    size_t slash = path.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    path = slash == std::string::npos ? "" : path.substr(slash);
    while (!path.empty() && path.back() == '/') path.pop_back();
    name = percentDecode(path.substr(path.rfind('/') + 1), false);
  }
  // A server's or URL's name is as hostile as a spec string: keep only a plain file name.
  if (size_t slash = name.find_last_of("/\\"); slash != std::string::npos) {
    name = name.substr(slash + 1);
  }
  if (!pathSegmentProblem(name).empty()) return "file";
  return name;
}

Status UrlStorage::validate(const models::InputSource& input) {
  std::string url = stringParam(input, "URL");
  if (url.empty()) {
    return invalidArgument(
        "urlDownload Source.Params.URL is required (an http:// or https:// URL)");
  }
  std::string lower = toLower(url.substr(0, 8));
  if (!startsWith(lower, "http://") && !startsWith(lower, "https://")) {
    return invalidArgument(
        "urlDownload Source.Params.URL must be an http:// or https:// URL, got \"" +
        http::redactUrl(url) + "\"");
  }
  return Status::ok();
}

Result<Mount> UrlStorage::prepareCached(const models::InputSource& input, const std::string& url,
                                        const std::filesystem::path& folder,
                                        const http::DownloadOptions& options, CancelToken& cancel) {
  http::DownloadOptions head = options;
  head.method = "HEAD";
  head.attempts = 1;
  auto answer = http::get(url, head, &cancel);
  if (!answer.isOk() || answer->status != 200) {
    return Status(StatusCode::kUnimplemented, "no version from a HEAD");
  }
  auto header = [&](const char* name) {
    auto it = answer->headers.find(name);
    return it == answer->headers.end() ? std::string() : it->second;
  };
  std::string etag = header("etag");
  std::string modified = header("last-modified");
  // A weak ETag (W/"…") does not promise the same bytes.
  if (startsWith(etag, "W/")) etag.clear();
  if (etag.empty() && modified.empty()) {
    return Status(StatusCode::kUnimplemented, "the server names no version");
  }
  http::DownloadOptions pinned = options;
  pinned.resume = false;
  if (!etag.empty()) {
    pinned.headers.emplace_back("If-Match", etag);
  } else {
    pinned.headers.emplace_back("If-Unmodified-Since", modified);
  }
  fs::path file = folder / downloadFileName(url, header("content-disposition"));
  std::string key = "url\n" + url + "\n" + (etag.empty() ? "modified " + modified : etag);
  auto staged = config_.cache->stage(
      key, models::inputLocator(input), file.string(),
      [&](const std::string& path) { return http::download(url, path, pinned, &cancel).status(); });
  if (!staged.isOk()) {
    // 412: it changed between the HEAD and the GET; download it as it is now.
    if (staged.status().message().find("HTTP 412") != std::string::npos) {
      return Status(StatusCode::kUnimplemented, "changed while staging");
    }
    return staged.status();
  }
  return Mount{folder.string(), input.target, true};
}

Result<Mount> UrlStorage::prepare(const models::InputSource& input, const Partition&,
                                  const std::string& dir, CancelToken& cancel) {
  COD_RETURN_IF_ERROR(validate(input));
  if (cancel.cancelled()) return cancelled("staging cancelled");
  std::string url = stringParam(input, "URL");
  fs::path folder = fs::path(dir) / "download";
  std::error_code ec;
  fs::create_directory(folder, ec);
  if (ec) return internalError("cannot create " + folder.string() + ": " + ec.message());
  http::DownloadOptions options;
  options.max_bytes = config_.max_bytes;
  options.timeout = config_.timeout;
  options.attempts = config_.attempts;
  options.backoff = config_.backoff;
  if (config_.cache != nullptr) {
    auto cached = prepareCached(input, url, folder, options, cancel);
    if (cached.isOk() || cached.status().code() != StatusCode::kUnimplemented) return cached;
    // No version to key it by: download it as it is.
  }
  fs::path partial = fs::path(dir) / "download.partial";
  COD_ASSIGN_OR_RETURN(http::DownloadResult got,
                       http::download(url, partial.string(), options, &cancel));
  fs::path file = folder / downloadFileName(url, got.content_disposition);
  fs::rename(partial, file, ec);
  if (ec)
    return internalError("cannot move the download to " + file.string() + ": " + ec.message());
  return Mount{folder.string(), input.target, true};
}

models::InputSource S3PresignedStorage::asDownload(const models::InputSource& input) {
  models::InputSource download = input;
  download.source.type = "urlDownload";
  download.source.params = {{"URL", stringParam(input, "PreSignedURL")}};
  return download;
}

Status S3PresignedStorage::validate(const models::InputSource& input) {
  if (stringParam(input, "PreSignedURL").empty()) {
    return invalidArgument("s3PreSigned Source.Params.PreSignedURL is required");
  }
  Status st = downloads_->validate(asDownload(input));
  if (!st.isOk()) {
    return invalidArgument(
        "s3PreSigned Source.Params.PreSignedURL must be an http:// or https:// "
        "URL, got \"" +
        http::redactUrl(stringParam(input, "PreSignedURL")) + "\"");
  }
  return Status::ok();
}

Result<Mount> S3PresignedStorage::prepare(const models::InputSource& input,
                                          const Partition& partition, const std::string& dir,
                                          CancelToken& cancel) {
  COD_RETURN_IF_ERROR(validate(input));
  return downloads_->prepare(asDownload(input), partition, dir, cancel);
}

Result<Mount> NoopStorage::prepare(const models::InputSource& input, const Partition&,
                                   const std::string& dir, CancelToken& cancel) {
  if (cancel.cancelled()) return cancelled("staging cancelled");
  fs::path empty = fs::path(dir) / "empty";
  std::error_code ec;
  fs::create_directory(empty, ec);
  if (ec) return internalError("cannot create " + empty.string() + ": " + ec.message());
  return Mount{empty.string(), input.target, true};
}

}  // namespace cod::storage
