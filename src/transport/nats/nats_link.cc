#include "transport/nats/nats_link.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <system_error>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "common/strings.h"
#include "common/units.h"

namespace cod::transport {

// One subscription's closure. Owned by NatsLinkState so that it outlives the delivery thread.
struct NatsLinkSub {
  NatsLinkState* state = nullptr;
  NatsLink::MessageFn fn;
  std::string subject;
  natsSubscription* sub = nullptr;
  bool done = false;  // nats.c said the handler will not run again (guarded by state->mu)
};

struct NatsLinkState {
  std::string role;     // "orchestrator", "compute node": for logs
  std::string servers;  // for logs
  NatsLink::ConnectionFn on_connection_changed;
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::condition_variable cv;
  bool closed = false;  // nats.c ran the closed callback: no connection callback will follow
  std::vector<std::unique_ptr<NatsLinkSub>> subs;
  LogLimiter error_log;
};

bool LogLimiter::allow(uint64_t* suppressed) {
  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  if (last_ != std::chrono::steady_clock::time_point{} && now - last_ < interval_) {
    ++suppressed_;
    return false;
  }
  last_ = now;
  *suppressed = suppressed_;
  suppressed_ = 0;
  return true;
}

namespace {

constexpr auto kTeardownDeadline = std::chrono::seconds(10);

int64_t millis(Duration d) {
  return std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

// nats.c's thread-local last error without its "(conn.c:1905): " prefix.
std::string lastNatsError(natsStatus s) {
  const char* text = nats_GetLastError(nullptr);
  std::string out = text != nullptr ? text : "";
  if (startsWith(out, "(")) {
    auto end = out.find("): ");
    if (end != std::string::npos) out = out.substr(end + 3);
  }
  if (out.empty()) out = natsStatus_GetText(s);
  return out;
}

// Why a plain TCP connect to the first server fails ("connection refused"), or "" when it works.
// nats.c only says "No server available for connection", which does not tell a refused port
// from an unreachable host.
std::string tcpProbe(const std::string& url) {
  std::string_view rest = url;
  if (auto scheme = rest.find("://"); scheme != std::string_view::npos)
    rest = rest.substr(scheme + 3);
  if (auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  if (auto slash = rest.find('/'); slash != std::string_view::npos) rest = rest.substr(0, slash);
  std::string host;
  std::string port = "4222";
  if (startsWith(rest, "[")) {
    auto close = rest.find(']');
    if (close == std::string_view::npos) return "";
    host = std::string(rest.substr(1, close - 1));
    if (close + 1 < rest.size() && rest[close + 1] == ':')
      port = std::string(rest.substr(close + 2));
  } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = std::string(rest.substr(0, colon));
    port = std::string(rest.substr(colon + 1));
  } else {
    host = std::string(rest);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return "cannot resolve \"" + host + "\": " + gai_strerror(rc);
  }
  std::string reason;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int err = 0;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
      err = errno;
      if (err == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        if (poll(&p, 1, 2000) == 1) {
          socklen_t len = sizeof(err);
          getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        } else {
          err = ETIMEDOUT;
        }
      }
    }
    ::close(fd);
    if (err == 0) {
      reason.clear();
      break;
    }
    reason = toLower(std::error_code(err, std::system_category()).message());
  }
  freeaddrinfo(found);
  return reason;
}

// How long a refused login is tried again before it counts (see connect()).
constexpr auto kAuthRetryWindow = std::chrono::seconds(2);

// ---- nats.c callbacks: they only log, flip flags and call the owner's (queueing) functions ----

void onMessage(natsConnection* /*nc*/, natsSubscription* /*sub*/, natsMsg* msg, void* closure) {
  auto* sub = static_cast<NatsLinkSub*>(closure);
  if (!sub->state->stopping.load()) {
    const char* data = natsMsg_GetData(msg);
    int len = natsMsg_GetDataLength(msg);
    // An exception must not unwind into nats.c (it would end the process): a message a handler
    // cannot take is dropped and said so.
    try {
      const char* subject = natsMsg_GetSubject(msg);
      sub->fn(subject != nullptr ? subject : "",
              std::string_view(data != nullptr ? data : "", data != nullptr ? len : 0),
              natsMsg_GetReply(msg));
    } catch (const std::exception& e) {
      spdlog::error("nats: dropped a message on {}: {}", natsMsg_GetSubject(msg), e.what());
    } catch (...) {
      spdlog::error("nats: dropped a message on {}", natsMsg_GetSubject(msg));
    }
  }
  natsMsg_Destroy(msg);
}

void onSubscriptionComplete(void* closure) {
  auto* sub = static_cast<NatsLinkSub*>(closure);
  std::lock_guard lock(sub->state->mu);
  sub->done = true;
  sub->state->cv.notify_all();  // under the lock: close() may free the state once it is released
}

void onDisconnected(natsConnection* /*nc*/, void* closure) {
  auto* state = static_cast<NatsLinkState*>(closure);
  if (state->stopping.load()) return;
  spdlog::warn("{}: lost the connection to NATS at {}; reconnecting", state->role, state->servers);
  if (state->on_connection_changed) state->on_connection_changed(false);
}

void onReconnected(natsConnection* nc, void* closure) {
  auto* state = static_cast<NatsLinkState*>(closure);
  if (state->stopping.load()) return;
  char url[256] = {0};
  natsConnection_GetConnectedUrl(nc, url, sizeof(url));
  spdlog::info("{}: connected to NATS at {}", state->role, url);
  if (state->on_connection_changed) state->on_connection_changed(true);
}

void onClosed(natsConnection* nc, void* closure) {
  auto* state = static_cast<NatsLinkState*>(closure);
  if (!state->stopping.load()) {
    const char* last = nullptr;
    natsConnection_GetLastError(nc, &last);
    spdlog::error("{}: the connection to NATS at {} was closed and will not be retried: {}",
                  state->role, state->servers, last != nullptr ? last : "unknown reason");
  }
  std::lock_guard lock(state->mu);
  state->closed = true;
  state->cv.notify_all();  // under the lock, as above
}

void onAsyncError(natsConnection* /*nc*/, natsSubscription* sub, natsStatus err, void* closure) {
  auto* state = static_cast<NatsLinkState*>(closure);
  uint64_t suppressed = 0;
  if (!state->error_log.allow(&suppressed)) return;
  const char* subject = sub != nullptr ? natsSubscription_GetSubject(sub) : nullptr;
  spdlog::warn("{}: NATS error{}{}: {}{}", state->role, subject != nullptr ? " on " : "",
               subject != nullptr ? subject : "", natsStatus_GetText(err),
               err == NATS_SLOW_CONSUMER
                   ? " (messages were dropped because they arrived faster than they were "
                     "handled; reconciliation will repair the lost ones)"
                   : "",
               suppressed > 0 ? fmt::format(" ({} similar errors not logged)", suppressed) : "");
}

}  // namespace

