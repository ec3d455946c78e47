#include "compute/log_server.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include <spdlog/spdlog.h>

#include "common/paths.h"
#include "executor/execution_log.h"

namespace cod::compute {

namespace fs = std::filesystem;

namespace {

transport::LogStreamEntry toEntry(executor::LogRecord record) {
  return {record.stream == executor::LogStream::kStderr ? 2 : 1, std::move(record.data)};
}

}  // namespace

LogServer::LogServer(std::string node_id, std::string logs_dir,
                     std::function<ExecutionPhase(const std::string&)> phase,
                     LogServerConfig config)
    : node_id_(std::move(node_id)),
      logs_dir_(std::move(logs_dir)),
      phase_(std::move(phase)),
      config_(config) {}

LogServer::~LogServer() { stop(); }

void LogServer::start() {
  std::lock_guard lock(mu_);
  if (janitor_.joinable() || stopping_) return;
  janitor_ = std::thread([this] { janitorLoop(); });
}

int LogServer::activeStreams() {
  std::lock_guard lock(mu_);
  return active_;
}

void LogServer::serve(const transport::LogStreamRequest& request,
                      std::unique_ptr<transport::LogStreamWriter> writer) {
  // The ID becomes a file name: only what an execution ID can be.
  if (std::string problem = idProblem(request.execution_id); !problem.empty()) {
    writer->end(invalidArgument("bad execution ID: " + problem));
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      writer->end(unavailable("compute node " + node_id_ + " is stopping"));
      return;
    }
    if (active_ >= config_.max_streams) {
      writer->end(resourceExhausted("compute node " + node_id_ + " is serving " +
                                    std::to_string(active_) +
                                    " log streams, its limit; try again later"));
      return;
    }
    ++active_;
  }
  std::thread([this, request,
               w = std::shared_ptr<transport::LogStreamWriter>(std::move(writer))]() mutable {
    stream(request, *w);
    w.reset();
    // stop() may return, and the server go, once active_ reaches 0: notify while holding the lock,
    // and touch nothing of `this` after unlocking it.
    std::lock_guard lock(mu_);
    --active_;
    cv_.notify_all();
  }).detach();
}

void LogServer::stop() {
  std::unique_lock lock(mu_);
  stopping_ = true;
  cv_.notify_all();
  cv_.wait(lock, [this] { return active_ == 0; });
  std::thread janitor = std::move(janitor_);
  lock.unlock();
  if (janitor.joinable()) janitor.join();
}

bool LogServer::pause() {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, config_.poll_interval, [this] { return stopping_; });
  return !stopping_;
}

void LogServer::stream(const transport::LogStreamRequest& request,
                       transport::LogStreamWriter& writer) {
  const std::string& id = request.execution_id;
  const std::string path = executor::executionLogPath(logs_dir_, id);
  const Status stopping = unavailable("compute node " + node_id_ + " is stopping");
  std::unique_ptr<executor::ExecutionLogReader> reader;
  int64_t unknown_polls_left =
      request.follow ? config_.unknown_grace / std::max(config_.poll_interval, Duration(1)) : 0;
  while (!reader) {
    auto opened = executor::ExecutionLogReader::open(path);
    if (opened.isOk()) {
      reader = std::move(opened).value();
      break;
    }
    if (opened.status().code() != StatusCode::kNotFound) return writer.end(opened.status());
    switch (phase_(id)) {
      case ExecutionPhase::kUnknown:  // not yet, perhaps: its ask may still be on its way
        if (unknown_polls_left-- <= 0) {
          return writer.end(notFound("unable to find execution " + id + " on node " + node_id_));
        }
        break;
      case ExecutionPhase::kEnded:
        return writer.end(notFound("execution " + id + " has no log on node " + node_id_ +
                                   " (it never ran, or its log was removed)"));
      case ExecutionPhase::kPending:
      case ExecutionPhase::kRunning:  // its run thread is about to make the log
        if (!request.follow) return writer.end(Status::ok());  // nothing written yet
        break;
    }
    if (writer.cancelled()) return writer.end(Status::ok());
    if (Status alive = writer.keepalive(); !alive.isOk()) return writer.end(alive);
    if (!pause()) return writer.end(stopping);
  }
  if (request.tail) {
    if (Status skipped = reader->skipToEnd(); !skipped.isOk()) return writer.end(skipped);
  }
  bool drained_after_end = false;
  while (true) {
    auto records = reader->next(config_.read_bytes);
    if (!records.isOk()) return writer.end(records.status());
    if (!records->empty()) {
      std::vector<transport::LogStreamEntry> entries;
      entries.reserve(records->size());
      for (auto& r : *records) entries.push_back(toEntry(std::move(r)));
      if (Status sent = writer.write(std::move(entries)); !sent.isOk()) return writer.end(sent);
      continue;
    }
    if (reader->ended() || !request.follow) return writer.end(Status::ok());
    ExecutionPhase phase = phase_(id);
    if (phase != ExecutionPhase::kRunning && phase != ExecutionPhase::kPending) {
      // A log without its end whose run is over: the node died while it ran. One more read for
      // what came last, then the end.
      if (drained_after_end) return writer.end(Status::ok());
      drained_after_end = true;
      continue;
    }
    if (writer.cancelled()) return writer.end(Status::ok());
    if (Status alive = writer.keepalive(); !alive.isOk()) return writer.end(alive);
    if (!pause()) return writer.end(stopping);
  }
}

int LogServer::sweep() {
  int removed = 0;
  std::error_code ec;
  auto now = fs::file_time_type::clock::now();
  struct Kept {
    fs::file_time_type written;
    uint64_t size = 0;
    fs::path path;
  };
  std::vector<Kept> finished;  // may go to keep the folder under its cap
  uint64_t total = 0;
  for (fs::directory_iterator it(logs_dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.extension() != ".log") continue;
    std::error_code file_ec;
    auto written = fs::last_write_time(p, file_ec);
    if (file_ec) continue;
    uint64_t size = fs::file_size(p, file_ec);
    if (file_ec) size = 0;
    ExecutionPhase phase = phase_(p.stem().string());
    bool live = phase == ExecutionPhase::kPending || phase == ExecutionPhase::kRunning;
    if (!live && now - written >= config_.retention) {
      if (fs::remove(p, file_ec)) {
        ++removed;
        continue;
      }
    }
    total += size;
    if (!live) finished.push_back({written, size, p});
  }
  if (config_.max_total_bytes == 0 || total <= config_.max_total_bytes) return removed;
  std::sort(finished.begin(), finished.end(),
            [](const Kept& a, const Kept& b) { return a.written < b.written; });
  for (const Kept& k : finished) {
    if (total <= config_.max_total_bytes) break;
    std::error_code file_ec;
    if (fs::remove(k.path, file_ec)) {
      ++removed;
      total -= k.size;
    }
  }
  return removed;
}

void LogServer::janitorLoop() {
  const Duration interval = std::min<Duration>(
      std::chrono::minutes(5), std::max<Duration>(config_.retention / 4, std::chrono::seconds(1)));
  while (true) {
    int removed = sweep();
    if (removed > 0) spdlog::debug("removed {} expired execution logs", removed);
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, interval, [this] { return stopping_; })) return;
  }
}

}  // namespace cod::compute
