#include "api/router.h"

#include <set>

#include "api/errors.h"
#include "common/check.h"

namespace cod::api {

std::vector<std::string> Router::splitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    if (i >= path.size()) break;
    size_t next = path.find('/', i);
    if (next == std::string::npos) next = path.size();
    parts.push_back(path.substr(i, next - i));
    i = next;
  }
  return parts;
}

void Router::add(const std::string& method, const std::string& pattern, RouteHandler handler) {
  COD_CHECK(!pattern.empty() && pattern[0] == '/') << "route pattern must be absolute: " << pattern;
  for (const Route& r : routes_) {
    COD_CHECK(!(r.method == method && r.pattern == pattern))
        << "duplicate route " << method << " " << pattern;
  }
  Route route;
  route.method = method;
  route.pattern = pattern;
  for (std::string& part : splitPath(pattern)) {
    Segment seg;
    seg.is_param = part.size() > 1 && part[0] == ':';
    seg.text = seg.is_param ? part.substr(1) : std::move(part);
    route.segments.push_back(std::move(seg));
  }
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

bool Router::matchRoute(const Route& route, const std::vector<std::string>& parts) {
  if (route.segments.size() != parts.size()) return false;
  for (size_t i = 0; i < parts.size(); ++i) {
    const Segment& seg = route.segments[i];
    if (seg.is_param) {
      if (parts[i].empty()) return false;
    } else if (seg.text != parts[i]) {
      return false;
    }
  }
  return true;
}

bool Router::moreSpecific(const Route& a, const Route& b) {
  for (size_t i = 0; i < a.segments.size() && i < b.segments.size(); ++i) {
    if (a.segments[i].is_param != b.segments[i].is_param) return !a.segments[i].is_param;
  }
  return false;
}

bool Router::knowsPath(const std::string& path) const {
  std::vector<std::string> parts = splitPath(path);
  for (const Route& r : routes_) {
    if (matchRoute(r, parts)) return true;
  }
  return false;
}

HttpResponse Router::route(HttpRequest& req) const {
  std::vector<std::string> parts = splitPath(req.path);
  const std::string method = req.method == "HEAD" ? std::string("GET") : req.method;
  const Route* best = nullptr;
  std::set<std::string> allowed;
  for (const Route& r : routes_) {
    if (!matchRoute(r, parts)) continue;
    allowed.insert(r.method);
    if (r.method != method) continue;
    if (best == nullptr || moreSpecific(r, *best)) best = &r;
  }
  if (best == nullptr) {
    if (allowed.empty()) return routeNotFoundResponse(req);
    if (allowed.count("GET")) allowed.insert("HEAD");
    allowed.insert("OPTIONS");
    std::string allow;
    for (const std::string& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
    return methodNotAllowedResponse(req, allow);
  }
  req.path_params.clear();
  for (size_t i = 0; i < parts.size(); ++i) {
    if (best->segments[i].is_param) req.path_params[best->segments[i].text] = parts[i];
  }
  Result<HttpResponse> res = best->handler(req);
  if (!res.isOk()) return errorResponse(res.error(), req.request_id);
  return std::move(res).value();
}

}  // namespace cod::api
