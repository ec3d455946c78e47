#include "api/client/api_client.h"

#include <thread>
#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "common/strings.h"
#include "models/json.h"

namespace cod::api::client {

namespace bj = boost::json;

namespace {

constexpr const char* kComponent = "APIClient";
constexpr int kDefaultApiPort = 1234;

// ---- URLs ------------------------------------------------------------------------------------

bool validPort(int port) { return port >= 1 && port <= 65535; }

// "::1" → "[::1]"; names and IPv4 addresses unchanged.
std::string bracketIpv6(const std::string& host) {
  if (host.find(':') != std::string::npos && host.front() != '[') return "[" + host + "]";
  return host;
}

// Query string builder: "?a=1&b=x%20y", or "" when empty.
class Query {
 public:
  Query& add(const std::string& key, const std::string& value) {
    query_ += query_.empty() ? "?" : "&";
    query_ += urlEscape(key) + "=" + urlEscape(value);
    return *this;
  }
  Query& addIf(bool cond, const std::string& key, const std::string& value) {
    return cond ? add(key, value) : *this;
  }
  Query& addNonEmpty(const std::string& key, const std::string& value) {
    return addIf(!value.empty(), key, value);
  }
  Query& addPositive(const std::string& key, uint64_t value) {
    return addIf(value > 0, key, std::to_string(value));
  }
  const std::string& str() const { return query_; }

