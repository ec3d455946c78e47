#include "executor/execution_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

namespace cod::executor {

namespace {

constexpr std::string_view kMagic = "CODLOG1\n";
constexpr size_t kHeader = 5;
// No record is longer than the writer makes them; anything longer is a damaged file.
constexpr uint32_t kMaxRecord = 16 * 1024 * 1024;
// How much a reader holds in memory at once.
constexpr size_t kReadBuffer = size_t{1024} * 1024;

std::string header(LogStream stream, size_t size) {
  std::string h(kHeader, '\0');
  h[0] = static_cast<char>(stream);
  for (int i = 0; i < 4; ++i) h[1 + i] = static_cast<char>((size >> (8 * i)) & 0xff);
  return h;
}

bool writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

std::string executionLogPath(const std::string& dir, const std::string& execution_id) {
  return dir + "/" + execution_id + ".log";
}

// ---- writer ----

Result<std::shared_ptr<ExecutionLogWriter>> ExecutionLogWriter::create(const std::string& path,
                                                                       uint64_t max_bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return internalError("cannot create the log " + path + ": " + std::strerror(errno));
  if (!writeAll(fd, kMagic)) {
    ::close(fd);
    return internalError("cannot write the log " + path + ": " + std::strerror(errno));
  }
  auto writer = std::shared_ptr<ExecutionLogWriter>(new ExecutionLogWriter(path, fd, max_bytes));
  writer->written_ = kMagic.size();
  return writer;
}

ExecutionLogWriter::~ExecutionLogWriter() {
  close();
  if (fd_ >= 0) ::close(fd_);
}

void ExecutionLogWriter::append(LogStream stream, std::string_view data) {
  if (failed_ || (truncated_ && stream != LogStream::kEnd)) return;
  if (max_bytes_ > 0 && stream != LogStream::kEnd &&
      written_ + kHeader + data.size() > max_bytes_) {
    // A chatty task must not fill the node's disk: one record saying so, then nothing more.
    truncated_ = true;
    std::string note = "[cod: this log was truncated at " + std::to_string(written_) +
                       " bytes (the node's per-execution cap); later output is not in it]\n";
    std::string record = header(LogStream::kStderr, note.size());
    record.append(note);
    if (!writeAll(fd_, record)) failed_ = true;
    written_ += record.size();
    spdlog::info("execution log {}: truncated at {} bytes", path_, written_ - record.size());
    return;
  }
  // One write per record: a reader never sees a header without the bytes that follow it unless
  // the write is still under way.
  std::string record = header(stream, data.size());
  record.append(data);
  written_ += record.size();
  if (!writeAll(fd_, record)) {
    failed_ = true;
    spdlog::warn("execution log {}: write failed ({}); the log stops here", path_,
                 std::strerror(errno));
  }
}

void ExecutionLogWriter::flushPending(LogStream stream) {
  std::string& pending = pending_[stream == LogStream::kStderr ? 1 : 0];
  if (pending.empty()) return;
  append(stream, pending);
  pending.clear();
}

void ExecutionLogWriter::write(LogStream stream, std::string_view data) {
  if (stream != LogStream::kStderr) stream = LogStream::kStdout;
  std::lock_guard lock(mu_);
  if (closed_) return;
  std::string& pending = pending_[stream == LogStream::kStderr ? 1 : 0];
  while (!data.empty()) {
    size_t nl = data.find('\n');
    size_t take = nl == std::string_view::npos ? data.size() : nl + 1;
    take = std::min(take, kMaxPendingLine - pending.size());
    pending.append(data.substr(0, take));
    data.remove_prefix(take);
    if (pending.back() == '\n' || pending.size() >= kMaxPendingLine) flushPending(stream);
  }
}

void ExecutionLogWriter::close() {
  std::lock_guard lock(mu_);
  if (closed_) return;
  closed_ = true;
  flushPending(LogStream::kStdout);
  flushPending(LogStream::kStderr);
  append(LogStream::kEnd, "");
}

// ---- reader ----

Result<std::unique_ptr<ExecutionLogReader>> ExecutionLogReader::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return notFound("no log at " + path);
    return internalError("cannot open the log " + path + ": " + std::strerror(errno));
  }
  return std::unique_ptr<ExecutionLogReader>(new ExecutionLogReader(fd));
}

