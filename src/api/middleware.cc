#include "api/middleware.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <optional>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "api/errors.h"
#include "common/ids.h"
#include "common/strings.h"

namespace cod::api {

namespace {

// Request IDs longer than this, or with characters outside printable ASCII, are replaced.
constexpr size_t kMaxRequestIdLength = 128;

bool parseNumber(std::string_view text, uint64_t* out) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return parseUint64(text, out);
}

bool isNumeric(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int comparePrerelease(const std::string& a, const std::string& b) {
  if (a == b) return 0;
  if (a.empty()) return 1;  // a release sorts after its pre-releases
  if (b.empty()) return -1;
  std::vector<std::string> pa = split(a, '.');
  std::vector<std::string> pb = split(b, '.');
  for (size_t i = 0; i < pa.size() && i < pb.size(); ++i) {
    bool na = isNumeric(pa[i]);
    bool nb = isNumeric(pb[i]);
    if (na && nb) {
      uint64_t x = 0;
      uint64_t y = 0;
      parseNumber(pa[i], &x);
      parseNumber(pb[i], &y);
      if (x != y) return x < y ? -1 : 1;
    } else if (na != nb) {
      return na ? -1 : 1;  // numeric identifiers sort first
    } else if (pa[i] != pb[i]) {
      return pa[i] < pb[i] ? -1 : 1;
    }
  }
  if (pa.size() == pb.size()) return 0;
  return pa.size() < pb.size() ? -1 : 1;
}

}  // namespace

int SemVer::compare(const SemVer& o) const {
  if (major != o.major) return major < o.major ? -1 : 1;
  if (minor != o.minor) return minor < o.minor ? -1 : 1;
  if (patch != o.patch) return patch < o.patch ? -1 : 1;
  return comparePrerelease(prerelease, o.prerelease);
}

bool parseSemVer(std::string_view text, SemVer* out) {
  SemVer v;
  if (!text.empty() && (text[0] == 'v' || text[0] == 'V')) text.remove_prefix(1);
  if (size_t plus = text.find('+'); plus != std::string_view::npos) {
    if (plus + 1 == text.size()) return false;
    text = text.substr(0, plus);
  }
  if (size_t dash = text.find('-'); dash != std::string_view::npos) {
    v.prerelease = std::string(text.substr(dash + 1));
    if (v.prerelease.empty()) return false;
    for (const std::string& id : split(v.prerelease, '.')) {
      if (id.empty()) return false;
      for (char c : id) {
        bool ok =
            (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
        if (!ok) return false;
      }
    }
    text = text.substr(0, dash);
  }
  std::vector<std::string> parts = split(text, '.');
  if (parts.empty() || parts.size() > 3) return false;
  uint64_t* fields[3] = {&v.major, &v.minor, &v.patch};
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!parseNumber(parts[i], fields[i])) return false;
  }
  *out = std::move(v);
  return true;
}

ClientVersionVerdict checkClientVersion(std::string_view client_version) {
  if (client_version.empty() || client_version == "v0.0.0" ||
      startsWith(client_version, "v0.0.0-")) {
    return ClientVersionVerdict::kAccepted;
  }
  SemVer client;
  if (!parseSemVer(client_version, &client)) return ClientVersionVerdict::kInvalid;
  SemVer min;
  parseSemVer(kMinClientVersion, &min);
  return client.compare(min) < 0 ? ClientVersionVerdict::kOutdated
                                 : ClientVersionVerdict::kAccepted;
}

Middleware::Middleware(const Router* router, ServerHeaders headers, CorsConfig cors,
                       const Authorizer* auth)
    : router_(router), headers_(std::move(headers)), cors_(std::move(cors)), auth_(auth) {}