NatsLink::NatsLink(NatsTransportConfig config, std::string role)
    : config_(std::move(config)), role_(std::move(role)), state_(new NatsLinkState) {
  std::vector<std::string> urls;
  for (const auto& piece : split(config_.servers, ',')) {
    auto url = trim(piece);
    if (!url.empty()) urls.emplace_back(url);
  }
  servers_text_ = join(urls, ",");
  state_->role = role_;
  state_->servers = servers_text_;
}

NatsLink::~NatsLink() { close(); }

Status NatsLink::buildOptions(natsOptions** out, bool retry) {
  natsOptions* o = nullptr;
  if (natsOptions_Create(&o) != NATS_OK) return internalError("nats.c: cannot create options");
  Status error;
  auto check = [&](natsStatus s, const std::string& what) {
    if (s != NATS_OK && error.isOk()) error = invalidArgument(what + ": " + lastNatsError(s));
  };
  std::vector<std::string> urls = split(servers_text_, ',');
  if (servers_text_.empty()) error = invalidArgument("no NATS server URL is configured");
  std::vector<const char*> ptrs;
  ptrs.reserve(urls.size());
  for (const auto& u : urls) ptrs.push_back(u.c_str());
  if (!ptrs.empty()) {
    check(natsOptions_SetServers(o, ptrs.data(), static_cast<int>(ptrs.size())),
          "bad NATS server URL \"" + servers_text_ + "\"");
  }
  if (!config_.user.empty()) {
    check(natsOptions_SetUserInfo(o, config_.user.c_str(), config_.password.c_str()), "NATS user");
  } else if (!config_.token.empty()) {
    check(natsOptions_SetToken(o, config_.token.c_str()), "NATS token");
  }
  if (!config_.inbox_prefix.empty()) {
    check(natsOptions_SetCustomInboxPrefix(o, config_.inbox_prefix.c_str()), "NATS inbox prefix");
  }
  if (!config_.connection_name.empty()) {
    check(natsOptions_SetName(o, config_.connection_name.c_str()), "NATS connection name");
  }
  // Without SendAsap the flusher thread batches writes for ~1 ms: every request would cost that.
  check(natsOptions_SetSendAsap(o, true), "NATS send-asap");
  check(natsOptions_SetAllowReconnect(o, true), "NATS reconnect");
  check(natsOptions_SetMaxReconnect(o, -1), "NATS reconnect");
  int64_t wait_ms = millis(config_.reconnect_wait);
  check(natsOptions_SetReconnectWait(o, wait_ms), "NATS reconnect wait");
  check(natsOptions_SetReconnectJitter(o, std::min<int64_t>(wait_ms / 2, 100), 1000),
        "NATS reconnect jitter");
  check(natsOptions_SetReconnectBufSize(o, config_.reconnect_buffer_bytes),
        "NATS reconnect buffer");
  check(natsOptions_SetPingInterval(o, millis(config_.ping_interval)), "NATS ping interval");
  check(natsOptions_SetMaxPingsOut(o, 3), "NATS max pings");
  // A request in flight when the link drops fails at once instead of waiting out its timeout.
  check(natsOptions_SetFailRequestsOnDisconnect(o, true), "NATS fail requests on disconnect");
  // One delivery thread per subscription (not a shared pool): a slow handler stalls only its own.
  check(natsOptions_UseGlobalMessageDelivery(o, false), "NATS message delivery");
  NatsLinkState* state = state_.get();
  check(natsOptions_SetDisconnectedCB(o, onDisconnected, state), "NATS callbacks");
  check(natsOptions_SetReconnectedCB(o, onReconnected, state), "NATS callbacks");
  check(natsOptions_SetClosedCB(o, onClosed, state), "NATS callbacks");
  check(natsOptions_SetErrorHandler(o, onAsyncError, state), "NATS callbacks");
  if (retry) {
    check(natsOptions_SetRetryOnFailedConnect(o, true, onReconnected, state), "NATS retry");
  }
  bool tls = config_.secure || !config_.ca_file.empty() || !config_.cert_file.empty() ||
             !config_.key_file.empty();
  if (tls) {
    check(natsOptions_SetSecure(o, true), "NATS TLS");
    if (!config_.ca_file.empty()) {
      check(natsOptions_LoadCATrustedCertificates(o, config_.ca_file.c_str()),
            "loading the NATS TLS CA file " + config_.ca_file);
    }
    if (config_.cert_file.empty() != config_.key_file.empty() && error.isOk()) {
      error =
          invalidArgument("NATS TLS: a client certificate needs both a cert file and a key file");
    } else if (!config_.cert_file.empty()) {
      check(
          natsOptions_LoadCertificatesChain(o, config_.cert_file.c_str(), config_.key_file.c_str()),
          "loading the NATS TLS certificate " + config_.cert_file);
    }
  }
  if (!error.isOk()) {
    natsOptions_Destroy(o);
    return error;
  }
  *out = o;
  return Status::ok();
}

