#pragma once

// Route registration, one function per endpoint group. Each adds its routes to the router;
// handlers capture `deps`, which must outlive the router.
//
// A new group adds a register function here and a call in api_server.cc.

#include <string>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "api/api_server.h"
#include "api/http.h"
#include "api/router.h"
#include "common/status.h"

namespace cod::api::endpoints {

// /api/v1/orchestrator/jobs… (reference §2 rows 1–9, results and logs excepted).
void registerJobRoutes(Router& router, const ApiDeps& deps);
// GET /api/v1/orchestrator/jobs/:id/logs, the logs WebSocket (reference §3; logs.cc).
void registerLogRoutes(Router& router, const ApiDeps& deps);
// /api/v1/orchestrator/nodes… (rows 12–14, plus POST /nodes with NodeID in the body).
void registerNodeRoutes(Router& router, const ApiDeps& deps);
// /api/v1/agent/… (rows 15–20) and the redirects of §1.
void registerAgentRoutes(Router& router, const ApiDeps& deps, const ApiConfig& config);
// /api/v1/auth… (rows 21–23): the ClientKey challenge flow the Go CLI runs.
void registerAuthRoutes(Router& router, const ApiDeps& deps, const ApiConfig& config);

// ---- helpers shared by the endpoint files ----

// 200 with a JSON body.
HttpResponse jsonOk(const boost::json::value& body);

// The request body as a JSON object. An empty body is an empty object when allow_empty, else
// InvalidArgument. Malformed JSON → InvalidArgument naming the position; a body that is not an
// object → InvalidArgument.
// The most memory reading a request body's JSON may take (the tree and the parser's buffer):
// 413 past it. A 10 MiB string (inline data) takes ~26 MiB while it is read; "[0,0,…]" ~16 bytes
// per 2 of text, so a 10 MiB one ~85 MiB.
inline constexpr size_t kMaxBodyJsonMemory = size_t{48} * 1024 * 1024;
Result<boost::json::object> bodyObject(const HttpRequest& req, bool allow_empty);

// Optional typed fields of a request body, matched case-insensitively; null = absent. A value of
// another type → InvalidArgument naming the field.
Status optionalString(const boost::json::object& obj, const char* key, std::string* out);
Status optionalBool(const boost::json::object& obj, const char* key, bool* out);
Status optionalUint(const boost::json::object& obj, const char* key, uint64_t* out);

// The error for orchestrator routes on a node that is not an orchestrator.
Status notAnOrchestrator(const HttpRequest& req);

// The namespace query parameter ("" when absent).
inline std::string namespaceOf(const HttpRequest& req) { return req.queryValue("namespace"); }

}  // namespace cod::api::endpoints
