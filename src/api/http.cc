#include "api/http.h"

#include <algorithm>
#include <cctype>

#include "common/strings.h"

namespace cod::api {

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) <
           std::tolower(static_cast<unsigned char>(y));
  });
}

const std::string* Headers::find(std::string_view name) const {
  auto it = fields_.find(name);
  return it == fields_.end() ? nullptr : &it->second;
}

std::string Headers::get(std::string_view name, std::string fallback) const {
  if (const std::string* v = find(name)) return *v;
  return fallback;
}

void Headers::set(std::string name, std::string value) {
  erase(name);
  fields_.emplace(std::move(name), std::move(value));
}

void Headers::add(std::string name, std::string value) {
  fields_.emplace(std::move(name), std::move(value));
}

void Headers::erase(std::string_view name) {
  auto [first, last] = fields_.equal_range(name);
  fields_.erase(first, last);
}

std::string HttpRequest::queryValue(std::string_view key, std::string fallback) const {
  auto it = query.find(std::string(key));
  if (it != query.end()) return it->second;
  return fallback;
}

std::vector<std::string> HttpRequest::queryValues(std::string_view key) const {
  std::vector<std::string> out;
  auto [first, last] = query.equal_range(std::string(key));
  for (auto it = first; it != last; ++it) out.push_back(it->second);
  return out;
}

bool HttpRequest::hasQuery(std::string_view key) const {
  return query.find(std::string(key)) != query.end();
}

std::string HttpRequest::pathParam(const std::string& name) const {
  auto it = path_params.find(name);
  return it == path_params.end() ? "" : it->second;
}

HttpResponse HttpResponse::json(int status, std::string body) {
  HttpResponse res;
  res.status = status;
  res.headers.set("Content-Type", "application/json");
  res.body = std::move(body);
  return res;
}

HttpResponse HttpResponse::redirect(int status, std::string location) {
  HttpResponse res;
  res.status = status;
  res.headers.set("Location", std::move(location));
  return res;
}

void parseTarget(std::string_view target, std::string* path,
                 std::multimap<std::string, std::string>* query) {
  size_t q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  // Absolute-form targets ("http://host/path") carry the path after the authority.
  if (size_t scheme = raw_path.find("://"); scheme != std::string_view::npos) {
    size_t slash = raw_path.find('/', scheme + 3);
    raw_path = slash == std::string_view::npos ? std::string_view("/") : raw_path.substr(slash);
  }
  if (size_t hash = raw_path.find('#'); hash != std::string_view::npos) {
    raw_path = raw_path.substr(0, hash);
  }
  *path = percentDecode(raw_path, false);
  if (path->empty()) *path = "/";
  query->clear();
  if (q == std::string_view::npos) return;
  std::string_view rest = target.substr(q + 1);
  if (size_t hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key = percentDecode(pair.substr(0, eq), true);
    std::string value =
        eq == std::string_view::npos ? std::string() : percentDecode(pair.substr(eq + 1), true);
    query->emplace(std::move(key), std::move(value));
  }
}

std::string_view reasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Request Entity Too Large";
    case 415: return "Unsupported Media Type";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}

}  // namespace cod::api
