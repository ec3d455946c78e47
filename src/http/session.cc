#include "http/session.h"

#include <curl/curl.h>

#include <cerrno>
#include <cstdlib>
#include <mutex>

#include "common/check.h"
#include "common/strings.h"

namespace cod::http {

namespace {

// curl_global_init is not thread-safe in older libcurl releases; run it once per process.
void initCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Sink {
  std::string* body = nullptr;
  const std::function<void(std::string_view)>* on_data = nullptr;
};

size_t onData(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  std::string_view chunk(data, size * count);
  if (sink->on_data != nullptr && *sink->on_data) {
    (*sink->on_data)(chunk);
  } else {
    sink->body->append(chunk);
  }
  return size * count;
}

struct HeaderSink {
  std::map<std::string, std::string>* headers = nullptr;
  const std::function<void(long)>* on_headers = nullptr;
  long status = 0;
  bool announced = false;  // on_headers ran for this answer (trailers come without a status line)
};

size_t onHeaderLine(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<HeaderSink*>(user);
  std::string_view line(data, size * count);
  if (startsWith(line, "HTTP/")) {
    sink->headers->clear();  // a new answer (after a redirect or a 1xx)
    sink->announced = false;
    // "HTTP/1.1 200 OK": the status is the second word.
    size_t space = line.find(' ');
    sink->status = space == std::string_view::npos
                       ? 0
                       : std::strtol(std::string(line.substr(space + 1, 3)).c_str(), nullptr, 10);
    return size * count;
  }
  if (trim(line).empty()) {
    // The end of a header block; a 1xx is followed by the real answer's.
    if (sink->status >= 200 && !sink->announced && *sink->on_headers) {
      sink->announced = true;
      (*sink->on_headers)(sink->status);
    }
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    (*sink->headers)[toLower(trim(line.substr(0, colon)))] =
        std::string(trim(line.substr(colon + 1)));
  }
  return size * count;
}

// A short, lower-case reason for a transport failure. `os_errno` is the socket error curl saw.
std::string describeFailure(CURLcode code, long os_errno, const char* error_buffer) {
  switch (os_errno) {
    case ECONNREFUSED: return "connection refused";
    case EHOSTUNREACH: return "no route to host";
    case ENETUNREACH: return "network is unreachable";
    case ECONNRESET: return "the connection was reset";
    case ENOENT: return "no such socket";
    case EACCES: return "permission denied";
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

// libcurl calls it about once a second, and more often while data flows.
int onProgress(void* abort, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(abort)->load() ? 1 : 0;
}

}  // namespace

Session::Session(SessionOptions options) : options_(std::move(options)) {
  initCurlOnce();
  CURL* curl = curl_easy_init();
  COD_CHECK(curl != nullptr) << "curl_easy_init failed";
  curl_ = curl;
  curl_slist* headers = nullptr;
  // Without this, libcurl waits for "100 Continue" before sending a large body.
  headers = curl_slist_append(headers, "Expect:");
  for (const std::string& h : options_.headers) headers = curl_slist_append(headers, h.c_str());
  headers_ = headers;
}

Session::~Session() {
  curl_easy_cleanup(static_cast<CURL*>(curl_));
  curl_slist_free_all(static_cast<curl_slist*>(headers_));
}

Result<Response> Session::send(const SessionRequest& request) {
  CURL* curl = static_cast<CURL*>(curl_);
  // Options persist on a reused handle: every request sets each of them again.
  Response response;
  Sink sink{&response.body, &request.on_data};
  HeaderSink header_sink{&response.headers, &request.on_headers};
  char error_buffer[CURL_ERROR_SIZE] = {0};
  auto timeout = request.timeout.count() > 0 ? request.timeout : options_.timeout;

  auto* headers = static_cast<curl_slist*>(headers_);
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> request_headers(nullptr, &curl_slist_free_all);
  if (request.has_body && !request.content_type.empty()) {
    // The session's headers, then this request's Content-Type.
    curl_slist* list = nullptr;
    for (curl_slist* h = headers; h != nullptr; h = h->next)
      list = curl_slist_append(list, h->data);
    list = curl_slist_append(list, ("Content-Type: " + request.content_type).c_str());
    request_headers.reset(list);
    headers = list;
  }

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH,
                   options_.unix_socket.empty() ? nullptr : options_.unix_socket.c_str());
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, options_.accept_encoding ? "" : nullptr);
  curl_easy_setopt(curl, CURLOPT_NOPROXY,
                   options_.no_proxy.empty() ? nullptr : options_.no_proxy.c_str());
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &onData);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &onHeaderLine);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &header_sink);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, options_.max_redirects > 0 ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, options_.max_redirects);
  if (request.method == "GET" && !request.has_body) {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, nullptr);
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (request.has_body) {
    // POSTFIELDS with a custom verb sends the body with PUT/DELETE as well.
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  } else {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  if (request.abort != nullptr) {
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &onProgress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, request.abort);
  } else {
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 1L);
  }

  CURLcode code = curl_easy_perform(curl);
  // The buffer and the per-request list die with this frame.
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, static_cast<curl_slist*>(headers_));
  if (code == CURLE_OPERATION_TIMEDOUT) return deadlineExceeded("no answer in time");
  if (code == CURLE_ABORTED_BY_CALLBACK) return cancelled("the request was given up");
  if (code != CURLE_OK) {
    long os_errno = 0;
    curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
    return unavailable(describeFailure(code, os_errno, error_buffer));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

}  // namespace cod::http
