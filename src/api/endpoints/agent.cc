// /api/v1/agent/… (reference/bacalhau-api.md §2 rows 15–20, §2.13) and the §1 redirects.

#include <boost/json/object.hpp>

#include "api/endpoints/endpoints.h"
#include "api/errors.h"
#include "models/json.h"

namespace cod::api::endpoints {

namespace {

namespace json = boost::json;

json::value defaultConfig(const ApiConfig& config) {
  json::object api;
  api["Host"] = config.host;
  api["Port"] = config.port;
  return json::object{{"API", std::move(api)}};
}

}  // namespace

void registerAgentRoutes(Router& router, const ApiDeps& deps, const ApiConfig& config) {
  router.add("GET", "/api/v1/agent/alive", [](const HttpRequest&) -> Result<HttpResponse> {
    return jsonOk(json::object{{"Status", "OK"}});
  });
  router.add("GET", "/api/v1/agent/version", [&deps](const HttpRequest&) -> Result<HttpResponse> {
    return jsonOk(models::toJson(deps.version));
  });
  router.add("GET", "/api/v1/agent/node", [&deps](const HttpRequest&) -> Result<HttpResponse> {
    if (!deps.node_info) {
      return unavailable("this node's information is not available yet")
          .withComponent(kComponentApiServer);
    }
    return jsonOk(models::toJson(deps.node_info()));
  });
  router.add("GET", "/api/v1/agent/debug", [&deps](const HttpRequest&) -> Result<HttpResponse> {
    return jsonOk(deps.debug_info ? deps.debug_info() : json::value(json::object()));
  });
  router.add("GET", "/api/v1/agent/config",
             [&deps, config](const HttpRequest&) -> Result<HttpResponse> {
               json::value inner = deps.config_info ? deps.config_info() : defaultConfig(config);
               return jsonOk(json::object{{"config", std::move(inner)}});
             });
  // No OAuth2 provider is configured: an empty config tells clients to use the other methods.
  router.add("GET", "/api/v1/agent/authconfig", [](const HttpRequest&) -> Result<HttpResponse> {
    return jsonOk(json::object{{"Version", "1.0.0"}, {"Config", json::object()}});
  });

  auto redirect = [](const char* target) {
    std::string location = target;
    return [location](const HttpRequest&) -> Result<HttpResponse> {
      return HttpResponse::redirect(301, location);
    };
  };
  router.add("GET", "/", redirect("/api/v1/agent/version"));
  router.add("GET", "/version", redirect("/api/v1/agent/version"));
  router.add("GET", "/livez", redirect("/api/v1/agent/alive"));
}

}  // namespace cod::api::endpoints