Status NatsLink::connectError(natsStatus s) {
  const std::string last = lastNatsError(s);
  const std::string at = "NATS at " + servers_text_;
  switch (s) {
    case NATS_NO_SERVER: {
      std::string reason = tcpProbe(split(servers_text_, ',').front());
      if (reason.empty()) reason = toLower(last);
      return unavailable("cannot connect to " + at + ": " + reason +
                         " (is the orchestrator running? check --orchestrators and --token)");
    }
    case NATS_CONNECTION_AUTH_FAILED:
    case NATS_NOT_PERMITTED:
      if (!config_.user.empty()) {
        return permissionDenied(at + " refused user " + config_.user +
                                ": authorization violation (unknown user or wrong password)");
      }
      return permissionDenied(at +
                              " refused the connection: authorization violation (the token "
                              "does not match the server's: check --token)");
    case NATS_SECURE_CONNECTION_WANTED:
      return unavailable(at +
                         " does not offer TLS, but TLS is configured: drop the TLS settings "
                         "or enable TLS on the server");
    case NATS_SECURE_CONNECTION_REQUIRED:
      return unavailable(at + " requires TLS: configure TLS (a CA file, or the secure flag)");
    case NATS_SSL_ERROR:
      return unavailable("TLS with " + at + " failed: " + last)
          .withHint(
              "give the CA certificate that signed the server's certificate with --tls-ca-file "
              "(for a self-signed certificate, the certificate itself)");
    case NATS_ADDRESS_MISSING:
    case NATS_INVALID_ARG:
      return invalidArgument("bad NATS server URL \"" + servers_text_ + "\": " + last);
    default: {
      Status st = unavailable("cannot connect to " + at + ": " + last);
      const bool tls = config_.secure || !config_.ca_file.empty() || !config_.cert_file.empty();
      if (tls && config_.cert_file.empty()) {
        st.withHint(
            "a NATS server that wants a client certificate closes the connection like this: "
            "give one with --tls-cert-file and --tls-key-file");
      }
      return st;
    }
  }
}

