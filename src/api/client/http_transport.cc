#include "api/client/http_transport.h"

#include <cerrno>
#include <cstdlib>
#include <mutex>

#include <curl/curl.h>

#include "common/strings.h"
#include "common/units.h"

namespace cod::api::client {

namespace {

// curl_global_init is not thread-safe in older libcurl releases; run it once per process.
void initCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t appendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

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

// A short, lower-case reason for a transport failure: "connection refused", "could not resolve
// the host name", or curl's own words. `os_errno` is the socket error curl saw (0 if none).
std::string describeFailure(CURLcode code, long os_errno, const char* error_buffer) {
  switch (os_errno) {
    case ECONNREFUSED: return "connection refused";
    case EHOSTUNREACH: return "no route to host";
    case ENETUNREACH: return "network is unreachable";
    case ECONNRESET: return "the connection was reset";
    default: break;
  }
  std::string detail = error_buffer != nullptr && *error_buffer != '\0'
                           ? std::string(error_buffer)
                           : std::string(curl_easy_strerror(code));
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST: return "could not resolve the host name";
    case CURLE_COULDNT_CONNECT: return "connection failed";
    case CURLE_GOT_NOTHING: return "the server closed the connection without answering";
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR: return "the connection was reset";
    case CURLE_SSL_CONNECT_ERROR: return "TLS handshake failed: " + detail;
    case CURLE_PEER_FAILED_VERIFICATION: return "the server's TLS certificate was rejected";
    default: break;
  }
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == '.')) detail.pop_back();
  return toLower(detail.substr(0, 1)) + detail.substr(std::min<size_t>(1, detail.size()));
}

}  // namespace

std::string unreachableMessage(const std::string& base_url, const std::string& reason) {
  return "cannot reach the cod API at " + base_url + ": " + reason +
         " (is 'cod serve' running? set --api-host/--api-port or COD_API_HOST/COD_API_PORT)";
}

CurlTransport::CurlTransport(CurlTransportOptions options) : options_(std::move(options)) {
  initCurlOnce();
  CURL* curl = curl_easy_init();
  COD_CHECK(curl != nullptr) << "curl_easy_init failed";
  curl_ = curl;
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Accept: application/json");
  // Without this, libcurl waits for "100 Continue" before sending a large body.
  headers = curl_slist_append(headers, "Expect:");
  for (const std::string& h : options_.headers) headers = curl_slist_append(headers, h.c_str());
  headers_ = headers;
}

CurlTransport::~CurlTransport() {
  curl_easy_cleanup(static_cast<CURL*>(curl_));
  curl_slist_free_all(static_cast<curl_slist*>(headers_));
}

Result<TransportResponse> CurlTransport::send(const TransportRequest& request) {
  CURL* curl = static_cast<CURL*>(curl_);
  // Options persist on a reused handle: every request sets each of them again.
  std::string url = options_.base_url + request.target;
  std::string body;
  char error_buffer[CURL_ERROR_SIZE] = {0};
  long timeout_ms = static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.timeout).count());
  std::string no_proxy = noProxyList();

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, static_cast<curl_slist*>(headers_));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // every encoding curl can decode
  curl_easy_setopt(curl, CURLOPT_NOPROXY, no_proxy.c_str());
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "cod-cli");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &appendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
  if (request.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, nullptr);
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else {
    // POSTFIELDS with a custom verb sends the body with PUT/DELETE as well.
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  CURLcode code = curl_easy_perform(curl);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);  // the buffer dies with this frame
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return deadlineExceeded("the cod API at " + options_.base_url + " did not answer " +
                            request.method + " " + request.target + " within " +
                            formatDuration(options_.timeout))
        .withComponent("APIClient");
  }
  if (code != CURLE_OK) {
    long os_errno = 0;
    curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
    return unavailable(
               unreachableMessage(options_.base_url, describeFailure(code, os_errno, error_buffer)))
        .withComponent("APIClient");
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  return TransportResponse{static_cast<int>(status), std::move(body)};
}

}  // namespace cod::api::client