 private:
  std::string query_;
};

std::string jobPath(const std::string& id) { return "/api/v1/orchestrator/jobs/" + urlEscape(id); }

// ---- Errors ------------------------------------------------------------------------------------

std::string reasonPhrase(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}

// A finer code from the error body's Code: cod's own code names and Bacalhau's vocabulary.
std::optional<StatusCode> codeFromName(const std::string& name) {
  static constexpr std::pair<const char*, StatusCode> kNames[] = {
      {"InvalidArgument", StatusCode::kInvalidArgument},
      {"BadRequest", StatusCode::kInvalidArgument},
      {"ValidationError", StatusCode::kInvalidArgument},
      {"MultipleJobsFound", StatusCode::kInvalidArgument},
      {"MultipleNodesFound", StatusCode::kInvalidArgument},
      {"MultipleExecutionsFound", StatusCode::kInvalidArgument},
      {"MultipleEvaluationsFound", StatusCode::kInvalidArgument},
      {"MultipleJobIDsForSameNameFound", StatusCode::kInvalidArgument},
      {"NotFound", StatusCode::kNotFound},
      {"AlreadyExists", StatusCode::kAlreadyExists},
      {"ResourceInUse", StatusCode::kAlreadyExists},
      {"FailedPrecondition", StatusCode::kFailedPrecondition},
      {"ConflictJobState", StatusCode::kFailedPrecondition},
      {"ConflictNodeState", StatusCode::kFailedPrecondition},
      {"HandshakeRequired", StatusCode::kFailedPrecondition},
      {"Aborted", StatusCode::kAborted},
      {"ConflictJobRevision", StatusCode::kAborted},
      {"ConcurrentUpdate", StatusCode::kAborted},
      {"ResourceExhausted", StatusCode::kResourceExhausted},
      {"TooManyRequests", StatusCode::kResourceExhausted},
      {"Unavailable", StatusCode::kUnavailable},
      {"ServiceUnavailable", StatusCode::kUnavailable},
      {"DeadlineExceeded", StatusCode::kDeadlineExceeded},
      {"TimeOut", StatusCode::kDeadlineExceeded},
      {"Cancelled", StatusCode::kCancelled},
      {"RequestCancelled", StatusCode::kCancelled},
      {"PermissionDenied", StatusCode::kPermissionDenied},
      {"Unauthorized", StatusCode::kPermissionDenied},
      {"Forbidden", StatusCode::kPermissionDenied},
      {"Unimplemented", StatusCode::kUnimplemented},
      {"NotImplemented", StatusCode::kUnimplemented},
  };
  for (const auto& [n, code] : kNames) {
    if (name == n) return code;
  }
  return std::nullopt;
}

StatusCode codeFromHttp(int status, const std::string& error_code) {
  std::optional<StatusCode> named = codeFromName(error_code);
  switch (status) {
    case 400: return StatusCode::kInvalidArgument;
    case 401:
    case 403: return StatusCode::kPermissionDenied;
    case 404: return StatusCode::kNotFound;
    case 405:
    case 501: return StatusCode::kUnimplemented;
    case 408:
    case 504: return StatusCode::kDeadlineExceeded;
    case 409:
      if (named && (*named == StatusCode::kAlreadyExists || *named == StatusCode::kAborted)) {
        return *named;
      }
      return StatusCode::kFailedPrecondition;
    case 412:
    case 428: return StatusCode::kFailedPrecondition;
    case 413:
    case 429: return StatusCode::kResourceExhausted;
    case 502:
    case 503: return StatusCode::kUnavailable;
    default: break;
  }
  // Bacalhau answers 500 for typed errors it has no status for (ConflictJobState, …).
  if (status >= 500) return named.value_or(StatusCode::kInternal);
  return StatusCode::kInvalidArgument;
}

std::string stringField(const bj::object& obj, std::string_view key) {
  const bj::value* v = models::findKey(obj, key);
  if (v == nullptr || !v->is_string()) return "";
  return std::string(v->get_string());
}

// The first line of a body that is not an error object, shortened.
std::string bodySnippet(const std::string& body) {
  std::string text(trim(body));
  size_t eol = text.find('\n');
  if (eol != std::string::npos) text = std::string(trim(text.substr(0, eol)));
  if (text.size() > 200) text = text.substr(0, 200) + "…";
  return text;
}

Status unexpectedResponse(const std::string& what, const Status& decode_error) {
  return internalError("unexpected response to " + what + ": " + decode_error.message())
      .withComponent(kComponent);
}

// ---- Decoding helpers ------------------------------------------------------------------------

const bj::value* field(const bj::value& v, std::string_view key) {
  if (!v.is_object()) return nullptr;
  const bj::value* f = models::findKey(v.get_object(), key);
  return f == nullptr || f->is_null() ? nullptr : f;
}

std::string stringOf(const bj::value& v, std::string_view key) {
  const bj::value* f = field(v, key);
  return f != nullptr && f->is_string() ? std::string(f->get_string()) : "";
}

Result<std::vector<std::string>> stringsOf(const bj::value& v, std::string_view key) {
  std::vector<std::string> out;
  const bj::value* f = field(v, key);
  if (f == nullptr) return out;
  if (!f->is_array()) return invalidArgument(std::string(key) + ": expected an array");
  for (const bj::value& item : f->get_array()) {
    if (!item.is_string()) return invalidArgument(std::string(key) + ": expected strings");
    out.emplace_back(item.get_string());
  }
  return out;
}

Result<uint64_t> uintOf(const bj::value& v, std::string_view key) {
  const bj::value* f = field(v, key);
  if (f == nullptr) return uint64_t{0};
  if (f->is_uint64()) return f->get_uint64();
  if (f->is_int64() && f->get_int64() >= 0) return static_cast<uint64_t>(f->get_int64());
  return invalidArgument(std::string(key) + ": expected a non-negative integer");
}

// Decodes `key` (an array, null = empty) of `v` element by element.
template <typename T, typename Decode>
Result<std::vector<T>> listOf(const bj::value& v, std::string_view key, Decode decode) {
  std::vector<T> out;
  const bj::value* f = field(v, key);
  if (f == nullptr) return out;
  if (!f->is_array()) return invalidArgument(std::string(key) + ": expected an array");
  const bj::array& arr = f->get_array();
  out.reserve(arr.size());
  for (size_t i = 0; i < arr.size(); ++i) {
    models::DecodeOptions opts;
    opts.path = std::string(key) + "[" + std::to_string(i) + "]";
    auto item = decode(arr[i], opts);
    if (!item.isOk()) return std::move(item).error();
    out.push_back(std::move(item).value());
  }
  return out;
}

Result<models::Job> decodeJob(const bj::value& v, const models::DecodeOptions& o) {
  return models::jobFromJson(v, o);
}
Result<models::Execution> decodeExecution(const bj::value& v, const models::DecodeOptions& o) {
  return models::executionFromJson(v, o);
}
Result<models::JobHistory> decodeHistory(const bj::value& v, const models::DecodeOptions& o) {
  return models::jobHistoryFromJson(v, o);
}
Result<models::NodeState> decodeNodeState(const bj::value& v, const models::DecodeOptions& o) {
  return models::nodeStateFromJson(v, o);
}
Result<models::SpecConfig> decodeSpecConfig(const bj::value& v, const models::DecodeOptions& o) {
  return models::specConfigFromJson(v, o);
}

bj::array stringArray(const std::vector<std::string>& items) {
  bj::array arr;
  for (const auto& s : items) arr.emplace_back(s);
  return arr;
}

}  // namespace

// ---- Free functions --------------------------------------------------------------------------

std::string urlEscape(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

Result<std::string> resolveBaseUrl(const std::string& host_in, std::optional<int> port, bool tls) {
  if (port && !validPort(*port)) {
    return invalidArgument("invalid API port " + std::to_string(*port) +
                           ": must be between 1 and 65535");
  }
  std::string host(trim(host_in));
  size_t scheme_end = host.find("://");
  if (scheme_end == std::string::npos) {
    if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
    if (host == "::" || host == "[::]") host = "::1";
    if (host.find('/') != std::string::npos) {
      return invalidArgument("invalid API host '" + host_in + "': expected a host name or URL");
    }
    return (tls ? "https://" : "http://") + bracketIpv6(host) + ":" +
           std::to_string(port.value_or(kDefaultApiPort));
  }
  std::string scheme = toLower(host.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") {
    return invalidArgument("invalid API URL '" + host_in + "': the scheme must be http or https");
  }
  std::string rest = host.substr(scheme_end + 3);
  size_t slash = rest.find('/');
  std::string path = slash == std::string::npos ? "" : rest.substr(slash);
  std::string authority = rest.substr(0, slash);
  while (!path.empty() && path.back() == '/') path.pop_back();
  // Split "host:port", "[v6]:port".
  std::string name = authority;
  std::optional<int> url_port;
  size_t colon = authority.rfind(':');
  size_t bracket = authority.rfind(']');
  if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
    name = authority.substr(0, colon);
    int64_t p = 0;
    if (!parseInt64(authority.substr(colon + 1), &p) || p < 1 || p > 65535) {
      return invalidArgument("invalid API URL '" + host_in + "': bad port");
    }
    url_port = static_cast<int>(p);
  }
  if (name.empty() || name == "[]") {
    return invalidArgument("invalid API URL '" + host_in + "': no host");
  }
  if (name == "0.0.0.0") name = "127.0.0.1";
  if (!url_port) url_port = port;
  std::string url = scheme + "://" + name;
  if (url_port) url += ":" + std::to_string(*url_port);
  return url + path;
}

Status statusFromHttpError(int http_status, const std::string& body, const std::string& what) {
  std::string message;
  std::string error_code;
  std::string hint;
  std::string component;
  auto parsed = models::parseJson(body);
  bool is_error_object = parsed.isOk() && parsed->is_object();
  if (is_error_object) {
    const bj::object& obj = parsed->get_object();
    message = stringField(obj, "Message");
    if (message.empty()) message = stringField(obj, "Error");  // version-check bodies
    error_code = stringField(obj, "Code");
    hint = stringField(obj, "Hint");
    component = stringField(obj, "Component");
  }
  if (message.empty()) {
    std::string reason = reasonPhrase(http_status);
    message = "HTTP " + std::to_string(http_status) + (reason.empty() ? "" : " " + reason) +
              " from " + what;
    std::string snippet = is_error_object ? "" : bodySnippet(body);
    if (!snippet.empty()) message += ": " + snippet;
  }
  bool retryable = http_status == 429 || http_status == 502 || http_status == 503;
  Status status = Status(codeFromHttp(http_status, error_code), std::move(message))
                      .withComponent(component.empty() ? kComponent : component)
                      .withErrorCode(error_code)
                      .withRetryable(retryable);
  if (!hint.empty()) status.withHint(hint);
  return status;
}

bj::value toJson(const SubmitJobResponse& v) {
  bj::object obj;
  obj["JobID"] = v.job_id;
  obj["EvaluationID"] = v.evaluation_id;
  obj["Warnings"] = v.warnings.empty() ? bj::value(nullptr) : bj::value(stringArray(v.warnings));
  return obj;
}

bj::value toJson(const HistoryPage& v) {
  bj::array items;
  for (const auto& h : v.items) items.push_back(models::toJson(h));
  bj::object obj;
  obj["NextToken"] = v.next_token;
  obj["Items"] = std::move(items);
  return obj;
}

bj::value toJson(const ExecutionsPage& v) {
  bj::array items;
  for (const auto& e : v.items) items.push_back(models::toJson(e));
  bj::object obj;
  obj["NextToken"] = v.next_token;
  obj["Items"] = std::move(items);
  return obj;
}

bj::value toJson(const GetJobResponse& v) {
  bj::object obj;
  obj["Job"] = models::toJson(v.job);
  if (v.history) obj["History"] = toJson(HistoryPage{*v.history, ""});
  if (v.executions) obj["Executions"] = toJson(ExecutionsPage{*v.executions, ""});
  return obj;
}

// ---- ApiClient -------------------------------------------------------------------------------

Result<ApiClient> ApiClient::create(const ClientOptions& options) {
  COD_ASSIGN_OR_RETURN(std::string base_url,
                       resolveBaseUrl(options.host, options.port, options.tls));
  CurlTransportOptions transport;
  transport.base_url = std::move(base_url);
  transport.timeout = options.timeout;
  transport.headers = options.headers;
  transport.ca_file = options.ca_file;
  BeastWebSocketOptions websocket;
  websocket.base_url = transport.base_url;
  websocket.timeout = options.timeout;
  websocket.headers = options.headers;
  websocket.ca_file = options.ca_file;
  return ApiClient(std::make_unique<CurlTransport>(std::move(transport)),
                   makeBeastWebSocketTransport(std::move(websocket)));
}

ApiClient::ApiClient(std::unique_ptr<HttpTransport> transport,
                     std::unique_ptr<WebSocketTransport> websocket)
    : transport_(std::move(transport)), websocket_(std::move(websocket)) {
  COD_CHECK(transport_ != nullptr) << "ApiClient needs a transport";
}

namespace {

// What a job that has just been submitted answers until the scheduler has placed it.
bool notPlacedYet(const Status& s) {
  return (s.code() == StatusCode::kNotFound &&
          s.message().find("no executions found") != std::string::npos) ||
         (s.code() == StatusCode::kFailedPrecondition &&
          s.message().find("has not been given to a node yet") != std::string::npos);
}

}  // namespace

Status ApiClient::streamLogs(const std::string& job_id, const LogsOptions& options,
                             const LogLineFn& on_line) {
  // Following a job right after submitting it (`cod docker run --detach` then `cod job logs -f`)
  // waits, as long as the job lives, for it to be placed, instead of failing at once.
  constexpr int kPlacementTries = 240;  // 60 s at 250 ms
  for (int attempt = 1;; ++attempt) {
    bool said_something = false;
    Status s = streamLogsOnce(job_id, options, [&](const LogLine& line) {
      said_something = true;
      on_line(line);
    });
    if (!options.follow || said_something || !notPlacedYet(s) || attempt >= kPlacementTries) {
      return s;
    }
    GetJobOptions get;
    get.ns = options.ns;
    auto job = getJob(job_id, get);
    if (!job.isOk() || models::isTerminal(job->job.state.state_type)) return s;
    const Duration wait = std::chrono::milliseconds(250);
    if (sleep_) {
      sleep_(wait);
    } else {
      std::this_thread::sleep_for(wait);
    }
  }
}

Status ApiClient::streamLogsOnce(const std::string& job_id, const LogsOptions& options,
                                 const LogLineFn& on_line) {
  if (!websocket_) {
    return unimplemented("this API client cannot stream logs (it has no WebSocket transport)")
        .withComponent(kComponent);
  }
  Query q;
  q.addIf(options.follow, "follow", "true")
      .addIf(options.tail, "tail", "true")
      .addNonEmpty("execution_id", options.execution_id)
      .addPositive("job_version", options.job_version)
      .addNonEmpty("namespace", options.ns);
  const std::string path = jobPath(job_id) + "/logs";
  COD_ASSIGN_OR_RETURN(std::unique_ptr<WebSocketConnection> connection,
                       websocket_->connect(path + q.str()));
  while (true) {
    COD_ASSIGN_OR_RETURN(WebSocketMessage message, connection->read());
    if (message.closed) {
      if (message.close_code == 1000) return Status::ok();
      if (message.close_code == 1001) {
        return unavailable(
                   "the cod API went away (it is stopping) before the end of the logs of "
                   "job " +
                   job_id)
            .withComponent(kComponent)
            .withRetryable();
      }
      return unavailable("the logs stream of job " + job_id + " ended abnormally (close code " +
                         std::to_string(message.close_code) +
                         (message.close_reason.empty() ? "" : ": " + message.close_reason) + ")")
          .withComponent(kComponent);
    }
    auto frame = models::parseJson(message.text);
    if (!frame.isOk() || !frame->is_object()) {
      return internalError("unexpected frame from the logs WebSocket of job " + job_id)
          .withComponent(kComponent);
    }
    const bj::object& obj = frame->get_object();
    std::string error = stringField(obj, "error");
    if (!error.empty()) {
      bool not_found = error.find("not found") != std::string::npos ||
                       error.find("unable to find") != std::string::npos ||
                       error.find("no executions") != std::string::npos;
      return Status(not_found ? StatusCode::kNotFound : StatusCode::kFailedPrecondition,
                    std::move(error))
          .withComponent("LogStream");
    }
    LogLine line;
    if (const bj::value* value = models::findKey(obj, "value"); value && value->is_object()) {
      const bj::object& v = value->get_object();
      if (const bj::value* type = models::findKey(v, "Type"); type && type->is_int64()) {
        line.type = static_cast<int>(type->as_int64());
      }
      line.line = stringField(v, "Line");
    }
    if (!line.line.empty()) on_line(line);
  }
}

Result<bj::value> ApiClient::call(const std::string& method, const std::string& target,
                                  const std::string& body) {
  COD_ASSIGN_OR_RETURN(TransportResponse response, transport_->send({method, target, body}));
  for (int attempt = 1; attempt <= retries_; ++attempt) {
    bool refused_before_handling =
        response.status == 429 || (response.status == 503 && method == "GET");
    if (!refused_before_handling) break;
    Duration wait = std::chrono::seconds(attempt);
    if (sleep_) {
      sleep_(wait);
    } else {
      std::this_thread::sleep_for(wait);
    }
    COD_ASSIGN_OR_RETURN(response, transport_->send({method, target, body}));
  }
  std::string what = method + " " + target.substr(0, target.find('?'));
  if (response.status < 200 || response.status >= 300) {
    return statusFromHttpError(response.status, response.body, what);
  }
  if (trim(response.body).empty()) {
    return internalError("the cod API answered " + what + " with an empty body")
        .withComponent(kComponent);
  }
  auto parsed = models::parseJson(response.body);
  if (!parsed.isOk()) return unexpectedResponse(what, parsed.error());
  return std::move(parsed).value();
}

void ApiClient::setRetries(int retries, std::function<void(Duration)> sleep) {
  retries_ = std::max(0, retries);
  sleep_ = std::move(sleep);
}

Result<SubmitJobResponse> ApiClient::submitJob(const models::Job& job, bool force) {
  bj::object body;
  body["Job"] = models::toJson(job);
  body["Force"] = force;
  COD_ASSIGN_OR_RETURN(bj::value v,
                       call("PUT", "/api/v1/orchestrator/jobs", models::serialize(body)));
  SubmitJobResponse out;
  out.job_id = stringOf(v, "JobID");
  out.evaluation_id = stringOf(v, "EvaluationID");
  auto warnings = stringsOf(v, "Warnings");
  if (!warnings.isOk())
    return unexpectedResponse("PUT /api/v1/orchestrator/jobs", warnings.error());
  out.warnings = std::move(warnings).value();
  if (out.job_id.empty()) {
    return unexpectedResponse("PUT /api/v1/orchestrator/jobs", invalidArgument("no JobID"));
  }
  return out;
}

Result<GetJobResponse> ApiClient::getJob(const std::string& id, const GetJobOptions& options) {
  std::vector<std::string> include;
  if (options.include_history) include.emplace_back("history");
  if (options.include_executions) include.emplace_back("executions");
  Query q;
  q.addNonEmpty("namespace", options.ns)
      .addNonEmpty("include", join(include, ","))
      .addPositive("job_version", options.job_version);
  std::string what = "GET " + jobPath(id);
  COD_ASSIGN_OR_RETURN(bj::value v, call("GET", jobPath(id) + q.str()));
  GetJobResponse out;
  const bj::value* job = field(v, "Job");
  if (job == nullptr) return unexpectedResponse(what, invalidArgument("no Job"));
  auto decoded = models::jobFromJson(*job);
  if (!decoded.isOk()) return unexpectedResponse(what, decoded.error());
  out.job = std::move(decoded).value();
  if (const bj::value* history = field(v, "History")) {
    auto items = listOf<models::JobHistory>(*history, "Items", decodeHistory);
    if (!items.isOk()) return unexpectedResponse(what, items.error());
    out.history = std::move(items).value();
  }
  if (const bj::value* executions = field(v, "Executions")) {
    auto items = listOf<models::Execution>(*executions, "Items", decodeExecution);
    if (!items.isOk()) return unexpectedResponse(what, items.error());
    out.executions = std::move(items).value();
  }
  return out;
}

Result<ListJobsResponse> ApiClient::listJobs(const ListJobsOptions& options) {
  Query q;
  q.addNonEmpty("namespace", options.ns)
      .addPositive("limit", options.limit)
      .addNonEmpty("next_token", options.next_token)
      .addNonEmpty("order_by", options.order_by)
      .addIf(options.reverse, "reverse", "true");
  for (const auto& l : options.labels) q.add("labels", l);
  COD_ASSIGN_OR_RETURN(bj::value v, call("GET", "/api/v1/orchestrator/jobs" + q.str()));
  auto items = listOf<models::Job>(v, "Items", decodeJob);
  if (!items.isOk()) return unexpectedResponse("GET /api/v1/orchestrator/jobs", items.error());
  return ListJobsResponse{std::move(items).value(), stringOf(v, "NextToken")};
}

Result<StopJobResponse> ApiClient::stopJob(const std::string& id, const std::string& reason,
                                           const std::string& ns) {
  Query q;
  q.addNonEmpty("namespace", ns);
  bj::object body;
  if (!reason.empty()) body["reason"] = reason;
  COD_ASSIGN_OR_RETURN(bj::value v, call("DELETE", jobPath(id) + q.str(), models::serialize(body)));
  return StopJobResponse{stringOf(v, "EvaluationID")};
}

Result<RerunJobResponse> ApiClient::rerunJob(const std::string& id, uint64_t job_version,
                                             const std::string& reason, const std::string& ns) {
  Query q;
  q.addNonEmpty("namespace", ns);
  bj::object body;
  body["JobVersion"] = job_version;
  body["Reason"] = reason;
  std::string target = jobPath(id) + "/rerun";
  COD_ASSIGN_OR_RETURN(bj::value v, call("PUT", target + q.str(), models::serialize(body)));
  RerunJobResponse out;
  out.job_id = stringOf(v, "JobID");
  out.evaluation_id = stringOf(v, "EvaluationID");
  auto version = uintOf(v, "JobVersion");
  if (!version.isOk()) return unexpectedResponse("PUT " + target, version.error());
  out.job_version = *version;
  auto warnings = stringsOf(v, "Warnings");
  if (!warnings.isOk()) return unexpectedResponse("PUT " + target, warnings.error());
  out.warnings = std::move(warnings).value();
  return out;
}

Result<DiffJobResponse> ApiClient::diffJob(const models::Job& job) {
  bj::object body;
  body["Job"] = models::toJson(job);
  const std::string target = "/api/v1/orchestrator/jobs/diff";
  COD_ASSIGN_OR_RETURN(bj::value v, call("PUT", target, models::serialize(body)));
  DiffJobResponse out;
  out.diff = stringOf(v, "Diff");
  auto warnings = stringsOf(v, "Warnings");
  if (!warnings.isOk()) return unexpectedResponse("PUT " + target, warnings.error());
  out.warnings = std::move(warnings).value();
  return out;
}

Result<HistoryPage> ApiClient::jobHistory(const std::string& id, const HistoryOptions& options) {
  Query q;
  q.addNonEmpty("namespace", options.ns)
      .addPositive("limit", options.limit)
      .addNonEmpty("next_token", options.next_token)
      .addNonEmpty("event_type", options.event_type)
      .addNonEmpty("execution_id", options.execution_id)
      .addIf(options.since > 0, "since", std::to_string(options.since))
      .addPositive("job_version", options.job_version)
      .addIf(options.all_job_versions, "all_job_versions", "true");
  std::string target = jobPath(id) + "/history";
  COD_ASSIGN_OR_RETURN(bj::value v, call("GET", target + q.str()));
  auto items = listOf<models::JobHistory>(v, "Items", decodeHistory);
  if (!items.isOk()) return unexpectedResponse("GET " + target, items.error());
  return HistoryPage{std::move(items).value(), stringOf(v, "NextToken")};
}

Result<ExecutionsPage> ApiClient::jobExecutions(const std::string& id,
                                                const ExecutionsOptions& options) {
  Query q;
  q.addNonEmpty("namespace", options.ns)
      .addPositive("limit", options.limit)
      .addNonEmpty("order_by", options.order_by)
      .addIf(options.reverse, "reverse", "true")
      .addPositive("job_version", options.job_version)
      .addIf(options.all_job_versions, "all_job_versions", "true");
  std::string target = jobPath(id) + "/executions";
  COD_ASSIGN_OR_RETURN(bj::value v, call("GET", target + q.str()));
  auto items = listOf<models::Execution>(v, "Items", decodeExecution);
  if (!items.isOk()) return unexpectedResponse("GET " + target, items.error());
  return ExecutionsPage{std::move(items).value(), stringOf(v, "NextToken")};
}

Result<std::vector<models::Job>> ApiClient::jobVersions(const std::string& id,
                                                        const std::string& ns) {
  Query q;
  q.addNonEmpty("namespace", ns);
  std::string target = jobPath(id) + "/versions";
  COD_ASSIGN_OR_RETURN(bj::value v, call("GET", target + q.str()));
  auto items = listOf<models::Job>(v, "Items", decodeJob);
  if (!items.isOk()) return unexpectedResponse("GET " + target, items.error());
  return std::move(items).value();
}

Result<std::vector<models::SpecConfig>> ApiClient::jobResults(const std::string& id,
                                                              const std::string& ns) {
  Query q;
  q.addNonEmpty("namespace", ns);
  std::string target = jobPath(id) + "/results";
  COD_ASSIGN_OR_RETURN(bj::value v, call("GET", target + q.str()));
  auto items = listOf<models::SpecConfig>(v, "Items", decodeSpecConfig);
  if (!items.isOk()) return unexpectedResponse("GET " + target, items.error());
  return std::move(items).value();
}

Result<std::vector<models::NodeState>> ApiClient::listNodes(const ListNodesOptions& options) {
  Query q;
  q.addPositive("limit", options.limit)
      .addNonEmpty("order_by", options.order_by)
      .addIf(options.reverse, "reverse", "true")
      .addNonEmpty("filter-approval", options.filter_approval)
      .addNonEmpty("filter-status", options.filter_status);
  for (const auto& l : options.labels) q.add("labels", l);
  COD_ASSIGN_OR_RETURN(bj::value v, call("GET", "/api/v1/orchestrator/nodes" + q.str()));
  auto items = listOf<models::NodeState>(v, "Nodes", decodeNodeState);
  if (!items.isOk()) return unexpectedResponse("GET /api/v1/orchestrator/nodes", items.error());
  return std::move(items).value();
}

Result<models::NodeState> ApiClient::getNode(const std::string& id) {
  std::string target = "/api/v1/orchestrator/nodes/" + urlEscape(id);
  COD_ASSIGN_OR_RETURN(bj::value v, call("GET", target));
  const bj::value* node = field(v, "Node");
  if (node == nullptr) return unexpectedResponse("GET " + target, invalidArgument("no Node"));
  auto decoded = models::nodeStateFromJson(*node);
  if (!decoded.isOk()) return unexpectedResponse("GET " + target, decoded.error());
  return std::move(decoded).value();
}

Result<bool> ApiClient::nodeAction(const std::string& id, const std::string& action,
                                   const std::string& message) {
  bj::object body;
  body["NodeID"] = id;
  body["Action"] = action;
  body["Message"] = message;
  std::string target = "/api/v1/orchestrator/nodes/" + urlEscape(id);
  COD_ASSIGN_OR_RETURN(bj::value v, call("PUT", target, models::serialize(body)));
  const bj::value* success = field(v, "Success");
  if (success != nullptr && success->is_bool() && success->get_bool()) return true;
  std::string error = stringOf(v, "Error");
  return failedPrecondition(error.empty() ? "the node " + action + " request was not applied"
                                          : error)
      .withComponent("NodeManager");
}

Result<std::string> ApiClient::agentAlive() {
  COD_ASSIGN_OR_RETURN(bj::value v, call("GET", "/api/v1/agent/alive"));
  return stringOf(v, "Status");
}

Result<models::BuildVersionInfo> ApiClient::agentVersion() {
  COD_ASSIGN_OR_RETURN(bj::value v, call("GET", "/api/v1/agent/version"));
  auto decoded = models::buildVersionInfoFromJson(v);
  if (!decoded.isOk()) return unexpectedResponse("GET /api/v1/agent/version", decoded.error());
  return std::move(decoded).value();
}

Result<models::NodeInfo> ApiClient::agentNode() {
  COD_ASSIGN_OR_RETURN(bj::value v, call("GET", "/api/v1/agent/node"));
  auto decoded = models::nodeInfoFromJson(v);
  if (!decoded.isOk()) return unexpectedResponse("GET /api/v1/agent/node", decoded.error());
  return std::move(decoded).value();
}

}  // namespace cod::api::client
