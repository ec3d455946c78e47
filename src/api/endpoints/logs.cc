// GET /api/v1/orchestrator/jobs/:id/logs (reference/bacalhau-api.md §3): a WebSocket fed by the
// orchestrator's LogSource.
//
// As in Bacalhau the socket is upgraded first and everything after that — a bad query parameter,
// an unknown job, a node that is not an orchestrator — is an error frame followed by a normal
// close (1000), so a client has one path to read. Any Origin may connect (Bacalhau's rule; the
// Router and middleware still run first: request ID, server headers, version check).

#include "api/endpoints/logs.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <utility>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "api/endpoints/endpoints.h"
#include "api/endpoints/paging.h"
#include "api/errors.h"
#include "common/strings.h"

namespace cod::api::endpoints {

namespace {

namespace json = boost::json;
using orchestrator::LogEntry;
using orchestrator::LogRequest;
using orchestrator::LogSink;
using orchestrator::LogSource;
using orchestrator::LogSubscription;

constexpr const char* kLogsPattern = "/api/v1/orchestrator/jobs/:id/logs";
// The longest a UTF-8 character is.
constexpr size_t kMaxUtf8CharBytes = 4;

std::string frame(int type, std::string_view line) {
  json::object value;
  value["Type"] = type;
  value["Line"] = line;
  json::object out;
  out["value"] = std::move(value);
  return json::serialize(out);
}

Result<LogRequest> logRequest(const HttpRequest& req) {
  LogRequest out;
  out.job_id = req.pathParam("id");
  out.ns = namespaceOf(req);
  out.execution_id = req.queryValue("execution_id");
  COD_ASSIGN_OR_RETURN(out.job_version, queryUint(req, "job_version"));
  COD_ASSIGN_OR_RETURN(out.follow, queryBool(req, "follow"));
  COD_ASSIGN_OR_RETURN(out.tail, queryBool(req, "tail"));
  return out;
}

// One logs WebSocket: the handler the server serves and the sink the LogSource feeds. The sink
// side runs on the source's threads and only queues frames on the channel (which never blocks);
// the handler side runs on the connection's strand. A channel that refuses a frame (the client
// stopped reading, or left) is being closed by the server, and onClose() then cancels the
// subscription.
class LogStream final : public WebSocketHandler,
                        public LogSink,
                        public std::enable_shared_from_this<LogStream> {
 public:
  LogStream(LogSource* source, Result<LogRequest> request, Status unavailable_reason)
      : source_(source),
        request_(std::move(request)),
        unavailable_reason_(std::move(unavailable_reason)) {}

  void onOpen(std::shared_ptr<WebSocketChannel> channel) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      channel_ = std::move(channel);
    }
    if (!request_.isOk()) return onEnd(request_.error());
    if (source_ == nullptr) return onEnd(unavailable_reason_);
    std::unique_ptr<LogSubscription> subscription = source_->open(*request_, shared_from_this());
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!closed_) {
        subscription_ = std::move(subscription);
        return;
      }
    }
    // The connection ended while open() ran.
    if (subscription) subscription->cancel();
  }

  void onClose() override {
    std::unique_ptr<LogSubscription> subscription;
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
      subscription = std::move(subscription_);
      channel_.reset();
    }
    if (subscription) subscription->cancel();
  }

  void onEntries(std::vector<LogEntry> entries) override {
    std::shared_ptr<WebSocketChannel> out = channel();
    if (!out) return;
    for (const LogEntry& entry : entries) {
      for (std::string& text : logEntryFrames(entry)) {
        if (!out->sendText(std::move(text))) return;
      }
    }
  }

  void onEnd(Status status) override {
    std::shared_ptr<WebSocketChannel> out = channel();
    if (!out) return;
    if (!status.isOk()) out->sendText(logErrorFrame(status.message()));
    out->close(kWebSocketCloseNormal);
  }

 private:
  std::shared_ptr<WebSocketChannel> channel() {
    std::lock_guard<std::mutex> lock(mu_);
    return channel_;
  }

  LogSource* source_;
  const Result<LogRequest> request_;
  const Status unavailable_reason_;
  std::mutex mu_;
  std::shared_ptr<WebSocketChannel> channel_;      // null once closed
  std::unique_ptr<LogSubscription> subscription_;  // null until open() returned
  bool closed_ = false;
};

}  // namespace

std::vector<std::string> logEntryFrames(const LogEntry& entry, size_t max_line_bytes) {
  std::vector<std::string> out;
  const std::string line = toValidUtf8(entry.line);
  const int type = static_cast<int>(entry.type);
  max_line_bytes = std::max(max_line_bytes, kMaxUtf8CharBytes);
  std::string_view rest = line;
  while (!rest.empty()) {
    std::string_view piece = utf8Prefix(rest, max_line_bytes);
    if (piece.empty()) piece = rest.substr(0, std::min(rest.size(), kMaxUtf8CharBytes));
    out.push_back(frame(type, piece));
    rest.remove_prefix(piece.size());
  }
  return out;
}

std::string logErrorFrame(std::string_view message) {
  json::object value;
  value["Type"] = static_cast<int>(orchestrator::LogStreamType::kUnknown);
  value["Line"] = "";
  json::object out;
  out["error"] = toValidUtf8(message);
  out["value"] = std::move(value);
  return json::serialize(out);
}

void registerLogRoutes(Router& router, const ApiDeps& deps) {
  router.add("GET", kLogsPattern, [&deps](const HttpRequest& req) -> Result<HttpResponse> {
    if (!req.websocket_upgrade) {
      return invalidArgument(std::string("GET ") + kLogsPattern +
                             " is a WebSocket endpoint: connect with a WebSocket client "
                             "(Connection: Upgrade, Upgrade: websocket)")
          .withComponent(kComponentApiServer)
          .withHint("read a job's logs with 'cod job logs <job-id>'");
    }
    Status not_orchestrator = deps.logs == nullptr ? notAnOrchestrator(req) : Status::ok();
    HttpResponse res;
    res.status = 101;
    res.websocket = std::make_shared<LogStream>(deps.logs, logRequest(req), not_orchestrator);
    return res;
  });
}

}  // namespace cod::api::endpoints