ExecutionLogReader::~ExecutionLogReader() { ::close(fd_); }

Status ExecutionLogReader::fill() {
  char chunk[64 * 1024];
  while (buf_.size() < kReadBuffer) {
    ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return internalError(std::string("reading the log: ") + std::strerror(errno));
    if (n == 0) break;
    buf_.append(chunk, static_cast<size_t>(n));
  }
  if (!header_checked_ && buf_.size() >= kMagic.size()) {
    if (std::string_view(buf_).substr(0, kMagic.size()) != kMagic) {
      return internalError("the log is damaged (no header)");
    }
    buf_.erase(0, kMagic.size());
    header_checked_ = true;
  }
  return Status::ok();
}

Result<std::vector<LogRecord>> ExecutionLogReader::next(size_t max_bytes) {
  std::vector<LogRecord> out;
  if (ended_) return out;
  COD_RETURN_IF_ERROR(fill());
  if (!header_checked_) return out;
  size_t off = 0;
  size_t bytes = 0;
  while (buf_.size() - off >= kHeader) {
    auto b = reinterpret_cast<const unsigned char*>(buf_.data() + off);
    uint32_t len =
        uint32_t{b[1]} | (uint32_t{b[2]} << 8) | (uint32_t{b[3]} << 16) | (uint32_t{b[4]} << 24);
    if (len > kMaxRecord || b[0] < 1 || b[0] > 3) {
      return internalError("the log is damaged (a record of " + std::to_string(len) + " bytes)");
    }
    if (buf_.size() - off - kHeader < len) break;  // still being written
    auto stream = static_cast<LogStream>(b[0]);
    if (stream == LogStream::kEnd) {
      ended_ = true;
      off = buf_.size();
      break;
    }
    if (!out.empty() && bytes + len > max_bytes) break;
    out.push_back({stream, buf_.substr(off + kHeader, len)});
    bytes += len;
    off += kHeader + len;
  }
  buf_.erase(0, off);
  return out;
}

Status ExecutionLogReader::skipToEnd() {
  while (true) {
    COD_ASSIGN_OR_RETURN(auto records, next(kReadBuffer));
    if (ended_) {
      // The end record stays: the next read reports the end at once.
      ended_ = false;
      buf_ = header(LogStream::kEnd, 0);
      return Status::ok();
    }
    if (records.empty()) return Status::ok();
  }
}

}  // namespace cod::executor

#include <condition_variable>
#include <thread>

namespace cod::executor {

struct OutputFileTailer::State {
  std::shared_ptr<ExecutionLogWriter> log;
  std::string paths[2];
  off_t offsets[2] = {0, 0};
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::thread thread;

  void copyNew() {
    char chunk[64 * 1024];
    for (int i = 0; i < 2; ++i) {
      int fd = ::open(paths[i].c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;  // not created yet
      while (true) {
        ssize_t n = ::pread(fd, chunk, sizeof chunk, offsets[i]);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        offsets[i] += n;
        log->write(i == 0 ? LogStream::kStdout : LogStream::kStderr,
                   std::string_view(chunk, static_cast<size_t>(n)));
      }
      ::close(fd);
    }
  }
};

OutputFileTailer::OutputFileTailer(std::shared_ptr<ExecutionLogWriter> log, std::string stdout_path,
                                   std::string stderr_path) {
  if (!log) return;
  state_ = std::make_unique<State>();
  state_->log = std::move(log);
  state_->paths[0] = std::move(stdout_path);
  state_->paths[1] = std::move(stderr_path);
  State* s = state_.get();
  s->thread = std::thread([s] {
    std::unique_lock lock(s->mu);
    while (!s->stopping) {
      lock.unlock();
      s->copyNew();
      lock.lock();
      s->cv.wait_for(lock, std::chrono::milliseconds(50), [s] { return s->stopping; });
    }
  });
}

OutputFileTailer::~OutputFileTailer() { stop(); }

void OutputFileTailer::stop() {
  if (!state_ || !state_->thread.joinable()) return;
  {
    std::lock_guard lock(state_->mu);
    state_->stopping = true;
  }
  state_->cv.notify_all();
  state_->thread.join();
  state_->copyNew();
}

}  // namespace cod::executor
