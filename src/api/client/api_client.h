#pragma once

// A typed client for cod's (and Bacalhau's) v1 REST API (reference/bacalhau-api.md §2). Used by
// the `cod` CLI and by the integration and end-to-end tests.
//
//   ClientOptions options;
//   options.port = port;
//   COD_ASSIGN_OR_RETURN(ApiClient client, ApiClient::create(options));
//   COD_ASSIGN_OR_RETURN(SubmitJobResponse submitted, client.submitJob(job));
//   COD_ASSIGN_OR_RETURN(GetJobResponse got, client.getJob(submitted.job_id));
//
// Errors: a non-2xx answer becomes a Status built from the error body (§1.1): Message → message,
// Hint → hint, Code → errorCode(), Component → component(); the code follows the HTTP status
// (404 NotFound, 400 InvalidArgument, 409 AlreadyExists/FailedPrecondition, 503 Unavailable, other
// 5xx Internal, …). An unreachable server is Unavailable with one line naming the URL; a server
// that does not answer in time is DeadlineExceeded.
//
// Threading: a client is used by one thread at a time (its libcurl handle is reused, so
// consecutive calls share one kept-alive connection).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "api/client/http_transport.h"
#include "api/client/websocket_transport.h"
#include "common/clock.h"
#include "common/status.h"
#include "models/execution.h"
#include "models/history.h"
#include "models/job.h"
#include "models/node.h"

namespace cod::api::client {

struct ClientOptions {
  // A host name or address ("0.0.0.0" and "" mean this machine), or a full http(s)://host[:port]
  // URL.
  std::string host = "127.0.0.1";
  // nullopt: 1234 for a bare host; for a URL without a port, the scheme's default.
  std::optional<int> port;
  Duration timeout = std::chrono::seconds(30);
  // Extra request headers, "Name: value" (e.g. "Authorization: Bearer …").
  std::vector<std::string> headers;
  // HTTPS for a bare host (a URL says its own scheme), and the PEM file of CAs the API's
  // certificate must chain to ("" = the system's trust store).
  bool tls = false;
  std::string ca_file;
};

// The base URL for a host and port: "http://127.0.0.1:1234" ("https://…" for a bare host with
// `tls`). InvalidArgument for a malformed URL or a port outside 1..65535.
Result<std::string> resolveBaseUrl(const std::string& host, std::optional<int> port,
                                   bool tls = false);

// ---- Requests and responses (the wire DTOs, §2). --------------------------------------------

struct SubmitJobResponse {
  std::string job_id;
  std::string evaluation_id;
  std::vector<std::string> warnings;
};

struct GetJobOptions {
  std::string ns;  // "" = the server's default
  bool include_history = false;
  bool include_executions = false;
  uint64_t job_version = 0;  // 0 = latest
};

struct GetJobResponse {
  models::Job job;
  std::optional<std::vector<models::JobHistory>> history;    // when include_history
  std::optional<std::vector<models::Execution>> executions;  // when include_executions
};

struct ListJobsOptions {
  std::string ns;      // "" = all namespaces (server quirk)
  uint64_t limit = 0;  // 0 = everything
  std::string next_token;
  std::string order_by;  // created_at | modified_at
  bool reverse = false;
  std::vector<std::string> labels;  // label selectors
};

struct ListJobsResponse {
  std::vector<models::Job> items;
  std::string next_token;
};

struct StopJobResponse {
  std::string evaluation_id;  // "" when the job was already stopped
};

struct RerunJobResponse {
  std::string job_id;
  std::string evaluation_id;
  uint64_t job_version = 0;
  std::vector<std::string> warnings;
};

struct DiffJobResponse {
  std::string diff;  // "" when the spec is the same as the stored one
  std::vector<std::string> warnings;
};

struct HistoryOptions {
  std::string ns;
  uint64_t limit = 0;  // 0 = the server's default (100)
  std::string next_token;
  std::string event_type;    // all | job | execution; "" = all
  std::string execution_id;  // prefix
  int64_t since = 0;         // Unix seconds; 0 = from the start
  uint64_t job_version = 0;
  bool all_job_versions = false;
};

struct HistoryPage {
  std::vector<models::JobHistory> items;
  // "" only once the job (or execution) is terminal and every event has been read (§2.7).
  std::string next_token;
};

struct ExecutionsOptions {
  std::string ns;
  uint64_t limit = 0;
  std::string order_by;  // created_at | modified_at
  bool reverse = false;
  uint64_t job_version = 0;
  bool all_job_versions = false;
};

struct ExecutionsPage {
  std::vector<models::Execution> items;
  std::string next_token;
};

struct ListNodesOptions {
  uint64_t limit = 0;
  std::string order_by;  // id | type | available_cpu | … | approval | status
  bool reverse = false;
  std::vector<std::string> labels;
  std::string filter_approval;  // approved | pending | rejected
  std::string filter_status;    // connected | disconnected
};

struct LogsOptions {
  std::string ns;            // "" = the default namespace
  std::string execution_id;  // "" = the job's latest live execution
  uint64_t job_version = 0;  // 0 = any version
  bool follow = false;       // keep streaming until the execution ends
  bool tail = false;         // start from the end of what has been written
};

// One frame of the logs WebSocket (§3): Type 1 = stdout, 2 = stderr, 0 = unknown; the line as
// written (a long line may come in several pieces).
inline constexpr int kLogStdout = 1;
inline constexpr int kLogStderr = 2;
struct LogLine {
  int type = 0;
  std::string line;
};
using LogLineFn = std::function<void(const LogLine&)>;

// The JSON forms, for `--output json|yaml`.
boost::json::value toJson(const SubmitJobResponse& v);
boost::json::value toJson(const GetJobResponse& v);
boost::json::value toJson(const HistoryPage& v);
boost::json::value toJson(const ExecutionsPage& v);

// Builds a Status from a non-2xx answer (§1.1). `what` names the request ("GET /api/v1/…") for
// messages when the body says nothing.
Status statusFromHttpError(int http_status, const std::string& body, const std::string& what);

// ---- The client. -------------------------------------------------------------------------------

class ApiClient {
 public:
  // A libcurl-backed client (and a Beast WebSocket for logs). InvalidArgument for a malformed
  // host/port.
  static Result<ApiClient> create(const ClientOptions& options);
  // A client over any transports (tests pass a FakeTransport and a FakeWebSocketTransport).
  // Without a WebSocket transport streamLogs() is Unimplemented.
  explicit ApiClient(std::unique_ptr<HttpTransport> transport,
                     std::unique_ptr<WebSocketTransport> websocket = nullptr);

