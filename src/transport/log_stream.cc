#include "transport/log_stream.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "common/units.h"

namespace cod::transport {

// ---- defaults of transport.h ----

std::unique_ptr<LogStreamHandle> OrchestratorTransport::openLogStream(
    const std::string& node_id, const LogStreamRequest&,
    std::shared_ptr<LogStreamConsumer> consumer) {
  return failedLogStream(node_id, std::move(consumer),
                         unimplemented("this transport cannot stream logs"));
}

void ComputeHandler::onLogStream(const LogStreamRequest&, std::unique_ptr<LogStreamWriter> writer) {
  writer->end(unimplemented("this compute node serves no logs"));
}

// ---- status on the wire ----

std::string statusCodeText(const Status& s) {
  return s.isOk() ? "" : std::string(statusCodeName(s.code()));
}

Status statusFromText(const std::string& code, const std::string& message) {
  if (code.empty()) return Status::ok();
  for (int i = static_cast<int>(StatusCode::kInvalidArgument);
       i <= static_cast<int>(StatusCode::kInternal); ++i) {
    if (statusCodeName(static_cast<StatusCode>(i)) == code) {
      return {static_cast<StatusCode>(i), message};
    }
  }
  return internalError(message);
}

// ---- receiver ----

namespace {

class ReceiverHandle final : public LogStreamHandle {
 public:
  explicit ReceiverHandle(std::shared_ptr<LogStreamReceiver> r) : receiver_(std::move(r)) {}
  ~ReceiverHandle() override { cancel(); }
  void cancel() override { receiver_->cancel(); }