Status NatsLink::connect(ConnectionFn on_connection_changed, bool* transient) {
  state_->on_connection_changed = std::move(on_connection_changed);
  natsOptions* opts = nullptr;
  // The first attempt never retries, so that what retrying cannot fix (TLS, the token, the URL)
  // is one clear error now instead of a link that retries, or closes, in silence.
  COD_RETURN_IF_ERROR(buildOptions(&opts, /*retry=*/false));
  natsConnection* nc = nullptr;
  natsStatus s = natsConnection_Connect(&nc, opts);
  // A nats-server that is reloading its users (an orchestrator admitting a node) refuses logins
  // for a moment, or closes the connection before its first PONG: a refusal is believed once it
  // has lasted longer than a reload takes. Nobody listening, TLS and the URL are not retried here.
  auto reload_race = [](natsStatus st) {
    return st != NATS_OK && st != NATS_NO_SERVER && st != NATS_TIMEOUT && st != NATS_SSL_ERROR &&
           st != NATS_SECURE_CONNECTION_WANTED && st != NATS_SECURE_CONNECTION_REQUIRED &&
           st != NATS_ADDRESS_MISSING && st != NATS_INVALID_ARG;
  };
  const auto auth_deadline = std::chrono::steady_clock::now() + kAuthRetryWindow;
  while (reload_race(s) && std::chrono::steady_clock::now() < auth_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    s = natsConnection_Connect(&nc, opts);
  }
  natsOptions_Destroy(opts);  // the connection keeps its own copy
  const bool permanent = s == NATS_SSL_ERROR || s == NATS_SECURE_CONNECTION_WANTED ||
                         s == NATS_SECURE_CONNECTION_REQUIRED || s == NATS_CONNECTION_AUTH_FAILED ||
                         s == NATS_NOT_PERMITTED || s == NATS_ADDRESS_MISSING ||
                         s == NATS_INVALID_ARG;
  if (s != NATS_OK && !permanent && config_.retry_on_failed_connect) {
    // Nobody answers yet (the orchestrator may start later): keep trying in the background.
    COD_RETURN_IF_ERROR(buildOptions(&opts, /*retry=*/true));
    s = natsConnection_Connect(&nc, opts);
    natsOptions_Destroy(opts);
    if (s == NATS_NOT_YET_CONNECTED) {
      spdlog::warn("{}: NATS at {} is not reachable yet; retrying in the background", role_,
                   servers_text_);
      s = NATS_OK;
    }
  }
  // Only "nobody answers yet" goes away by waiting; a server that answers and then closes (a TLS
  // server that wants a client certificate) does not.
  if (transient != nullptr) *transient = s == NATS_NO_SERVER || s == NATS_TIMEOUT;
  if (s != NATS_OK) return connectError(s);
  std::unique_lock lock(rw_);
  connection_ = nc;
  return Status::ok();
}

