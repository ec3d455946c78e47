// Helpers shared by the endpoint files (declared in endpoints.h).

#include "api/endpoints/endpoints.h"
#include "api/errors.h"
#include "models/json.h"

namespace cod::api::endpoints {

namespace {

const char* kindOf(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null: return "null";
    case boost::json::kind::bool_: return "a boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_: return "a number";
    case boost::json::kind::string: return "a string";
    case boost::json::kind::array: return "an array";
    case boost::json::kind::object: return "an object";
  }
  return "a value";
}

Status wrongType(const char* key, const char* expected, const boost::json::value& v) {
  return invalidArgument(std::string(key) + ": expected " + expected + ", got " + kindOf(v));
}

}  // namespace

HttpResponse jsonOk(const boost::json::value& body) {
  return HttpResponse::json(200, models::serialize(body));
}

Result<boost::json::object> bodyObject(const HttpRequest& req, bool allow_empty) {
  bool blank = true;
  for (char c : req.body) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
      blank = false;
      break;
    }
  }
  if (blank) {
    if (allow_empty) return boost::json::object();
    return invalidArgument("the request body is empty; expected a JSON object");
  }
  auto parsed = models::parseJson(req.body, models::InvalidUtf8::kReject, kMaxBodyJsonMemory);
  if (!parsed.isOk() && parsed.status().code() == StatusCode::kResourceExhausted) {
    return Status(parsed.status()).withErrorCode(kErrorCodeRequestTooLarge);
  }
  COD_ASSIGN_OR_RETURN(boost::json::value v, std::move(parsed));
  if (!v.is_object()) {
    return invalidArgument(std::string("the request body must be a JSON object, got ") + kindOf(v));
  }
  return std::move(v.as_object());
}

Status optionalString(const boost::json::object& obj, const char* key, std::string* out) {
  const boost::json::value* v = models::findKey(obj, key);
  if (v == nullptr || v->is_null()) return Status::ok();
  if (!v->is_string()) return wrongType(key, "a string", *v);
  *out = std::string(v->as_string());
  return Status::ok();
}

Status optionalBool(const boost::json::object& obj, const char* key, bool* out) {
  const boost::json::value* v = models::findKey(obj, key);
  if (v == nullptr || v->is_null()) return Status::ok();
  if (!v->is_bool()) return wrongType(key, "a boolean", *v);
  *out = v->as_bool();
  return Status::ok();
}

Status optionalUint(const boost::json::object& obj, const char* key, uint64_t* out) {
  const boost::json::value* v = models::findKey(obj, key);
  if (v == nullptr || v->is_null()) return Status::ok();
  if (v->is_uint64()) {
    *out = v->as_uint64();
  } else if (v->is_int64() && v->as_int64() >= 0) {
    *out = static_cast<uint64_t>(v->as_int64());
  } else {
    return wrongType(key, "a non-negative integer", *v);
  }
  return Status::ok();
}

Status notAnOrchestrator(const HttpRequest& req) {
  return notFound("this node is not an orchestrator: " + req.path +
                  " is served by orchestrator nodes only")
      .withComponent(kComponentApiServer)
      .withHint("point the client at an orchestrator node (--api-host/--api-port)");
}

}  // namespace cod::api::endpoints
