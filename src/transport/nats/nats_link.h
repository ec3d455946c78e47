#pragma once

// Internal to transport/nats. One nats.c connection and its subscriptions, shared by both ends of
// the NATS transport. It owns the parts of nats.c that are easy to get wrong: options (SendAsap,
// reconnect forever), error texts a user can act on, and teardown that waits until nats.c can no
// longer call back into memory we are about to free.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>

#include <nats/nats.h>

#include "common/status.h"
#include "transport/nats/nats_transport.h"

namespace cod::transport {

struct NatsLinkState;  // what nats.c's callbacks point at (nats_link.cc)

// Lets one message through per interval and counts the rest, so that a flood of bad messages
// costs a log line every few seconds, not one per message. Thread-safe.
class LogLimiter {
 public:
  explicit LogLimiter(std::chrono::steady_clock::duration interval = std::chrono::seconds(10))
      : interval_(interval) {}
  // True when this event should be logged; *suppressed is how many were not since the last one.
  bool allow(uint64_t* suppressed);

 private:
  std::mutex mu_;
  std::chrono::steady_clock::duration interval_;
  std::chrono::steady_clock::time_point last_{};
  uint64_t suppressed_ = 0;
};

class NatsLink {
 public:
  // Called on a nats.c delivery thread with the subject it came on, the payload and the reply
  // subject (null when none).
  using MessageFn =
      std::function<void(std::string_view subject, std::string_view data, const char* reply)>;
  // Called on nats.c's callback thread: false when the link dropped, true when it is (back) up.
  using ConnectionFn = std::function<void(bool connected)>;

  NatsLink(NatsTransportConfig config, std::string role);
  ~NatsLink();
  NatsLink(const NatsLink&) = delete;
  NatsLink& operator=(const NatsLink&) = delete;

  // Connects (or, with retry_on_failed_connect, starts connecting in the background).
  // *transient, when given, says whether a failure may go away by trying again (nobody answers
  // yet) or not (TLS, credentials, the URL).
  Status connect(ConnectionFn on_connection_changed, bool* transient = nullptr);
  // Subscribes with a delivery thread of its own; `queue` may be empty. Called before close().
  Status subscribe(const std::string& subject, const std::string& queue, MessageFn fn);
  // Waits until the server has seen every subscription (skipped while not connected).
  void flush();

  // Never blocks on the network: buffered while reconnecting.
  Status publish(const std::string& subject, std::string_view data, std::string_view what);
  // Blocks up to the request timeout. `what` names the request in errors ("handshake").
  Result<std::string> request(const std::string& subject, std::string_view data,
                              std::string_view what);

  // Stops every subscription and waits until no callback runs, then closes the connection.
  // Idempotent. Must not be called from one of this link's callbacks.
  void close();

  // What nats.c counted on this connection (zero before it connected and after close()).
  TransportStats stats();

  // The configured servers, for messages: "nats://127.0.0.1:4222".
  const std::string& servers() const { return servers_text_; }

 private:
  // `retry`: keep trying in the background when no server answers at first.
  Status buildOptions(natsOptions** out, bool retry);
  Status connectError(natsStatus status);

  NatsTransportConfig config_;
  std::string role_;
  std::string servers_text_;
  // Guards connection_ against destruction while publish/request use it.
  std::shared_mutex rw_;
  natsConnection* connection_ = nullptr;
  // Leaked rather than freed if nats.c never confirms that it is done calling back.
  std::unique_ptr<NatsLinkState> state_;
};

}  // namespace cod::transport
