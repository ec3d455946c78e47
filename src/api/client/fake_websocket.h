#pragma once

// A scripted WebSocketTransport for tests: every connect() is recorded and answered by a handler
// with the messages the connection will yield, in order (end with a closed message; a script that
// runs out reads as a broken connection).
//
//   auto fake = std::make_unique<FakeWebSocketTransport>();
//   fake->handler = [](const std::string& target) -> Result<std::vector<WebSocketMessage>> {
//     return std::vector<WebSocketMessage>{textMessage(R"({"value":{"Type":1,"Line":"hi\n"}})"),
//                                          closeMessage(1000)};
//   };

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "api/client/websocket_transport.h"

namespace cod::api::client {

inline WebSocketMessage textMessage(std::string text) {
  WebSocketMessage m;
  m.text = std::move(text);
  return m;
}

inline WebSocketMessage closeMessage(uint16_t code, std::string reason = "") {
  WebSocketMessage m;
  m.closed = true;
  m.close_code = code;
  m.close_reason = std::move(reason);
  return m;
}

class FakeWebSocketTransport final : public WebSocketTransport {
 public:
  using Handler = std::function<Result<std::vector<WebSocketMessage>>(const std::string& target)>;

  explicit FakeWebSocketTransport(std::string base_url = "http://127.0.0.1:1234")
      : base_url_(std::move(base_url)), targets_(std::make_shared<std::vector<std::string>>()) {}

  Result<std::unique_ptr<WebSocketConnection>> connect(const std::string& target) override {
    targets_->push_back(target);
    if (!handler) return unavailable("FakeWebSocketTransport has no handler");
    Result<std::vector<WebSocketMessage>> script = handler(target);
    if (!script.isOk()) return std::move(script).error();
    return std::unique_ptr<WebSocketConnection>(
        std::make_unique<Connection>(std::move(script).value()));
  }
  const std::string& baseUrl() const override { return base_url_; }

  // Shared so a test keeps reading them after the transport moved into a client.
  std::shared_ptr<std::vector<std::string>> targets() const { return targets_; }

  Handler handler;

 private:
  class Connection final : public WebSocketConnection {
   public:
    explicit Connection(std::vector<WebSocketMessage> script)
        : script_(script.begin(), script.end()) {}
    Result<WebSocketMessage> read() override {
      if (script_.empty()) return unavailable("the connection broke (end of the fake's script)");
      WebSocketMessage m = std::move(script_.front());
      script_.pop_front();
      return m;
    }

   private:
    std::deque<WebSocketMessage> script_;
  };

  std::string base_url_;
  std::shared_ptr<std::vector<std::string>> targets_;
};

}  // namespace cod::api::client
