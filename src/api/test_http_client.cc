#include "api/test_http_client.h"

#include <curl/curl.h>

#include <cctype>

#include <boost/json/parse.hpp>

#include "common/strings.h"

namespace cod::api::testing {

namespace {

size_t onBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t onHeader(char* data, size_t size, size_t n, void* user) {
  auto* headers = static_cast<Headers*>(user);
  std::string_view line(data, size * n);
  if (startsWith(line, "HTTP/")) {
    *headers = Headers();  // a new response (after 100 Continue) starts over
  } else if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    headers->add(std::string(trim(line.substr(0, colon))),
                 std::string(trim(line.substr(colon + 1))));
  }
  return size * n;
}

struct CurlInit {
  CurlInit() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

}  // namespace

boost::json::value TestResponse::json() const {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  return ec ? boost::json::value() : v;
}

TestHttpClient::TestHttpClient(uint16_t port, const std::string& host)
    : base_("http://" + host + ":" + std::to_string(port)) {
  static CurlInit init;
  curl_ = curl_easy_init();
}

TestHttpClient::~TestHttpClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

TestResponse TestHttpClient::request(const std::string& method, const std::string& target,
                                     const std::string& body, const HeaderList& headers) {
  CURL* c = static_cast<CURL*>(curl_);
  curl_easy_reset(c);
  TestResponse res;
  std::string url = base_ + target;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &onBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &res.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &onHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &res.headers);
  if (method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (method != "GET" || !body.empty()) {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  if (!body.empty()) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_slist* list = nullptr;
  bool has_content_type = false;
  for (const auto& [name, value] : headers) {
    if (equalsIgnoreCase(name, "Content-Type")) has_content_type = true;
    std::string line = name;
    line += value.empty() ? ";" : ": ";
    line += value;
    list = curl_slist_append(list, line.c_str());
  }
  if (!body.empty() && !has_content_type) {
    list = curl_slist_append(list, "Content-Type: application/json");
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(list);
  if (rc != CURLE_OK) {
    res.error = curl_easy_strerror(rc);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    res.status = code;
    return res;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res.status);
  long opened = 0;
  curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &opened);
  connections_ += opened;
  return res;
}

std::string urlEncode(const std::string& text) {
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : text) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out.push_back(static_cast<char>(ch));
    } else {
      out.push_back('%');
      out.push_back(kHex[ch >> 4]);
      out.push_back(kHex[ch & 15]);
    }
  }
  return out;
}

}  // namespace cod::api::testing
