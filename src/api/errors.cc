#include "api/errors.h"

#include <boost/json/object.hpp>

#include "common/units.h"
#include "models/json.h"

namespace cod::api {

namespace {

HttpErrorMapping defaultMapping(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument: return {400, "BadRequest"};
    case StatusCode::kNotFound: return {404, "NotFound"};
    case StatusCode::kAlreadyExists: return {409, "ResourceInUse"};
    case StatusCode::kFailedPrecondition: return {409, "ResourceInUse"};
    case StatusCode::kAborted: return {409, "ConcurrentUpdate"};
    case StatusCode::kResourceExhausted: return {429, "ResourceExhausted"};
    case StatusCode::kUnavailable: return {503, "ServiceUnavailable"};
    case StatusCode::kDeadlineExceeded: return {504, "TimeOut"};
    case StatusCode::kCancelled: return {503, "RequestCancelled"};
    case StatusCode::kPermissionDenied: return {403, "Forbidden"};
    case StatusCode::kUnimplemented: return {501, "NotImplemented"};
    case StatusCode::kOk:
    case StatusCode::kInternal: break;
  }
  return {500, "InternalError"};
}

}  // namespace

HttpErrorMapping mapStatus(const Status& status) {
  HttpErrorMapping m = defaultMapping(status.code());
  const std::string& ec = status.errorCode();
  if (ec.empty()) return m;
  if (ec == kErrorCodeRequestTooLarge) return {413, "ResourceExhausted"};
  if (ec == kErrorCodeHandshakeRequired) return {428, ec};
  if (ec == kErrorCodeHeaderTooLarge) return {431, ec};
  if (ec == kErrorCodeUnsupportedMediaType) return {415, ec};
  // A finer Bacalhau code ("MultipleJobsFound", "ConflictJobState", "ValidationError") keeps the
  // status class of the canonical code.
  m.code = ec;
  return m;
}

HttpResponse errorResponse(int http_status, const std::string& code, const std::string& message,
                           const std::string& component, const std::string& request_id,
                           const std::string& hint,
                           const std::map<std::string, std::string>& details) {
  boost::json::object body;
  body["Status"] = http_status;
  body["Message"] = message;
  body["RequestID"] = request_id;
  body["Code"] = code;
  body["Component"] = component;
  if (!hint.empty()) body["Hint"] = hint;
  if (!details.empty()) {
    boost::json::object d;
    for (const auto& [k, v] : details) d[k] = v;
    body["Details"] = std::move(d);
  }
  return HttpResponse::json(http_status, models::serialize(body));
}

HttpResponse errorResponse(const Status& status, const std::string& request_id,
                           const std::string& default_component) {
  HttpErrorMapping m = mapStatus(status);
  const std::string& component =
      status.component().empty() ? default_component : status.component();
  return errorResponse(m.http_status, m.code, status.message(), component, request_id,
                       status.hint(), status.details());
}

Status requestTooLarge(size_t limit) {
  return resourceExhausted("request body is larger than the limit of " + std::to_string(limit) +
                           " bytes (" + formatBytes(limit) + ")")
      .withErrorCode(kErrorCodeRequestTooLarge)
      .withComponent(kComponentApiServer)
      .withHint(
          "send a smaller body: put large inputs in an input source (S3, URL, IPFS) instead of "
          "inlining them in the job spec");
}

Status headerTooLarge(size_t limit) {
  return invalidArgument("the request header block is larger than the limit of " +
                         std::to_string(limit) + " bytes")
      .withErrorCode(kErrorCodeHeaderTooLarge)
      .withComponent(kComponentApiServer)
      .withHint("send shorter headers (a long cookie or token?)");
}

HttpResponse routeNotFoundResponse(const HttpRequest& req) {
  return errorResponse(
      404, "NotFound", "The requested resource/URL was not found.", kComponentApiServer,
      req.request_id,
      "The server version may be older than this CLI version. Check that the client and the "
      "server versions are compatible.",
      {{"cli_usage", "run 'version' to compare the client and server versions"},
       {"path", req.path}});
}

HttpResponse methodNotAllowedResponse(const HttpRequest& req, const std::string& allow) {
  HttpResponse res = errorResponse(
      405, "MethodNotAllowed",
      "method " + req.method + " is not allowed on " + req.path + "; allowed: " + allow,
      kComponentApiServer, req.request_id);
  res.headers.set("Allow", allow);
  return res;
}

}  // namespace cod::api