Status NatsLink::subscribe(const std::string& subject, const std::string& queue, MessageFn fn) {
  std::shared_lock lock(rw_);
  if (connection_ == nullptr) return failedPrecondition("the NATS link is not connected");
  auto sub = std::make_unique<NatsLinkSub>();
  sub->state = state_.get();
  sub->fn = std::move(fn);
  sub->subject = subject;
  natsStatus s =
      queue.empty()
          ? natsConnection_Subscribe(&sub->sub, connection_, subject.c_str(), onMessage, sub.get())
          : natsConnection_QueueSubscribe(&sub->sub, connection_, subject.c_str(), queue.c_str(),
                                          onMessage, sub.get());
  if (s == NATS_OK)
    s = natsSubscription_SetOnCompleteCB(sub->sub, onSubscriptionComplete, sub.get());
  if (s != NATS_OK) {
    std::string error = lastNatsError(s);
    if (sub->sub != nullptr) {
      // Keep it: its delivery thread may still call back; close() waits for it like the others.
      natsSubscription_Unsubscribe(sub->sub);
      std::lock_guard state_lock(state_->mu);
      state_->subs.push_back(std::move(sub));
    }
    return unavailable("subscribing to " + subject + " on NATS at " + servers_text_ + ": " + error);
  }
  std::lock_guard state_lock(state_->mu);
  state_->subs.push_back(std::move(sub));
  return Status::ok();
}

void NatsLink::flush() {
  std::shared_lock lock(rw_);
  if (connection_ == nullptr || natsConnection_Status(connection_) != NATS_CONN_STATUS_CONNECTED) {
    return;  // subscriptions are sent when the connection is made
  }
  natsStatus s = natsConnection_FlushTimeout(connection_, millis(config_.request_timeout));
  if (s != NATS_OK) {
    spdlog::warn("{}: NATS at {} did not confirm the subscriptions: {}", role_, servers_text_,
                 lastNatsError(s));
  }
}

Status NatsLink::publish(const std::string& subject, std::string_view data, std::string_view what) {
  std::shared_lock lock(rw_);
  if (connection_ == nullptr) {
    return unavailable("the NATS transport is not running; " + std::string(what) + " not sent");
  }
  natsStatus s = natsConnection_Publish(connection_, subject.c_str(), data.data(),
                                        static_cast<int>(data.size()));
  switch (s) {
    case NATS_OK: return Status::ok();
    case NATS_INSUFFICIENT_BUFFER:
      return unavailable("not connected to NATS at " + servers_text_ +
                         " and the reconnect buffer is full; " + std::string(what) + " dropped");
    case NATS_MAX_PAYLOAD:
      return resourceExhausted(std::string(what) + " of " + formatBytes(data.size()) +
                               " is larger than NATS at " + servers_text_ +
                               " accepts (raise the server's max_payload)");
    case NATS_CONNECTION_CLOSED:
      return unavailable("the connection to NATS at " + servers_text_ + " is closed; " +
                         std::string(what) + " not sent");
    default:
      return unavailable("sending " + std::string(what) + " over NATS at " + servers_text_ + ": " +
                         lastNatsError(s));
  }
}

