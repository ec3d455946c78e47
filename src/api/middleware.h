#pragma once

// Every cross-cutting concern of the REST API, in one place and in this order
// (reference/bacalhau-api.md §1):
//   1. CORS and cross-site requests: browsers may call the API only from the origins the operator
//      lists (CorsConfig; none by default, so only pages the API serves itself). An allowed
//      origin is echoed in Access-Control-Allow-Origin; OPTIONS preflights are answered (204, or
//      403 for another origin) without reaching the router; a request that changes something
//      (not GET/HEAD/OPTIONS) from a page of another origin is refused with 403 whatever the
//      browser does with the answer.
//   2. Recover: an exception escaping a handler becomes a 500 error body; it never crashes.
//   3. Request ID: the request's X-Request-ID is echoed, or a new one is generated; it is copied
//      into error bodies and the X-Request-ID response header.
//   4. Body limit: enforced by the server before the body is read (→ reject(), 413).
//   5. Server headers: the five X-Bacalhau-* build headers.
//   6. Request log: "method path status duration_ms bytes request_id" at info level.
//   7. Client version check: X-Bacalhau-Git-Version unparsable → 400, older than v1.4.0 → 403.
//   8. Authentication and capabilities (auth.h), when users are configured: no or bad
//      credentials → 401 with WWW-Authenticate, a user without the capability → 403.
//   9. Media type: a body must be application/json (415 otherwise), and so must every POST's;
//      browsers send text/plain and form bodies cross-site without asking first.
//  10. Router.
//
// Thread-safety: handle()/reject() may run concurrently; the middleware holds no mutable state.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/auth.h"
#include "api/http.h"
#include "api/router.h"

namespace cod::api {

// Values of the X-Bacalhau-* headers sent with every response.
struct ServerHeaders {
  std::string git_version;
  std::string git_commit;
  std::string build_date;  // RFC 3339
  std::string build_os;
  std::string arch;
};

struct CorsConfig {
  // Origins ("https://ui.example.com", scheme://host[:port]) whose pages may call the API; "*"
  // allows every origin.
  std::vector<std::string> allowed_origins;
};

// The oldest Bacalhau client version the API accepts.
inline constexpr const char* kMinClientVersion = "1.4.0";

struct SemVer {
  uint64_t major = 0;
  uint64_t minor = 0;
  uint64_t patch = 0;
  std::string prerelease;  // "rc.1"; a pre-release sorts before its release
  // <0, 0, >0 like strcmp; build metadata is ignored.
  int compare(const SemVer& o) const;
};

// Parses "v1.2.3", "1.2.3", "1.2", "1", each with optional "-pre" and "+build" suffixes.
bool parseSemVer(std::string_view text, SemVer* out);

enum class ClientVersionVerdict { kAccepted, kInvalid, kOutdated };
// The verdict for a client's X-Bacalhau-Git-Version header value. Absent, "", "v0.0.0" and
// "v0.0.0-<commit>" (development builds) are accepted.
ClientVersionVerdict checkClientVersion(std::string_view client_version);

class Middleware final : public HttpHandler {
 public:
  // `router` (and `auth`, when not null) must outlive the middleware. A null or disabled `auth`
  // lets every request through.
  Middleware(const Router* router, ServerHeaders headers, CorsConfig cors = {},
             const Authorizer* auth = nullptr);

  HttpResponse handle(HttpRequest& req) override;
  HttpResponse reject(HttpRequest& req, const Status& status) override;

 private:
  HttpResponse dispatch(HttpRequest& req);
  // The refusal for an unusable client version, or nullopt.
  std::optional<HttpResponse> versionCheck(const HttpRequest& req) const;
  void assignRequestId(HttpRequest& req) const;
  void decorate(const HttpRequest& req, HttpResponse& res) const;
  // Whether a page of the request's Origin may read the answer (no Origin: not a browser page).
  bool originAllowed(const HttpRequest& req) const;
  // Refusals before routing: cross-site writes, bodies that are not JSON.
  std::optional<HttpResponse> crossSiteCheck(const HttpRequest& req) const;
  std::optional<HttpResponse> mediaTypeCheck(const HttpRequest& req) const;
  std::optional<HttpResponse> authCheck(const HttpRequest& req) const;

  const Router* router_;
  ServerHeaders headers_;
  CorsConfig cors_;
  const Authorizer* auth_;
};

}  // namespace cod::api