  ApiClient(ApiClient&&) noexcept = default;
  ApiClient& operator=(ApiClient&&) noexcept = default;

  const std::string& baseUrl() const { return transport_->baseUrl(); }

  // Jobs.
  Result<SubmitJobResponse> submitJob(const models::Job& job, bool force = false);
  Result<GetJobResponse> getJob(const std::string& id, const GetJobOptions& options = {});
  Result<ListJobsResponse> listJobs(const ListJobsOptions& options = {});
  Result<StopJobResponse> stopJob(const std::string& id, const std::string& reason = "",
                                  const std::string& ns = "");
  Result<RerunJobResponse> rerunJob(const std::string& id, uint64_t job_version = 0,
                                    const std::string& reason = "", const std::string& ns = "");
  // PUT /jobs/diff (§2.2): how `job` differs from the stored job of the same name and namespace.
  // InvalidArgument for a job without a name; NotFound when no job has that name.
  Result<DiffJobResponse> diffJob(const models::Job& job);
  Result<HistoryPage> jobHistory(const std::string& id, const HistoryOptions& options = {});
  Result<ExecutionsPage> jobExecutions(const std::string& id,
                                       const ExecutionsOptions& options = {});
  Result<std::vector<models::Job>> jobVersions(const std::string& id, const std::string& ns = "");
  // The published results of the latest version's completed executions (§2.10).
  Result<std::vector<models::SpecConfig>> jobResults(const std::string& id,
                                                     const std::string& ns = "");

  // Streams a job's logs over the logs WebSocket (§3), calling `on_line` for every frame in
  // order, until the server closes the stream: OK at a normal close (1000). An error frame ends
  // the stream with its message (NotFound when it says something was not found, else
  // FailedPrecondition); any other close code, or a connection that breaks, is Unavailable.
  // Following a job that has no execution on a node yet waits (up to a minute, while the job is
  // not terminal) for one instead of failing with "no executions found".
  Status streamLogs(const std::string& job_id, const LogsOptions& options,
                    const LogLineFn& on_line);

  // Nodes.
  Result<std::vector<models::NodeState>> listNodes(const ListNodesOptions& options = {});
  Result<models::NodeState> getNode(const std::string& id);
  // action: approve | reject | delete. FailedPrecondition when the server answers Success=false.
  Result<bool> nodeAction(const std::string& id, const std::string& action,
                          const std::string& message = "");

  // Agent.
  // The Status field of /agent/alive ("OK").
  Result<std::string> agentAlive();
  Result<models::BuildVersionInfo> agentVersion();
  Result<models::NodeInfo> agentNode();

  // Any endpoint, for what has no typed method: the decoded JSON body of a 2xx answer.
  // `target` is a path with an already-encoded query.
  Result<boost::json::value> call(const std::string& method, const std::string& target,
                                  const std::string& body = "");

  // Answers the server gives before it handles a request — 429 (over the client's rate or
  // connection limit) for any method, 503 for a GET — are tried again up to `retries` times,
  // after 1 s, then 2 s, … (the servers' Retry-After is 1). `sleep` waits (tests pass their
  // clock's). Default: 3 retries with std::this_thread::sleep_for.
  void setRetries(int retries, std::function<void(Duration)> sleep);

 private:
  Status streamLogsOnce(const std::string& job_id, const LogsOptions& options,
                        const LogLineFn& on_line);

  std::unique_ptr<HttpTransport> transport_;
  std::unique_ptr<WebSocketTransport> websocket_;
  int retries_ = 3;
  std::function<void(Duration)> sleep_;
};

// Percent-encodes a path segment or query value (everything but A-Z a-z 0-9 - . _ ~).
std::string urlEscape(const std::string& text);

}  // namespace cod::api::client
