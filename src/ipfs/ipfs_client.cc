#include "ipfs/ipfs_client.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <vector>

#include "common/archive.h"
#include "common/strings.h"
#include "http/http_client.h"
#include "models/json.h"

namespace cod::ipfs {

namespace fs = std::filesystem;

namespace {

// The "Message" of a Kubo RPC error answer ({"Message":…,"Code":…,"Type":"error"}), or the text.
std::string errorMessage(const std::string& body) {
  auto parsed = models::parseJson(body);
  if (parsed.isOk() && parsed->is_object()) {
    if (const auto* m = parsed->as_object().if_contains("Message"); m && m->is_string()) {
      return std::string(m->as_string());
    }
  }
  return toValidUtf8(utf8Prefix(std::string(trim(body)), 300));
}

std::string readPrefix(const fs::path& file, size_t max) {
  std::ifstream in(file, std::ios::binary);
  std::string text(max, '\0');
  in.read(text.data(), static_cast<std::streamsize>(max));
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

bool looksLikeTimeout(const std::string& message) {
  std::string lower = toLower(message);
  return lower.find("timed out") != std::string::npos ||
         lower.find("timeout") != std::string::npos ||
         lower.find("deadline exceeded") != std::string::npos ||
         lower.find("not found") != std::string::npos;
}

std::string seconds(std::chrono::milliseconds d) {
  return std::to_string(std::max<int64_t>(1, std::chrono::ceil<std::chrono::seconds>(d).count())) +
         "s";
}

}  // namespace

Result<std::string> rpcBaseUrl(const std::string& endpoint) {
  std::string e(trim(endpoint));
  std::string lower = toLower(e);
  if (startsWith(lower, "http://") || startsWith(lower, "https://")) {
    while (!e.empty() && e.back() == '/') e.pop_back();
    if (endsWith(e, "/api/v0")) e.resize(e.size() - 7);
    size_t host = e.find("://") + 3;
    if (host >= e.size() || e.find('/', host) != std::string::npos) {
      return invalidArgument("IPFS endpoint \"" + http::redactUrl(e) +
                             "\" must be http(s)://host:port or a multiaddr like "
                             "/ip4/127.0.0.1/tcp/5001");
    }
    return e;
  }
  // /ip4/HOST/tcp/PORT[/http|/https]
  std::vector<std::string> parts = split(e, '/');
  auto bad = [&] {
    return invalidArgument("IPFS endpoint \"" + e +
                           "\" is neither a multiaddr like /ip4/127.0.0.1/tcp/5001 nor an "
                           "http://host:port URL");
  };
  if (parts.size() < 5 || !parts[0].empty() || parts[3] != "tcp") return bad();
  const std::string& proto = parts[1];
  std::string host = parts[2];
  if (proto == "ip6") {
    host = "[" + host + "]";
  } else if (proto != "ip4" && proto != "dns" && proto != "dns4" && proto != "dns6") {
    return bad();
  }
  if (host.empty() || host.find_first_of("@?#") != std::string::npos) return bad();
  const std::string& port = parts[4];
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return bad();
  }
  std::string scheme = "http";
  if (parts.size() == 6 && parts[5] == "https") {
    scheme = "https";
  } else if (parts.size() > 6 || (parts.size() == 6 && parts[5] != "http")) {
    return bad();
  }
  return scheme + "://" + host + ":" + port;
}

Result<IpfsClient> IpfsClient::create(const IpfsClientConfig& config) {
  COD_ASSIGN_OR_RETURN(std::string base, rpcBaseUrl(config.endpoint));
  return IpfsClient(config, std::move(base));
}

Result<std::string> IpfsClient::version() const {
  http::DownloadOptions options;
  options.method = "POST";
  options.connect_timeout = config_.connect_timeout;
  options.timeout = std::chrono::seconds(30);
  options.max_bytes = 1 << 20;
  options.allow_link_local = true;  // the operator's own node, wherever it is
  COD_ASSIGN_OR_RETURN(http::Response r, http::get(base_ + "/api/v0/version", options));
  if (r.status != 200) {
    return unavailable("the IPFS node at " + config_.endpoint + " answered HTTP " +
                       std::to_string(r.status) + ": " + errorMessage(r.body));
  }
  auto parsed = models::parseJson(r.body);
  if (parsed.isOk() && parsed->is_object()) {
    if (const auto* v = parsed->as_object().if_contains("Version"); v && v->is_string()) {
      return std::string(v->as_string());
    }
  }
  return unavailable("the IPFS node at " + config_.endpoint +
                     " sent no version: " + errorMessage(r.body));
}

Status IpfsClient::get(const std::string& cid, const std::string& dest, CancelToken* cancel) const {
  if (!isCid(cid)) {
    return invalidArgument("\"" + toValidUtf8(utf8Prefix(cid, 100)) + "\" is not a CID");
  }
  const fs::path archive = dest + ".tar";
  const fs::path unpacked = dest + ".d";
  struct Cleanup {
    fs::path a, b;
    ~Cleanup() {
      std::error_code ec;
      fs::remove(a, ec);
      fs::remove_all(b, ec);
    }
  } cleanup{archive, unpacked};

  http::DownloadOptions options;
  options.method = "POST";
  options.connect_timeout = config_.connect_timeout;
  // The node gives up at get_timeout; this client a little later, so the node's answer wins.
  options.timeout = config_.get_timeout + std::chrono::seconds(15);
  options.stall_timeout = std::chrono::ceil<std::chrono::seconds>(options.timeout);
  options.attempts = 1;  // a retry would only wait as long again
  options.max_bytes = config_.max_bytes;
  options.allow_link_local = true;
  const std::string url =
      base_ + "/api/v0/get?arg=" + cid + "&timeout=" + seconds(config_.get_timeout);
  auto got = http::download(url, archive.string(), options, cancel);
  if (!got.isOk()) {
    const Status& st = got.status();
    if (st.code() == StatusCode::kCancelled || st.code() == StatusCode::kResourceExhausted) {
      return st;
    }
    std::string message = fs::exists(archive) ? errorMessage(readPrefix(archive, 4096)) : "";
    if (st.code() == StatusCode::kUnavailable && message.empty()) {
      return Status(StatusCode::kUnavailable, "fetching " + cid + " from the IPFS node at " +
                                                  config_.endpoint + ": " + st.message());
    }
    if (looksLikeTimeout(message) || st.message().find("Timeout") != std::string::npos) {
      return notFound("CID " + cid + " was not found within " + seconds(config_.get_timeout) +
                      " by the IPFS node at " + config_.endpoint +
                      (message.empty() ? "" : " (" + message + ")"));
    }
    return Status(st.code() == StatusCode::kUnavailable ? StatusCode::kUnavailable
                                                        : StatusCode::kFailedPrecondition,
                  "fetching " + cid + " from the IPFS node at " + config_.endpoint + ": " +
                      (message.empty() ? st.message() : message));
  }
  auto x = extractTar(archive.string(), unpacked.string());
  if (!x.isOk()) return std::move(x).error().prepend("unpacking " + cid);
  // The archive holds one entry named after the CID: the file, or the folder's root.
  fs::path root = unpacked / cid;
  std::error_code ec;
  if (!fs::exists(root, ec)) {
    std::vector<fs::path> entries;
    for (const auto& e : fs::directory_iterator(unpacked, ec)) entries.push_back(e.path());
    if (entries.size() != 1) {
      return failedPrecondition("the IPFS node sent an archive for " + cid +
                                " without its root entry");
    }
    root = entries.front();
  }
  fs::rename(root, dest, ec);
  if (ec) return internalError("cannot move " + cid + " to " + dest + ": " + ec.message());
  return Status::ok();
}

Result<std::string> IpfsClient::addDirectory(const std::string& dir, CancelToken* cancel) const {
  static constexpr const char* kRoot = "result";
  std::vector<http::FormPart> parts;
  parts.push_back({kRoot, ""});
  std::error_code ec;
  // Directories come before what they hold, as the node builds the tree in order.
  std::vector<fs::path> entries;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    entries.push_back(it->path());
  }
  if (ec) return internalError("reading " + dir + ": " + ec.message());
  std::sort(entries.begin(), entries.end());
  for (const fs::path& p : entries) {
    std::string rel = std::string(kRoot) + "/" + fs::relative(p, dir, ec).generic_string();
    auto status = fs::symlink_status(p, ec);
    if (fs::is_directory(status)) {
      parts.push_back({rel, ""});
    } else if (fs::is_regular_file(status)) {
      parts.push_back({rel, p.string()});
    }
  }
  http::DownloadOptions options;
  options.connect_timeout = config_.connect_timeout;
  options.max_bytes = 64 << 20;
  options.allow_link_local = true;
  COD_ASSIGN_OR_RETURN(http::Response r,
                       http::postForm(base_ + "/api/v0/add?pin=true&cid-version=0&progress=false",
                                      parts, options, cancel));
  if (r.status != 200) {
    return unavailable("adding " + dir + " to the IPFS node at " + config_.endpoint + ": HTTP " +
                       std::to_string(r.status) + ": " + errorMessage(r.body));
  }
  // NDJSON, one line per entry added; the root is the one named kRoot.
  for (const std::string& line : split(r.body, '\n')) {
    if (trim(line).empty()) continue;
    auto parsed = models::parseJson(line);
    if (!parsed.isOk() || !parsed->is_object()) continue;
    const auto& o = parsed->as_object();
    const auto* name = o.if_contains("Name");
    const auto* hash = o.if_contains("Hash");
    if (name && name->is_string() && name->as_string() == kRoot && hash && hash->is_string()) {
      return std::string(hash->as_string());
    }
  }
  return unavailable("the IPFS node at " + config_.endpoint + " did not say the CID of " + dir +
                     ": " + errorMessage(r.body));
}

}  // namespace cod::ipfs