 private:
  std::shared_ptr<LogStreamReceiver> receiver_;
};

}  // namespace

LogStreamReceiver::LogStreamReceiver(std::string stream_id, std::string node_id,
                                     std::shared_ptr<LogStreamConsumer> consumer,
                                     LogStreamLimits limits)
    : stream_id_(std::move(stream_id)),
      node_id_(std::move(node_id)),
      consumer_(std::move(consumer)),
      limits_(limits) {}

LogStreamReceiver::~LogStreamReceiver() = default;

std::unique_ptr<LogStreamHandle> LogStreamReceiver::handle() {
  return std::make_unique<ReceiverHandle>(shared_from_this());
}

void LogStreamReceiver::start(AckFn ack, std::function<void()> on_done) {
  setCallbacks(std::move(ack), std::move(on_done));
  launch();
}

void LogStreamReceiver::setCallbacks(AckFn ack, std::function<void()> on_done) {
  std::lock_guard lock(callbacks_mu_);
  ack_ = std::move(ack);
  on_done_ = std::move(on_done);
}

void LogStreamReceiver::launch() {
  // Detached: the thread holds the receiver, and cancel()/detach() are how others wait for it.
  std::thread([self = shared_from_this()] { self->run(); }).detach();
}

void LogStreamReceiver::onChunk(LogStreamChunk chunk) {
  {
    std::lock_guard lock(mu_);
    if (over_ || cancelled_) return;
    // The window bounds what an honest node has in flight (plus its end and a keepalive).
    if (queue_.size() > 2 * static_cast<size_t>(std::max(1, limits_.window)) + 4) {
      queue_.clear();
      LogStreamChunk overflow;
      overflow.seq = ~uint64_t{0};
      overflow.end = true;
      overflow.status_code = std::string(statusCodeName(StatusCode::kResourceExhausted));
      overflow.status_message = "node " + node_id_ + " sent more of the log than it was allowed";
      queue_.push_back(std::move(overflow));
    } else {
      queue_.push_back(std::move(chunk));
    }
  }
  cv_.notify_all();
}

void LogStreamReceiver::fail(const Status& status) {
  LogStreamChunk failure;
  failure.seq = ~uint64_t{0};  // taken as it is, whatever came before
  failure.end = true;
  failure.status_code = statusCodeText(status);
  failure.status_message = status.message();
  {
    std::lock_guard lock(mu_);
    if (over_ || cancelled_) return;
    queue_.clear();
    queue_.push_back(std::move(failure));
  }
  cv_.notify_all();
}

void LogStreamReceiver::cancel() {
  {
    std::unique_lock lock(mu_);
    bool first = !cancelled_;
    cancelled_ = true;
    cv_.notify_all();
    // Every cancel, not only the first, returns with no consumer call running (LogSubscription's
    // contract), unless it comes from one.
    if (std::this_thread::get_id() != thread_id_) {
      cv_.wait(lock, [this] { return !in_callback_; });
    }
    if (!first || over_) return;
  }
  sendAck(LogStreamAck{stream_id_, 0, true});
}

void LogStreamReceiver::detach() {
  std::lock_guard lock(callbacks_mu_);
  ack_ = nullptr;
  on_done_ = nullptr;
}

void LogStreamReceiver::sendAck(const LogStreamAck& ack) {
  std::lock_guard lock(callbacks_mu_);
  if (ack_) ack_(ack);
}

void LogStreamReceiver::run() {
  {
    std::lock_guard lock(mu_);
    thread_id_ = std::this_thread::get_id();
  }
  // Runs `fn` as a consumer call unless the stream was cancelled; false when it was.
  auto deliver = [this](const std::function<void()>& fn) {
    {
      std::lock_guard lock(mu_);
      if (cancelled_) return false;
      in_callback_ = true;
    }
    fn();
    std::lock_guard lock(mu_);
    in_callback_ = false;
    cv_.notify_all();
    return !cancelled_;
  };
  uint64_t expected = 0;
  bool in_entry = false;  // the last piece had More
  LogStreamEntry partial;
  bool node_ended = false;
  std::optional<Status> end;
  while (!end) {
    LogStreamChunk chunk;
    {
      std::unique_lock lock(mu_);
      bool got = cv_.wait_for(lock, limits_.idle_timeout,
                              [this] { return cancelled_ || !queue_.empty(); });
      if (cancelled_) break;
      if (!got) {
        end = unavailable("compute node " + node_id_ + " sent nothing on the log stream for " +
                          formatDuration(limits_.idle_timeout) + "; it may be gone");
        break;
      }
      chunk = std::move(queue_.front());
      queue_.pop_front();
    }
    if (chunk.seq == ~uint64_t{0}) {  // a local failure
      end = statusFromText(chunk.status_code, chunk.status_message);
      break;
    }
    if (chunk.seq != expected) {
      end = unavailable("the log stream from node " + node_id_ + " lost chunks (got " +
                        std::to_string(chunk.seq) + ", expected " + std::to_string(expected) + ")");
      break;
    }
    ++expected;
    std::vector<LogStreamEntry> entries;
    for (auto& piece : chunk.pieces) {
      if (!in_entry) partial = LogStreamEntry{piece.type, ""};
      partial.data += piece.data;
      in_entry = piece.more;
      if (!in_entry) entries.push_back(std::exchange(partial, LogStreamEntry{}));
    }
    if (!entries.empty() && !deliver([&] { consumer_->onEntries(std::move(entries)); })) break;
    if (chunk.end) {
      node_ended = true;
      end = statusFromText(chunk.status_code, chunk.status_message);
      break;
    }
    sendAck(LogStreamAck{stream_id_, chunk.seq, false});
  }
  if (end) deliver([&] { consumer_->onEnd(*end); });
  {
    std::lock_guard lock(mu_);
    over_ = true;
    queue_.clear();
  }
  // Stop the node, if it is there and did not end the stream itself (cancel() may have found the
  // stream over already and left this to here).
  if (!node_ended) sendAck(LogStreamAck{stream_id_, 0, true});
  cv_.notify_all();
  std::lock_guard lock(callbacks_mu_);
  ack_ = nullptr;
  if (on_done_) {
    auto done = std::move(on_done_);
    on_done_ = nullptr;
    done();
  }
}

std::unique_ptr<LogStreamHandle> failedLogStream(const std::string& node_id,
                                                 std::shared_ptr<LogStreamConsumer> consumer,
                                                 const Status& status) {
  auto receiver =
      std::make_shared<LogStreamReceiver>("", node_id, std::move(consumer), LogStreamLimits{});
  receiver->fail(status);
  receiver->start(nullptr, nullptr);
  return receiver->handle();
}

// ---- sender ----

LogStreamSender::LogStreamSender(std::string stream_id, LogStreamLimits limits, Duration keepalive,
                                 SendFn send, std::function<void()> on_done)
    : stream_id_(std::move(stream_id)),
      limits_(limits),
      keepalive_(keepalive.count() > 0 ? keepalive : limits.idle_timeout / 3),
      last_send_(std::chrono::steady_clock::now()),
      send_(std::move(send)),
      on_done_(std::move(on_done)) {}

LogStreamSender::~LogStreamSender() { end(aborted("the compute node dropped the log stream")); }

Status LogStreamSender::sendChunk(LogStreamChunk chunk, bool wait_for_room) {
  {
    std::unique_lock lock(mu_);
    // The end goes out even after a write timed out: a reader that was only slow learns why.
    auto why_not = [this, &chunk]() -> Status {
      if (cancelled_) return cod::cancelled("the reader cancelled the log stream");
      if (detached_) return unavailable("the transport is stopping");
      return chunk.end ? Status::ok() : broken_;
    };
    if (Status s = why_not(); !s.isOk()) return s;
    if (wait_for_room) {
      bool room = cv_.wait_for(lock, limits_.ack_timeout, [this] {
        return cancelled_ || detached_ ||
               next_seq_ - acked_ < static_cast<uint64_t>(std::max(1, limits_.window));
      });
      if (Status s = why_not(); !s.isOk()) return s;
      if (!room) {
        broken_ = deadlineExceeded("the reader stopped acknowledging the log stream for " +
                                   formatDuration(limits_.ack_timeout));
        return broken_;
      }
    }
    chunk.stream_id = stream_id_;
    chunk.seq = next_seq_++;
    last_send_ = std::chrono::steady_clock::now();
  }
  std::lock_guard lock(send_mu_);
  if (!send_) return unavailable("the transport is stopping");
  Status s = send_(chunk);
  if (!s.isOk()) {
    std::lock_guard state(mu_);
    broken_ = s;
  }
  return s;
}

namespace {

// What one piece costs on the wire besides its data: {"Type":2,"Data":"","More":true}, and a comma.
constexpr size_t kPieceOverhead = 40;
// Its data goes as base64.
size_t encodedSize(size_t raw) { return (raw + 2) / 3 * 4; }

}  // namespace

Status LogStreamSender::write(std::vector<LogStreamEntry> entries) {
  // The limit is on the chunk's encoded size: a chunk of many short lines is mostly overhead.
  const size_t limit = std::max<size_t>(limits_.chunk_bytes, kPieceOverhead + 64);
  LogStreamChunk chunk;
  size_t bytes = 0;
  for (const auto& entry : entries) {
    std::string_view rest = entry.data;
    do {
      if (bytes + kPieceOverhead + 4 > limit) {
        COD_RETURN_IF_ERROR(sendChunk(std::move(chunk), true));
        chunk = LogStreamChunk{};
        bytes = 0;
      }
      size_t room = (limit - bytes - kPieceOverhead) / 4 * 3;
      size_t take = std::min(room, rest.size());
      chunk.pieces.push_back({entry.type, std::string(rest.substr(0, take)), take < rest.size()});
      bytes += kPieceOverhead + encodedSize(take);
      rest.remove_prefix(take);
    } while (!rest.empty());
  }
  if (chunk.pieces.empty()) return Status::ok();
  return sendChunk(std::move(chunk), true);
}

Status LogStreamSender::keepalive() {
  {
    std::lock_guard lock(mu_);
    if (cancelled_) return cod::cancelled("the reader cancelled the log stream");
    if (!broken_.isOk()) return broken_;
    if (std::chrono::steady_clock::now() - last_send_ < keepalive_) return Status::ok();
    // A full window means the reader has chunks to take; its idle timer is not running.
    if (next_seq_ - acked_ >= static_cast<uint64_t>(std::max(1, limits_.window))) {
      return Status::ok();
    }
  }
  return sendChunk(LogStreamChunk{}, false);
}

bool LogStreamSender::cancelled() {
  std::lock_guard lock(mu_);
  return cancelled_;
}

void LogStreamSender::end(Status status) {
  {
    std::lock_guard lock(mu_);
    if (ended_) return;
    ended_ = true;
  }
  LogStreamChunk last;
  last.end = true;
  last.status_code = statusCodeText(status);
  last.status_message = status.message();
  (void)sendChunk(std::move(last), false);
  std::lock_guard lock(send_mu_);
  if (on_done_) {
    auto done = std::move(on_done_);
    on_done_ = nullptr;
    done();
  }
}

void LogStreamSender::onAck(const LogStreamAck& ack) {
  {
    std::lock_guard lock(mu_);
    if (ack.cancel) {
      cancelled_ = true;
    } else {
      acked_ = std::max(acked_, std::min(ack.seq + 1, next_seq_));
    }
  }
  cv_.notify_all();
}

void LogStreamSender::detach() {
  {
    std::lock_guard lock(mu_);
    detached_ = true;
  }
  cv_.notify_all();
  std::lock_guard lock(send_mu_);
  send_ = nullptr;
  on_done_ = nullptr;
}

}  // namespace cod::transport