namespace {

// "http://Host:1234/" → "http://host:1234": origins compare without case or a trailing slash.
std::string canonicalOrigin(std::string_view origin) {
  std::string out = toLower(trim(origin));
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out;
}

// The host[:port] part of an origin ("" when it has no scheme).
std::string_view originHost(std::string_view origin) {
  size_t scheme = origin.find("://");
  return scheme == std::string_view::npos ? std::string_view() : origin.substr(scheme + 3);
}

bool isSafeMethod(const std::string& method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

}  // namespace

bool Middleware::originAllowed(const HttpRequest& req) const {
  const std::string* origin = req.headers.find("Origin");
  if (origin == nullptr) return true;
  std::string want = canonicalOrigin(*origin);
  // A page the API serves itself: same scheme-less host and port as the request's Host.
  if (!want.empty() && originHost(want) == toLower(trim(req.headers.get("Host")))) return true;
  return std::any_of(cors_.allowed_origins.begin(), cors_.allowed_origins.end(),
                     [&](const std::string& o) { return o == "*" || canonicalOrigin(o) == want; });
}

std::optional<HttpResponse> Middleware::crossSiteCheck(const HttpRequest& req) const {
  if (originAllowed(req)) return std::nullopt;
  if (req.method != "OPTIONS" && isSafeMethod(req.method)) return std::nullopt;
  std::string origin = req.headers.get("Origin");
  return errorResponse(403, "Forbidden",
                       "requests from web pages of origin " + origin + " are not allowed",
                       kComponentApiServer, req.request_id,
                       "to let a web UI at that origin use this API, start cod with "
                       "--allowed-origins " +
                           origin);
}

std::optional<HttpResponse> Middleware::mediaTypeCheck(const HttpRequest& req) const {
  bool needs_json = req.method == "POST" ||
                    (!req.body.empty() && !isSafeMethod(req.method) && req.method != "DELETE");
  if (!needs_json) return std::nullopt;
  std::string type = req.headers.get("Content-Type");
  std::string media = toLower(trim(std::string_view(type).substr(0, type.find(';'))));
  if (media == "application/json") return std::nullopt;
  return errorResponse(
      415, kErrorCodeUnsupportedMediaType,
      type.empty() ? "a request body needs Content-Type: application/json"
                   : "unsupported Content-Type \"" + type + "\": request bodies are JSON",
      kComponentApiServer, req.request_id, "send the body with Content-Type: application/json");
}

std::optional<HttpResponse> Middleware::authCheck(const HttpRequest& req) const {
  if (auth_ == nullptr || !auth_->enabled()) return std::nullopt;
  Authorizer::Decision d = auth_->authorize(req);
  if (d.status == 200) return std::nullopt;
  spdlog::info("api: {} {} refused ({}): {} (request {})", req.method, req.path, d.status,
               d.message, req.request_id);
  HttpResponse res =
      errorResponse(d.status, d.code, d.message, kComponentApiServer, req.request_id, d.hint);
  if (d.status == 401)
    res.headers.set("WWW-Authenticate", "Bearer realm=\"cod\", Basic realm=\"cod\"");
  return res;
}

void Middleware::assignRequestId(HttpRequest& req) const {
  std::string id = req.headers.get("X-Request-ID");
  bool valid = !id.empty() && id.size() <= kMaxRequestIdLength;
  for (char c : id) {
    if (c < 0x21 || c > 0x7e) valid = false;
  }
  req.request_id = valid ? std::move(id) : newUuid();
}

std::optional<HttpResponse> Middleware::versionCheck(const HttpRequest& req) const {
  const std::string* header = req.headers.find("X-Bacalhau-Git-Version");
  if (header == nullptr) return std::nullopt;
  switch (checkClientVersion(*header)) {
    case ClientVersionVerdict::kAccepted: return std::nullopt;
    case ClientVersionVerdict::kInvalid: {
      boost::json::object body;
      body["Error"] = "Invalid client version " + *header;
      return HttpResponse::json(400, boost::json::serialize(body));
    }
    case ClientVersionVerdict::kOutdated: {
      boost::json::object body;
      body["Error"] = "Client version is outdated. Update your client";
      body["MinVersion"] = kMinClientVersion;
      body["ClientVersion"] = *header;
      body["ServerVersion"] = headers_.git_version;
      return HttpResponse::json(403, boost::json::serialize(body));
    }
  }
  return std::nullopt;
}

HttpResponse Middleware::dispatch(HttpRequest& req) {
  if (std::optional<HttpResponse> refused = crossSiteCheck(req)) return std::move(*refused);
  if (req.method == "OPTIONS") {
    HttpResponse res;
    res.status = 204;
    res.headers.set("Access-Control-Allow-Methods", "GET, HEAD, PUT, PATCH, POST, DELETE");
    std::string requested = req.headers.get("Access-Control-Request-Headers");
    if (!requested.empty()) res.headers.set("Access-Control-Allow-Headers", requested);
    res.headers.set("Access-Control-Max-Age", "86400");
    res.headers.add("Vary", "Access-Control-Request-Method");
    res.headers.add("Vary", "Access-Control-Request-Headers");
    return res;
  }
  if (std::optional<HttpResponse> refused = versionCheck(req)) return std::move(*refused);
  if (std::optional<HttpResponse> refused = authCheck(req)) return std::move(*refused);
  if (std::optional<HttpResponse> refused = mediaTypeCheck(req)) return std::move(*refused);
  return router_->route(req);
}

HttpResponse Middleware::handle(HttpRequest& req) {
  auto start = std::chrono::steady_clock::now();
  HttpResponse res;
  try {
    assignRequestId(req);
    res = dispatch(req);
  } catch (const std::exception& e) {
    spdlog::error("api: {} {} failed with an exception: {} (request {})", req.method, req.path,
                  e.what(), req.request_id);
    res = errorResponse(500, "InternalError", "Internal server error", kComponentApiServer,
                        req.request_id);
  } catch (...) {
    spdlog::error("api: {} {} failed with an unknown exception (request {})", req.method, req.path,
                  req.request_id);
    res = errorResponse(500, "InternalError", "Internal server error", kComponentApiServer,
                        req.request_id);
  }
  decorate(req, res);
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("{} {} {} {:.3f} {} {}", req.method, req.path, res.status, ms, res.body.size(),
               req.request_id);
  return res;
}

HttpResponse Middleware::reject(HttpRequest& req, const Status& status) {
  if (req.request_id.empty()) assignRequestId(req);
  HttpResponse res = errorResponse(status, req.request_id);
  decorate(req, res);
  spdlog::info("{} {} {} {:.3f} {} {}", req.method, req.path, res.status, 0.0, res.body.size(),
               req.request_id);
  return res;
}

void Middleware::decorate(const HttpRequest& req, HttpResponse& res) const {
  if (const std::string* origin = req.headers.find("Origin")) {
    if (originAllowed(req)) {
      bool any = std::find(cors_.allowed_origins.begin(), cors_.allowed_origins.end(), "*") !=
                 cors_.allowed_origins.end();
      res.headers.set("Access-Control-Allow-Origin", any ? "*" : *origin);
    }
    res.headers.add("Vary", "Origin");
  }
  res.headers.set("X-Request-ID", req.request_id);
  res.headers.set("X-Bacalhau-Git-Version", headers_.git_version);
  res.headers.set("X-Bacalhau-Git-Commit", headers_.git_commit);
  res.headers.set("X-Bacalhau-Build-Date", headers_.build_date);
  res.headers.set("X-Bacalhau-Build-OS", headers_.build_os);
  res.headers.set("X-Bacalhau-Arch", headers_.arch);
  if (!res.body.empty() && !res.headers.has("Content-Type")) {
    res.headers.set("Content-Type", "application/json");
  }
}

}  // namespace cod::api
