#pragma once

// The one place that maps cod::Status values to HTTP statuses and Bacalhau's error body
// (reference/bacalhau-api.md §1.1):
//   {"Status":404,"Message":"…","RequestID":"…","Code":"NotFound","Component":"JobStore",
//    "Hint":"…","Details":{…}}            (Hint and Details omitted when empty)
//
// Where Bacalhau answers 500 for a client mistake (an unsupported node action, a stop of a
// completed job, an ambiguous ID prefix) cod answers the matching 4xx.

#include <cstddef>
#include <map>
#include <string>

#include "api/http.h"
#include "common/status.h"

namespace cod::api {

// Component names used by the HTTP layer itself.
inline constexpr const char* kComponentApiServer = "APIServer";

// Error codes with a fixed HTTP status regardless of the Status code.
inline constexpr const char* kErrorCodeRequestTooLarge = "RequestEntityTooLarge";       // 413
inline constexpr const char* kErrorCodeHandshakeRequired = "HandshakeRequired";         // 428
inline constexpr const char* kErrorCodeHeaderTooLarge = "RequestHeaderFieldsTooLarge";  // 431
inline constexpr const char* kErrorCodeUnsupportedMediaType = "UnsupportedMediaType";   // 415

struct HttpErrorMapping {
  int http_status = 500;
  std::string code;  // Bacalhau error code for the body's "Code"
};

// HTTP status and wire code for an error Status. Precondition: !status.isOk().
HttpErrorMapping mapStatus(const Status& status);

// The error response for `status`; `default_component` is used when the status names none.
HttpResponse errorResponse(const Status& status, const std::string& request_id,
                           const std::string& default_component = kComponentApiServer);

// An error response built from its parts (framework errors: unknown route, wrong method).
HttpResponse errorResponse(int http_status, const std::string& code, const std::string& message,
                           const std::string& component, const std::string& request_id,
                           const std::string& hint = "",
                           const std::map<std::string, std::string>& details = {});

// The 413 status for a request body over `limit` bytes.
Status requestTooLarge(size_t limit);
// The 431 status for a request header block over `limit` bytes.
Status headerTooLarge(size_t limit);

// Bacalhau's framework 404 for a path no route matches.
HttpResponse routeNotFoundResponse(const HttpRequest& req);
// 405 for a known path with another method; `allow` lists the methods the path accepts.
HttpResponse methodNotAllowedResponse(const HttpRequest& req, const std::string& allow);

}  // namespace cod::api
