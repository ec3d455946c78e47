#include "api/client/http_transport.h"

#include <cstdlib>

#include "common/strings.h"
#include "common/units.h"

namespace cod::api::client {

namespace {

// Loopback never goes through a proxy, whatever http_proxy says; the user's no_proxy list is kept.
std::string noProxyList() {
  std::string list = "localhost,127.0.0.1,::1";
  for (const char* name : {"NO_PROXY", "no_proxy"}) {
    const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read-only use
    if (value != nullptr && *value != '\0') {
      list += ",";
      list += value;
      break;
    }
  }
  return list;
}

http::SessionOptions sessionOptions(const CurlTransportOptions& options) {
  http::SessionOptions o;
  o.connect_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options.timeout);
  o.timeout = o.connect_timeout;
  o.headers = {"Content-Type: application/json", "Accept: application/json"};
  o.headers.insert(o.headers.end(), options.headers.begin(), options.headers.end());
  o.user_agent = "cod-cli";
  o.max_redirects = 5;
  o.accept_encoding = true;  // every encoding curl can decode
  o.no_proxy = noProxyList();
  o.ca_file = options.ca_file;
  return o;
}

}  // namespace

std::string unreachableMessage(const std::string& base_url, const std::string& reason) {
  return "cannot reach the cod API at " + base_url + ": " + reason +
         " (is 'cod serve' running? set --api-host/--api-port or COD_API_HOST/COD_API_PORT)";
}

CurlTransport::CurlTransport(CurlTransportOptions options)
    : options_(std::move(options)), session_(sessionOptions(options_)) {}

Result<TransportResponse> CurlTransport::send(const TransportRequest& request) {
  http::SessionRequest r;
  r.method = request.method;
  r.url = options_.base_url + request.target;
  r.has_body = request.method != "GET";
  r.body = request.body;
  auto got = session_.send(r);
  if (!got.isOk()) {
    if (got.status().code() == StatusCode::kDeadlineExceeded) {
      return deadlineExceeded("the cod API at " + options_.base_url + " did not answer " +
                              request.method + " " + request.target + " within " +
                              formatDuration(options_.timeout))
          .withComponent("APIClient");
    }
    std::string reason = got.status().message();
    if (reason.find("SSL") != std::string::npos ||
        reason.find("certificate") != std::string::npos) {
      return unavailable("TLS with the cod API at " + options_.base_url + " failed: " + reason)
          .withComponent("APIClient")
          .withHint(
              "if the API's certificate is not signed by a CA this machine trusts, name its CA "
              "with --api-ca-file (or COD_API_CA_FILE)");
    }
    Status st =
        unavailable(unreachableMessage(options_.base_url, reason)).withComponent("APIClient");
    if (startsWith(options_.base_url, "http://") &&
        reason.find("without answering") != std::string::npos) {
      st.withHint(
          "if the API serves HTTPS, reach it with --api-tls (COD_API_TLS=1) or an https:// "
          "--api-host");
    }
    return st;
  }
  return TransportResponse{static_cast<int>(got->status), std::move(got->body)};
}

}  // namespace cod::api::client
