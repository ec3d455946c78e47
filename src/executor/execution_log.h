#pragma once

// One execution's log on its compute node: what the task wrote to stdout and stderr, in the order
// it was written, one record per line (DESIGN §6). Executors write it while the task runs; the
// compute node's log server reads it, following it while the execution runs.
//
// File format (`<id>.log`): the 8 bytes "CODLOG1\n", then records of a 5-byte header — the stream
// (1 stdout, 2 stderr, 3 end of log) and the payload's length as uint32 little-endian — followed
// by the payload. Each record goes to the file in one write(2) on an O_APPEND descriptor, so a
// reader sees whole records or a partial last one, which it leaves for its next read. The end
// record is written once, when the run is over; a log without one belongs to a running execution
// or to one whose node died (the log server then ends the stream itself).

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace cod::executor {

enum class LogStream : uint8_t { kStdout = 1, kStderr = 2, kEnd = 3 };

struct LogRecord {
  LogStream stream = LogStream::kStdout;
  std::string data;
};

// Thread-safe: the executor may write stdout and stderr from different threads.
class ExecutionLogWriter {
 public:
  // A line with no newline yet is held back up to this many bytes, then written as it is.
  static constexpr size_t kMaxPendingLine = size_t{64} * 1024;

  // Creates (truncates) the file at `path`. With `max_bytes` (0 = no cap), the file stops growing
  // near that size: one stderr record says the log was truncated there, later output is left out
  // (the end record still comes at close()).
  static Result<std::shared_ptr<ExecutionLogWriter>> create(const std::string& path,
                                                            uint64_t max_bytes = 0);
  ~ExecutionLogWriter();
  ExecutionLogWriter(const ExecutionLogWriter&) = delete;
  ExecutionLogWriter& operator=(const ExecutionLogWriter&) = delete;

  // Appends what the task wrote; every complete line becomes a record at once. `stream` is
  // kStdout or kStderr. Errors writing the file are logged once and the log stops growing; the
  // run goes on.
  void write(LogStream stream, std::string_view data);
  // Writes what is held back of unfinished lines and the end record; later writes are ignored.
  // Idempotent; the destructor calls it.
  void close();

  const std::string& path() const { return path_; }

 private:
  ExecutionLogWriter(std::string path, int fd, uint64_t max_bytes)
      : path_(std::move(path)), fd_(fd), max_bytes_(max_bytes) {}
  void append(LogStream stream, std::string_view data);  // mu_ held
  void flushPending(LogStream stream);                   // mu_ held

  std::mutex mu_;
  std::string path_;
  int fd_;
  bool closed_ = false;
  bool failed_ = false;
  const uint64_t max_bytes_;
  uint64_t written_ = 0;    // the file's size
  bool truncated_ = false;  // the cap was reached
  std::string pending_[2];  // stdout, stderr: the unfinished line
};

// Reads a log that may still be growing. Not thread-safe (one per stream).
class ExecutionLogReader {
 public:
  // NotFound when there is no log at `path`.
  static Result<std::unique_ptr<ExecutionLogReader>> open(const std::string& path);
  ~ExecutionLogReader();
  ExecutionLogReader(const ExecutionLogReader&) = delete;
  ExecutionLogReader& operator=(const ExecutionLogReader&) = delete;

  // Moves past every complete record written so far (but not past an end record), so that next()
  // returns only what is written from now on.
  Status skipToEnd();
  // The complete records written since the last call, about `max_bytes` of payload at most (a
  // longer record comes whole). The end record is not returned: ended() becomes true instead.
  Result<std::vector<LogRecord>> next(size_t max_bytes);
  bool ended() const { return ended_; }

 private:
  explicit ExecutionLogReader(int fd) : fd_(fd) {}
  // Fills buf_ from the file; false on a read error.
  Status fill();

  int fd_;
  bool ended_ = false;
  bool header_checked_ = false;
  std::string buf_;  // read from the file, not yet returned
};

// The log of `execution_id` under `dir`: "<dir>/<id>.log".
std::string executionLogPath(const std::string& dir, const std::string& execution_id);

}  // namespace cod::executor

namespace cod::executor {

// For executors whose program writes its output files itself (the sandboxed engines): copies what
// is appended to the `stdout` and `stderr` files into the log every 50 ms on a thread of its own,
// from construction until stop() (which copies the rest). Lines of the two files written within
// one interval may reach the log in either order. Does nothing when `log` is null.
class OutputFileTailer {
 public:
  OutputFileTailer(std::shared_ptr<ExecutionLogWriter> log, std::string stdout_path,
                   std::string stderr_path);
  ~OutputFileTailer();
  OutputFileTailer(const OutputFileTailer&) = delete;
  OutputFileTailer& operator=(const OutputFileTailer&) = delete;
  void stop();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace cod::executor