Result<std::string> NatsLink::request(const std::string& subject, std::string_view data,
                                      std::string_view what) {
  const std::string w(what);
  std::shared_lock lock(rw_);
  if (connection_ == nullptr) {
    return unavailable("the NATS transport is not running; the " + w + " was not sent");
  }
  if (natsConnection_Status(connection_) != NATS_CONN_STATUS_CONNECTED) {
    return unavailable("not connected to NATS at " + servers_text_ + " (reconnecting); the " + w +
                       " was not sent");
  }
  natsMsg* reply = nullptr;
  natsStatus s =
      natsConnection_Request(&reply, connection_, subject.c_str(), data.data(),
                             static_cast<int>(data.size()), millis(config_.request_timeout));
  switch (s) {
    case NATS_OK: {
      const char* bytes = natsMsg_GetData(reply);
      std::string out = bytes != nullptr ? std::string(bytes, natsMsg_GetDataLength(reply)) : "";
      natsMsg_Destroy(reply);
      return out;
    }
    case NATS_TIMEOUT:
      return Status(deadlineExceeded("the orchestrator did not answer the " + w + " within " +
                                     formatDuration(config_.request_timeout) + " (NATS at " +
                                     servers_text_ + "); it may be overloaded or stopping"))
          .withRetryable();
    case NATS_NO_RESPONDERS:
      return unavailable("no orchestrator is listening on NATS at " + servers_text_ + "; the " + w +
                         " was not answered (is the orchestrator running?)")
          .withErrorCode(kNatsNoResponders);
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_CONNECTION_CLOSED:
      return unavailable("the connection to NATS at " + servers_text_ +
                         " dropped while waiting for the answer to the " + w);
    case NATS_MAX_PAYLOAD:
      return resourceExhausted("the " + w + " of " + formatBytes(data.size()) +
                               " is larger than NATS at " + servers_text_ + " accepts");
    default:
      return unavailable("sending the " + w + " over NATS at " + servers_text_ + ": " +
                         lastNatsError(s));
  }
}

TransportStats NatsLink::stats() {
  TransportStats out;
  std::shared_lock lock(rw_);
  if (connection_ == nullptr) return out;
  natsStatistics* st = nullptr;
  if (natsStatistics_Create(&st) != NATS_OK) return out;
  if (natsConnection_GetStats(connection_, st) == NATS_OK) {
    (void)natsStatistics_GetCounts(st, &out.messages_in, &out.bytes_in, &out.messages_out,
                                   &out.bytes_out, nullptr);
  }
  natsStatistics_Destroy(st);
  return out;
}

void NatsLink::close() {
  if (!state_) return;  // already closed, or leaked after a failed teardown
  natsConnection* nc = nullptr;
  {
    std::shared_lock lock(rw_);
    nc = connection_;
  }
  if (nc == nullptr) return;  // never connected: nats.c holds no pointer to us
  state_->stopping.store(true);

  std::vector<NatsLinkSub*> subs;
  {
    std::lock_guard lock(state_->mu);
    for (auto& s : state_->subs) subs.push_back(s.get());
  }
  for (auto* s : subs) natsSubscription_Unsubscribe(s->sub);
  bool subs_done = false;
  {
    std::unique_lock lock(state_->mu);
    subs_done = state_->cv.wait_for(lock, kTeardownDeadline, [&] {
      return std::all_of(subs.begin(), subs.end(), [](NatsLinkSub* s) { return s->done; });
    });
  }
  // Closing also releases requests blocked in request(), so the writer lock below is not held up
  // by them for a whole request timeout.
  natsConnection_Close(nc);
  bool closed = false;
  {
    std::unique_lock lock(state_->mu);
    closed = state_->cv.wait_for(lock, kTeardownDeadline, [&] { return state_->closed; });
  }
  std::unique_lock lock(rw_);
  connection_ = nullptr;
  if (!subs_done || !closed) {
    // A handler is stuck (or nats.c lost a callback): freeing now could let nats.c call into freed
    // memory. Keep everything instead; this only happens on the way out.
    spdlog::error(
        "{}: NATS teardown did not complete within {}s (a message handler is stuck?); "
        "leaving the connection open",
        role_, kTeardownDeadline.count());
    (void)state_.release();
    return;
  }
  for (auto* s : subs) natsSubscription_Destroy(s->sub);
  natsConnection_Destroy(nc);
  state_.reset();
}

}  // namespace cod::transport
