#pragma once

// Method + path-pattern routing. Patterns are absolute paths whose segments are literals or
// ":name" parameters ("/api/v1/orchestrator/jobs/:id/history"). When several patterns match a
// path, the one with a literal at the first differing segment wins ("/jobs/diff" over
// "/jobs/:id"), among those that accept the method. HEAD is served by the GET route.
//
// Unmatched path → Bacalhau's framework 404 body; matched path without the method → 405 with an
// Allow header. A handler's error Status becomes the §1.1 error body (api/errors.h).
//
// Thread-safety: add() during setup only; route() may then run concurrently on any thread.

#include <functional>
#include <string>
#include <vector>

#include "api/http.h"
#include "common/status.h"

namespace cod::api {

using RouteHandler = std::function<Result<HttpResponse>(const HttpRequest&)>;

class Router {
 public:
  // Precondition: the pattern starts with '/', and (method, pattern) was not added before.
  void add(const std::string& method, const std::string& pattern, RouteHandler handler);

  // Finds the route, fills req.path_params and runs the handler.
  HttpResponse route(HttpRequest& req) const;

  // True when some route matches the path (whatever its method).
  bool knowsPath(const std::string& path) const;

 private:
  struct Segment {
    std::string text;
    bool is_param = false;
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    RouteHandler handler;
  };

  static std::vector<std::string> splitPath(const std::string& path);
  static bool matchRoute(const Route& route, const std::vector<std::string>& parts);
  // True when a is more specific than b for the same path.
  static bool moreSpecific(const Route& a, const Route& b);

  std::vector<Route> routes_;
};

}  // namespace cod::api
