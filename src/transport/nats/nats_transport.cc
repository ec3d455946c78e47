#include "transport/nats/nats_transport.h"

#include <algorithm>
#include <cctype>
#include <thread>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "common/check.h"
#include "common/ids.h"
#include "models/json.h"
#include "transport/messages_json.h"
#include "transport/nats/nats_link.h"
#include "transport/nats/subjects.h"

namespace cod::transport {

namespace bj = boost::json;

namespace {

// The answer to a control request the orchestrator could not handle. Same envelope shape as every
// other message, so that a compute node tells it apart by its Type and fails with its message.
constexpr const char* kErrorType = "Error";

// Malformed or unknown messages from the network: worth a line every few seconds, not one each.
void logDropped(std::string_view what, const Status& why) {
  static LogLimiter limiter;
  uint64_t suppressed = 0;
  if (limiter.allow(&suppressed)) {
    spdlog::warn(
        "NATS transport: dropped {}: {}{}", what, why.message(),
        suppressed > 0 ? fmt::format(" ({} more dropped since the last report)", suppressed) : "");
  } else {
    spdlog::debug("NATS transport: dropped {}: {}", what, why.message());
  }
}

std::string errorEnvelope(const Status& status) {
  bj::object payload;
  payload["Code"] = statusCodeName(status.code());
  payload["Message"] = status.message();
  bj::object o;
  o["Type"] = kErrorType;
  o["Version"] = kSchemaVersion;
  o["Payload"] = std::move(payload);
  return models::serialize(o);
}

Status statusFromErrorEnvelope(std::string_view text, std::string_view what) {
  std::string code_name;
  std::string message = "no reason given";
  if (auto parsed = models::parseJson(text); parsed.isOk() && parsed->is_object()) {
    if (const auto* p = models::findKey(parsed->as_object(), "Payload"); p && p->is_object()) {
      const auto* c = models::findKey(p->as_object(), "Code");
      const auto* m = models::findKey(p->as_object(), "Message");
      if (c && c->is_string()) code_name = std::string(c->as_string());
      if (m && m->is_string()) message = std::string(m->as_string());
    }
  }
  StatusCode code = StatusCode::kInternal;
  for (int i = static_cast<int>(StatusCode::kInvalidArgument);
       i <= static_cast<int>(StatusCode::kInternal); ++i) {
    if (statusCodeName(static_cast<StatusCode>(i)) == code_name) code = static_cast<StatusCode>(i);
  }
  return {code, "the orchestrator could not handle the " + std::string(what) + ": " + message};
}

// The node a request or message says it comes from.
const std::string& claimedNode(const HandshakeRequest& r) { return r.node_info.node_id; }
const std::string& claimedNode(const UpdateNodeInfoRequest& r) { return r.node_info.node_id; }
template <typename Request>
const std::string& claimedNode(const Request& r) {
  return r.node_id;
}

// A node may speak only for itself: what it sends must name the node its subject names (and only
// that node's credentials may publish there, when nodes have their own).
Status checkSender(std::string_view subject_node, const std::string& claimed) {
  if (claimed == subject_node) return Status::ok();
  return permissionDenied("a message from node \"" + std::string(subject_node) +
                          "\" may not speak for node \"" + claimed + "\"");
}

// Decodes a control request and hands it to `handle` with the reply that publishes the answer to
// `reply_subject`; a request that cannot be decoded, or that names another node than the subject
// it came on, is answered with an error at once.
template <typename Response, typename Request, typename Handle>
void dispatch(const std::shared_ptr<NatsLink>& link, std::string_view sender,
              std::string reply_subject, Result<Request> request, const std::string& type,
              Handle handle) {
  std::weak_ptr<NatsLink> to_link = link;
  if (request.isOk()) {
    if (Status s = checkSender(sender, claimedNode(*request)); !s.isOk()) request = s;
  }
  if (!request.isOk()) {
    logDropped(type + " (answered with an error)", request.status());
    Status s =
        link->publish(reply_subject, errorEnvelope(request.status()), "the answer to a " + type);
    if (!s.isOk()) spdlog::debug("orchestrator: {}", s.message());
    return;
  }
  handle(*request, Reply<Response>([to_link, reply_subject = std::move(reply_subject),
                                    type](Response answer) {
    auto to = to_link.lock();
    if (!to) return;  // the transport is gone
    Status s = to->publish(reply_subject, encode(answer), "the answer to a " + type);
    if (!s.isOk()) spdlog::debug("orchestrator: {}", s.message());
  }));
}

}  // namespace

// ---- orchestrator ----

NatsOrchestratorTransport::NatsOrchestratorTransport(NatsTransportConfig config)
    : config_(std::move(config)) {
  if (config_.connection_name.empty()) config_.connection_name = "cod-orchestrator";
}

NatsOrchestratorTransport::~NatsOrchestratorTransport() { stop(); }

Status NatsOrchestratorTransport::start(OrchestratorHandler* handler) {
  COD_CHECK(handler != nullptr) << "NatsOrchestratorTransport::start without a handler";
  COD_CHECK(link_ == nullptr) << "NatsOrchestratorTransport::start called twice";
  handler_.store(handler);
  link_ = std::make_shared<NatsLink>(config_, "orchestrator");
  Status s = link_->connect(nullptr);
  const std::string queue = kNatsOrchestratorQueueGroup;
  // Each subscription has its own delivery thread: control requests are answered on
  // `control_subscriptions` threads (the server spreads them over the queue group), data messages
  // on another one.
  for (int i = 0; s.isOk() && i < std::max(1, config_.control_subscriptions); ++i) {
    s = link_->subscribe(kNatsControlWildcard, queue,
                         [this](std::string_view subject, std::string_view data,
                                const char* reply) { onControl(subject, data, reply); });
  }
  if (s.isOk()) {
    s = link_->subscribe(kNatsToOrchestratorWildcard, queue,
                         [this](std::string_view subject, std::string_view data, const char*) {
                           onData(subject, data);
                         });
  }
  if (s.isOk() && config_.admit) {
    s = link_->subscribe(kNatsJoinSubject, queue,
                         [this](std::string_view, std::string_view data, const char* reply) {
                           onJoin(data, reply);
                         });
  }
  // Not in the queue group: chunks come back to the process that opened the stream.
  log_reply_subject_ = std::string(kNatsLogReplyPrefix) + newUuid();
  if (s.isOk()) {
    s = link_->subscribe(
        log_reply_subject_, "",
        [this](std::string_view, std::string_view data, const char*) { onLogChunk(data); });
  }
  if (!s.isOk()) {
    link_->close();
    handler_.store(nullptr);
    return s;
  }
  link_->flush();
  spdlog::info("orchestrator: listening for compute nodes on NATS at {}", link_->servers());
  return Status::ok();
}

TransportStats NatsOrchestratorTransport::stats() const {
  return link_ ? link_->stats() : TransportStats{};
}

void NatsOrchestratorTransport::stop() {
  std::map<std::string, std::shared_ptr<LogStreamReceiver>> streams;
  {
    std::lock_guard lock(streams_mu_);
    streams.swap(streams_);
    stopped_ = true;
  }
  for (auto& entry : streams) entry.second->detach();
  if (link_) link_->close();
  handler_.store(nullptr);
  for (auto& entry : streams) entry.second->fail(unavailable("the orchestrator is stopping"));
}

std::unique_ptr<LogStreamHandle> NatsOrchestratorTransport::openLogStream(
    const std::string& node_id, const LogStreamRequest& request,
    std::shared_ptr<LogStreamConsumer> consumer) {
  if (Status valid = validateNodeIdForSubject(node_id); !valid.isOk()) {
    return failedLogStream(node_id, std::move(consumer), valid);
  }
  if (!link_) {
    return failedLogStream(node_id, std::move(consumer),
                           unavailable("the NATS transport is not started"));
  }
  std::string id = newUuid();
  auto receiver =
      std::make_shared<LogStreamReceiver>(id, node_id, std::move(consumer), config_.log_limits);
  // Its callbacks are set before a stop() can find it in streams_ (and detach it), and its thread
  // starts once it is there, so that the on_done that removes it never comes first. Neither
  // happens under streams_mu_, which on_done takes.
  std::string acks = natsComputeLogAcksSubject(node_id);
  receiver->setCallbacks(
      [this, acks](const LogStreamAck& ack) {
        Status s = link_->publish(acks, encode(ack), "a log stream acknowledgement");
        if (!s.isOk()) spdlog::debug("orchestrator: {}", s.message());
      },
      [this, id] {
        std::lock_guard done_lock(streams_mu_);
        streams_.erase(id);
      });
  bool stopped = false;
  {
    std::lock_guard lock(streams_mu_);
    stopped = stopped_;
    if (!stopped) streams_[id] = receiver;
  }
  if (stopped) {
    receiver->detach();
    receiver->fail(unavailable("the NATS transport is stopped"));
  }
  receiver->launch();
  if (stopped) return receiver->handle();
  LogStreamOpen open;
  open.stream_id = id;
  open.reply_to = log_reply_subject_;
  open.request = request;
  open.window = config_.log_limits.window;
  open.keepalive_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(config_.log_limits.idle_timeout / 3)
          .count();
  Status sent = link_->publish(natsComputeLogsSubject(node_id), encode(open),
                               "a log request for node " + node_id);
  if (!sent.isOk()) receiver->fail(sent);
  return receiver->handle();
}

void NatsOrchestratorTransport::onLogChunk(std::string_view data) {
  auto chunk = decodeLogStreamChunk(data);
  if (!chunk.isOk()) {
    logDropped("a log chunk", chunk.status());
    return;
  }
  std::shared_ptr<LogStreamReceiver> receiver;
  {
    std::lock_guard lock(streams_mu_);
    auto it = streams_.find(chunk->stream_id);
    if (it == streams_.end()) return;  // cancelled or over
    receiver = it->second;
  }
  receiver->onChunk(std::move(chunk).value());
}

Status NatsOrchestratorTransport::send(const std::string& node_id, const ToComputeMessage& msg) {
  COD_RETURN_IF_ERROR(validateNodeIdForSubject(node_id));
  if (!link_) return unavailable("the NATS transport is not started; message not sent");
  return link_->publish(natsComputeSubject(node_id), encode(msg),
                        messageTypeName(msg) + " for node " + node_id);
}

void NatsOrchestratorTransport::onControl(std::string_view subject, std::string_view data,
                                          const char* reply) {
  OrchestratorHandler* handler = handler_.load();
  if (handler == nullptr) return;
  // Answers go to inboxes only: the orchestrator may publish anywhere, and a request must not
  // make it publish on another node's subjects.
  if (reply == nullptr || !std::string_view(reply).starts_with("_INBOX.")) {
    logDropped("a control request whose reply subject is no inbox",
               invalidArgument("nowhere to answer"));
    return;
  }
  const std::string_view sender = natsSubjectNode(subject, kNatsControlPrefix);
  // The Type literals are those of messages_json.cc.
  const std::string type = envelopeType(data);
  if (type == "HandshakeRequest") {
    dispatch<HandshakeResponse>(link_, sender, reply, decodeHandshakeRequest(data), type,
                                [&](const HandshakeRequest& r, Reply<HandshakeResponse> answer) {
                                  handler->onHandshake(r, std::move(answer));
                                });
  } else if (type == "HeartbeatRequest") {
    dispatch<HeartbeatResponse>(link_, sender, reply, decodeHeartbeatRequest(data), type,
                                [&](const HeartbeatRequest& r, Reply<HeartbeatResponse> answer) {
                                  handler->onHeartbeat(r, std::move(answer));
                                });
  } else if (type == "UpdateNodeInfoRequest") {
    dispatch<UpdateNodeInfoResponse>(
        link_, sender, reply, decodeUpdateNodeInfoRequest(data), type,
        [&](const UpdateNodeInfoRequest& r, Reply<UpdateNodeInfoResponse> answer) {
          handler->onUpdateNodeInfo(r, std::move(answer));
        });
  } else if (type == "ReconcileRequest") {
    dispatch<ReconcileResponse>(link_, sender, reply, decodeReconcileRequest(data), type,
                                [&](const ReconcileRequest& r, Reply<ReconcileResponse> answer) {
                                  handler->onReconcile(r, std::move(answer));
                                });
  } else if (type == "PresignUploadRequest") {
    dispatch<PresignUploadResponse>(
        link_, sender, reply, decodePresignUploadRequest(data), type,
        [&](const PresignUploadRequest& r, Reply<PresignUploadResponse> answer) {
          handler->onPresignUpload(r, std::move(answer));
        });
  } else {
    Status why = type.empty()
                     ? invalidArgument("the request is not a cod message envelope")
                     : unimplemented("unknown control request type \"" + type +
                                     "\" (is the orchestrator older than the compute node?)");
    logDropped("a control request (answered with an error)", why);
    Status s = link_->publish(reply, errorEnvelope(why), "the answer to a " + type);
    if (!s.isOk()) spdlog::debug("orchestrator: {}", s.message());
  }
}

void NatsOrchestratorTransport::onData(std::string_view subject, std::string_view data) {
  OrchestratorHandler* handler = handler_.load();
  if (handler == nullptr) return;
  auto msg = decodeToOrchestrator(data);
  if (msg.isOk()) {
    const std::string& claimed =
        std::visit([](const auto& m) -> const std::string& { return m.node_id; }, *msg);
    Status s = checkSender(natsSubjectNode(subject, kNatsToOrchestratorPrefix), claimed);
    if (!s.isOk()) msg = s;
  }
  if (!msg.isOk()) {
    logDropped("a message for the orchestrator", msg.status());
    return;
  }
  handler->onMessage(*msg);
}

namespace {

constexpr const char* kJoinRequestType = "JoinRequest";
constexpr const char* kJoinResponseType = "JoinResponse";

std::string envelope(const char* type, bj::object payload) {
  bj::object o;
  o["Type"] = type;
  o["Version"] = kSchemaVersion;
  o["Payload"] = std::move(payload);
  return models::serialize(o);
}

struct JoinRequest {
  std::string node_id;
  std::string secret;
};

Result<JoinRequest> decodeJoinRequest(std::string_view data) {
  COD_ASSIGN_OR_RETURN(bj::value parsed, models::parseJson(data));
  const bj::object* payload = nullptr;
  if (parsed.is_object()) {
    if (const auto* p = models::findKey(parsed.as_object(), "Payload"); p && p->is_object()) {
      payload = &p->as_object();
    }
  }
  if (payload == nullptr) return invalidArgument("a JoinRequest needs a Payload object");
  JoinRequest r;
  for (auto [key, out] : {std::pair{"NodeID", &r.node_id}, {"Secret", &r.secret}}) {
    const auto* v = models::findKey(*payload, key);
    if (v == nullptr || !v->is_string()) {
      return invalidArgument(std::string("a JoinRequest needs a string ") + key);
    }
    *out = std::string(v->as_string());
  }
  return r;
}

}  // namespace

void NatsOrchestratorTransport::onJoin(std::string_view data, const char* reply) {
  if (reply == nullptr ||
      !std::string_view(reply).starts_with(std::string(kNatsJoinInboxPrefix) + ".")) {
    logDropped("a join request whose reply subject is no joiner's inbox",
               invalidArgument("nowhere to answer"));
    return;
  }
  Result<JoinRequest> request = decodeJoinRequest(data);
  Status admitted = request.isOk() ? validateNodeIdForSubject(request->node_id) : request.status();
  if (admitted.isOk()) admitted = config_.admit(request->node_id, request->secret);
  std::string answer;
  if (admitted.isOk()) {
    spdlog::info("orchestrator: node {} joined with credentials of its own", request->node_id);
    answer = envelope(kJoinResponseType, bj::object{{"Accepted", true}});
  } else {
    logDropped("a join request (refused)", admitted);
    answer = errorEnvelope(admitted);
  }
  Status s = link_->publish(reply, answer, "the answer to a join request");
  if (!s.isOk()) spdlog::debug("orchestrator: {}", s.message());
}

Status joinNatsCluster(NatsTransportConfig config, const std::string& node_id,
                       const std::string& secret) {
  COD_RETURN_IF_ERROR(validateNodeIdForSubject(node_id));
  config.user = kNatsJoinUser;
  config.password = config.token;
  config.inbox_prefix = kNatsJoinInboxPrefix;
  config.retry_on_failed_connect = false;
  if (config.connection_name.empty()) config.connection_name = "cod-join " + node_id;
  NatsLink link(config, "joining node " + node_id);
  bool transient = false;
  if (Status s = link.connect(nullptr, &transient); !s.isOk()) {
    // What trying again cannot fix is no longer "unavailable" (the credentials stay as they are:
    // a refused join user means a server without per-node credentials).
    if (transient || s.code() != StatusCode::kUnavailable) return s;
    return Status(StatusCode::kFailedPrecondition, s.message()).withHint(s.hint());
  }
  Result<std::string> reply =
      link.request(kNatsJoinSubject,
                   envelope(kJoinRequestType, bj::object{{"NodeID", node_id}, {"Secret", secret}}),
                   "join request");
  link.close();
  if (!reply.isOk()) return reply.status();
  if (envelopeType(*reply) == kErrorType) return statusFromErrorEnvelope(*reply, "join request");
  if (envelopeType(*reply) != kJoinResponseType) {
    return internalError("the orchestrator answered the join request with a " +
                         envelopeType(*reply));
  }
  return Status::ok();
}

// ---- compute ----

NatsComputeTransport::NatsComputeTransport(NatsTransportConfig config)
    : config_(std::move(config)) {}

NatsComputeTransport::~NatsComputeTransport() { stop(); }

Status NatsComputeTransport::start(const std::string& node_id, ComputeHandler* handler) {
  COD_CHECK(handler != nullptr) << "NatsComputeTransport::start without a handler";
  COD_CHECK(link_ == nullptr) << "NatsComputeTransport::start called twice";
  COD_RETURN_IF_ERROR(validateNodeIdForSubject(node_id));
  if (config_.connection_name.empty()) config_.connection_name = "cod-compute " + node_id;
  if (!config_.user.empty() && config_.inbox_prefix.empty()) {
    config_.inbox_prefix = natsNodeInboxPrefix(node_id);
  }
  handler_.store(handler);
  link_ = std::make_unique<NatsLink>(config_, "compute node " + node_id);
  Status s = link_->connect([this](bool connected) {
    if (ComputeHandler* h = handler_.load()) h->onConnectionChanged(connected);
  });
  if (s.isOk()) {
    s = link_->subscribe(
        natsComputeSubject(node_id), "",
        [this](std::string_view, std::string_view data, const char*) { onData(data); });
  }
  // Log requests and their acknowledgements on threads of their own: a burst of chunks being
  // acknowledged never delays an execution's messages.
  if (s.isOk()) {
    s = link_->subscribe(
        natsComputeLogsSubject(node_id), "",
        [this](std::string_view, std::string_view data, const char*) { onLogOpen(data); });
  }
  if (s.isOk()) {
    s = link_->subscribe(
        natsComputeLogAcksSubject(node_id), "",
        [this](std::string_view, std::string_view data, const char*) { onLogAck(data); });
  }
  if (!s.isOk()) {
    link_->close();
    handler_.store(nullptr);
    return s;
  }
  link_->flush();
  return Status::ok();
}

void NatsComputeTransport::stop() {
  std::map<std::string, std::shared_ptr<LogStreamSender>> streams;
  {
    std::lock_guard lock(streams_mu_);
    streams.swap(streams_);
    stopped_ = true;
  }
  for (auto& entry : streams) entry.second->detach();
  if (link_) link_->close();
  handler_.store(nullptr);
}

namespace {

// A reply subject the orchestrator named: one of ours, nothing that could reach another subject.
bool isLogReplySubject(const std::string& subject) {
  if (subject.rfind(kNatsLogReplyPrefix, 0) != 0 || subject.size() > 200) return false;
  for (char c : subject.substr(std::string_view(kNatsLogReplyPrefix).size())) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

}  // namespace

void NatsComputeTransport::onLogOpen(std::string_view data) {
  ComputeHandler* handler = handler_.load();
  if (handler == nullptr) return;
  auto open = decodeLogStreamOpen(data);
  if (!open.isOk()) {
    logDropped("a log request", open.status());
    return;
  }
  if (!isLogReplySubject(open->reply_to)) {
    logDropped("a log request", invalidArgument("bad reply subject " + open->reply_to));
    return;
  }
  LogStreamLimits limits = config_.log_limits;
  limits.window = static_cast<int>(std::clamp<int64_t>(open->window, 1, 64));
  std::string id = open->stream_id;
  std::string reply = open->reply_to;
  auto sender = std::make_shared<LogStreamSender>(
      id, limits, std::chrono::milliseconds(std::max<int64_t>(open->keepalive_ms, 100)),
      [this, reply](const LogStreamChunk& chunk) {
        return link_->publish(reply, encode(chunk), "a log chunk");
      },
      [this, id] {
        std::lock_guard lock(streams_mu_);
        streams_.erase(id);
      });
  {
    std::lock_guard lock(streams_mu_);
    // A duplicate request, or one that came as the transport stops (stop() has taken the streams
    // it detaches): dropped without a word on the stream.
    if (stopped_ || streams_.count(id) > 0) {
      sender->detach();
      return;
    }
    streams_[id] = sender;
  }
  handler->onLogStream(open->request, std::make_unique<SharedLogStreamWriter>(sender));
}

void NatsComputeTransport::onLogAck(std::string_view data) {
  auto ack = decodeLogStreamAck(data);
  if (!ack.isOk()) {
    logDropped("a log acknowledgement", ack.status());
    return;
  }
  std::shared_ptr<LogStreamSender> sender;
  {
    std::lock_guard lock(streams_mu_);
    auto it = streams_.find(ack->stream_id);
    if (it == streams_.end()) return;
    sender = it->second;
  }
  sender->onAck(*ack);
}

namespace {

template <typename Response, typename Decode>
Result<Response> call(NatsLink* link, const std::string& subject, const std::string& payload,
                      std::string_view what, Decode decode) {
  if (link == nullptr) {
    return unavailable("the NATS transport is not started; the " + std::string(what) +
                       " was not sent");
  }
  COD_ASSIGN_OR_RETURN(std::string reply, link->request(subject, payload, what));
  if (envelopeType(reply) == kErrorType) return statusFromErrorEnvelope(reply, what);
  Result<Response> decoded = decode(reply);
  if (!decoded.isOk()) {
    return internalError("cannot read the orchestrator's answer to the " + std::string(what) +
                         ": " + decoded.status().message());
  }
  return decoded;
}

}  // namespace

Result<HandshakeResponse> NatsComputeTransport::handshake(const HandshakeRequest& req) {
  return call<HandshakeResponse>(link_.get(), natsControlSubject(req.node_info.node_id),
                                 encode(req), "handshake", decodeHandshakeResponse);
}

Result<HeartbeatResponse> NatsComputeTransport::heartbeat(const HeartbeatRequest& req) {
  return call<HeartbeatResponse>(link_.get(), natsControlSubject(req.node_id), encode(req),
                                 "heartbeat", decodeHeartbeatResponse);
}

Result<UpdateNodeInfoResponse> NatsComputeTransport::updateNodeInfo(
    const UpdateNodeInfoRequest& req) {
  return call<UpdateNodeInfoResponse>(link_.get(), natsControlSubject(req.node_info.node_id),
                                      encode(req), "node info update",
                                      decodeUpdateNodeInfoResponse);
}

Result<PresignUploadResponse> NatsComputeTransport::presignUpload(const PresignUploadRequest& req) {
  return call<PresignUploadResponse>(link_.get(), natsControlSubject(req.node_id), encode(req),
                                     "upload URL request", decodePresignUploadResponse);
}

Result<ReconcileResponse> NatsComputeTransport::reconcile(const ReconcileRequest& req) {
  return call<ReconcileResponse>(link_.get(), natsControlSubject(req.node_id), encode(req),
                                 "reconcile request", decodeReconcileResponse);
}

Status NatsComputeTransport::send(const ToOrchestratorMessage& msg) {
  if (!link_) return unavailable("the NATS transport is not started; message not sent");
  // On the subject of the node the message names: with per-node credentials the server lets it
  // through only if that is this node.
  const std::string& node =
      std::visit([](const auto& m) -> const std::string& { return m.node_id; }, msg);
  return link_->publish(natsToOrchestratorSubject(node), encode(msg), messageTypeName(msg));
}

void NatsComputeTransport::onData(std::string_view data) {
  ComputeHandler* handler = handler_.load();
  if (handler == nullptr) return;
  auto msg = decodeToCompute(data);
  if (!msg.isOk()) {
    logDropped("a message for this compute node", msg.status());
    return;
  }
  handler->onMessage(*msg);
}

}  // namespace cod::transport
