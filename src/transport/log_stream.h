#pragma once

// The parts of a log stream (transport.h) that both transports share: the orchestrator side's
// receiver (its own delivery thread, reassembly of split entries, sequence checks, the idle
// timeout, acknowledgements after delivery) and the compute side's sender (splitting into chunks,
// the credit window, the acknowledgement timeout, keepalives). A transport only moves
// LogStreamChunk and LogStreamAck between them.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "transport/transport.h"

namespace cod::transport {

struct LogStreamLimits {
  // Chunks the node may send ahead of acknowledgements.
  int window = 8;
  // A chunk's size on the wire: each piece counts its data as base64 (4/3) plus ~40 bytes of JSON,
  // so a chunk of many short lines stays as small as one long one. Longer entries are split. Keep
  // it well under the NATS server's max_payload (1 MiB by default).
  size_t chunk_bytes = size_t{256} * 1024;
  // Node side: how long a write waits for the window to open before the stream ends.
  Duration ack_timeout = std::chrono::seconds(30);
  // Orchestrator side: how long a stream may go without a chunk before the node counts as gone.
  // The node sends keepalives at a third of it.
  Duration idle_timeout = std::chrono::seconds(30);
};

// "" for OK, else the code's name, and back.
std::string statusCodeText(const Status& s);
Status statusFromText(const std::string& code, const std::string& message);

// The orchestrator side of one stream.
class LogStreamReceiver : public std::enable_shared_from_this<LogStreamReceiver> {
 public:
  // Sends an acknowledgement (cancel = the reader is gone) towards the node; must not block long.
  using AckFn = std::function<void(const LogStreamAck& ack)>;

  LogStreamReceiver(std::string stream_id, std::string node_id,
                    std::shared_ptr<LogStreamConsumer> consumer, LogStreamLimits limits);
  ~LogStreamReceiver();

  // Starts the delivery thread. `on_done` runs on it once the stream is over (any way).
  void start(AckFn ack, std::function<void()> on_done);
  // start() in two steps, for a transport that must register the receiver in between without
  // holding its own lock around ours: the callbacks first, then the thread.
  void setCallbacks(AckFn ack, std::function<void()> on_done);
  void launch();
  // A chunk from the node; never blocks on the consumer.
  void onChunk(LogStreamChunk chunk);
  // Ends the stream with `status` (delivered as onEnd) unless it has ended already.
  void fail(const Status& status);
  // The consumer's cancel: see LogStreamHandle.
  void cancel();
  // The transport is going away: its callbacks are never called again once this returns.
  void detach();

  const std::string& streamId() const { return stream_id_; }
  // A handle that cancels this stream.
  std::unique_ptr<LogStreamHandle> handle();

 private:
  void run();
  void sendAck(const LogStreamAck& ack);

  const std::string stream_id_;
  const std::string node_id_;
  const std::shared_ptr<LogStreamConsumer> consumer_;
  const LogStreamLimits limits_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<LogStreamChunk> queue_;
  bool cancelled_ = false;
  bool in_callback_ = false;
  bool over_ = false;  // the thread has finished
  std::thread::id thread_id_;

  std::mutex callbacks_mu_;  // held while ack_/on_done_ run, so detach() can wait for them
  AckFn ack_;
  std::function<void()> on_done_;
};

// A stream that ends at once with `status`, on a thread of its own.
std::unique_ptr<LogStreamHandle> failedLogStream(const std::string& node_id,
                                                 std::shared_ptr<LogStreamConsumer> consumer,
                                                 const Status& status);

// The compute side of one stream. write()/keepalive()/end() come from the node's thread;
// onAck()/onCancel()/detach() from transport threads.
class LogStreamSender final : public LogStreamWriter {
 public:
  // Sends one chunk to the orchestrator; must not block long.
  using SendFn = std::function<Status(const LogStreamChunk& chunk)>;

  // `keepalive` 0 = a third of limits.idle_timeout.
  LogStreamSender(std::string stream_id, LogStreamLimits limits, Duration keepalive, SendFn send,
                  std::function<void()> on_done);
  ~LogStreamSender() override;

  Status write(std::vector<LogStreamEntry> entries) override;
  Status keepalive() override;
  bool cancelled() override;
  void end(Status status) override;

  void onAck(const LogStreamAck& ack);
  // The transport is going away: sends fail from now on and on_done is not called.
  void detach();

 private:
  // Waits for room in the window (when asked), then sends; mu_ not held.
  Status sendChunk(LogStreamChunk chunk, bool wait_for_room);

  const std::string stream_id_;
  const LogStreamLimits limits_;
  const Duration keepalive_;

  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t next_seq_ = 0;
  uint64_t acked_ = 0;  // chunks acknowledged (every seq below it)
  bool cancelled_ = false;
  bool detached_ = false;
  bool ended_ = false;
  Status broken_ = Status::ok();
  std::chrono::steady_clock::time_point last_send_{};

  std::mutex send_mu_;  // held while send_ runs
  SendFn send_;
  std::function<void()> on_done_;
};

// The writer a compute handler gets: it forwards to a sender the transport also holds (for
// acknowledgements); dropping it without end() ends the stream as Aborted.
class SharedLogStreamWriter final : public LogStreamWriter {
 public:
  explicit SharedLogStreamWriter(std::shared_ptr<LogStreamSender> s) : sender_(std::move(s)) {}
  ~SharedLogStreamWriter() override {
    sender_->end(aborted("the compute node dropped the log stream"));
  }
  Status write(std::vector<LogStreamEntry> entries) override {
    return sender_->write(std::move(entries));
  }
  Status keepalive() override { return sender_->keepalive(); }
  bool cancelled() override { return sender_->cancelled(); }
  void end(Status status) override { sender_->end(std::move(status)); }

 private:
  std::shared_ptr<LogStreamSender> sender_;
};

}  // namespace cod::transport
