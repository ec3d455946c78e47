#include "orchestrator/logs/log_proxy.h"

#include <utility>

#include "transport/log_stream.h"

namespace cod::orchestrator {

namespace {

// Passes a transport stream on to the sink.
class SinkConsumer final : public transport::LogStreamConsumer {
 public:
  explicit SinkConsumer(std::shared_ptr<LogSink> sink) : sink_(std::move(sink)) {}
  void onEntries(std::vector<transport::LogStreamEntry> entries) override {
    std::vector<LogEntry> out;
    out.reserve(entries.size());
    for (auto& e : entries) {
      LogStreamType type = e.type == 1   ? LogStreamType::kStdout
                           : e.type == 2 ? LogStreamType::kStderr
                                         : LogStreamType::kUnknown;
      out.push_back({type, std::move(e.data)});
    }
    sink_->onEntries(std::move(out));
  }
  void onEnd(Status status) override { sink_->onEnd(std::move(status)); }

 private:
  std::shared_ptr<LogSink> sink_;
};

class StreamSubscription final : public LogSubscription {
 public:
  explicit StreamSubscription(std::unique_ptr<transport::LogStreamHandle> h)
      : handle_(std::move(h)) {}
  ~StreamSubscription() override { cancel(); }
  void cancel() override {
    if (handle_) handle_->cancel();
  }

 private:
  std::unique_ptr<transport::LogStreamHandle> handle_;
};

}  // namespace

LogProxy::LogProxy(store::JobStore* store, transport::OrchestratorTransport* transport,
                   const NodeManager* nodes)
    : store_(store), transport_(transport), nodes_(nodes) {}

Result<models::Execution> LogProxy::pick(const LogRequest& req) {
  COD_ASSIGN_OR_RETURN(models::Job job, store_->resolveJob(req.job_id, req.ns));
  store::ExecutionQuery q;
  q.job_id = job.id;
  q.all_versions = true;
  COD_ASSIGN_OR_RETURN(std::vector<models::Execution> executions, store_->getExecutions(q));
  if (executions.empty()) return notFound("no executions found for job " + job.id);
  if (!req.execution_id.empty()) {
    for (auto& e : executions) {
      if (e.id == req.execution_id) return std::move(e);
    }
    return notFound("unable to find execution " + req.execution_id + " in job " + job.id);
  }
  const models::Execution* best = nullptr;
  for (const auto& e : executions) {
    if (e.isDiscarded()) continue;
    if (req.job_version != 0 && e.job_version != req.job_version) continue;
    if (best == nullptr || e.modify_time > best->modify_time) best = &e;
  }
  if (best == nullptr) {
    std::string version =
        req.job_version != 0 ? " version " + std::to_string(req.job_version) : std::string();
    return notFound("unable to find execution for job " + job.id + version +
                    ": every execution was rejected, cancelled or failed");
  }
  return *best;
}

std::unique_ptr<LogSubscription> LogProxy::open(const LogRequest& req,
                                                std::shared_ptr<LogSink> sink) {
  auto consumer = std::make_shared<SinkConsumer>(std::move(sink));
  auto picked = pick(req);
  if (!picked.isOk()) {
    return std::make_unique<StreamSubscription>(
        transport::failedLogStream("", std::move(consumer), picked.status()));
  }
  const models::Execution& e = *picked;
  if (e.node_id.empty()) {
    return std::make_unique<StreamSubscription>(transport::failedLogStream(
        "", std::move(consumer),
        failedPrecondition("execution " + e.id + " has not been given to a node yet")));
  }
  if (nodes_ != nullptr && !nodes_->isConnected(e.node_id)) {
    return std::make_unique<StreamSubscription>(transport::failedLogStream(
        e.node_id, std::move(consumer),
        unavailable("compute node " + e.node_id + ", which holds execution " + e.id +
                    ", is not connected")));
  }
  transport::LogStreamRequest request{e.id, req.tail, req.follow};
  return std::make_unique<StreamSubscription>(
      transport_->openLogStream(e.node_id, request, std::move(consumer)));
}

}  // namespace cod::orchestrator
