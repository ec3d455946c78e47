#pragma once

// An Executor runs one task to completion in its sandbox (DESIGN §6). Implementations:
// `docker/` (Docker Engine API), `wasm/` (WASI modules in a
// sandboxed Node), `noop/` (tests and benchmarks).
//
// Contract:
// * run() blocks until the task ends, is cancelled, or times out; the compute node calls it on one
//   of its run threads, never on its control thread.
// * The task's stdout and stderr go to files `stdout` and `stderr` in request.results_dir, which
//   exists and is empty; the executor also creates one folder per ResultPath name there with what
//   the task wrote to that path.
// * While the task runs, what it writes to stdout and stderr also goes, as it is written, to
//   request.log when one is given (execution_log.h: one record per line, stdout and stderr in the
//   order written, so the node's log server can follow it). The executor never closes the log:
//   the compute node does when run() returns, which ends the log for its readers. Docker follows
//   the container's log stream; wasm and python copy what the sandboxed program appends to its
//   output files (every 50 ms: lines of stdout and stderr written in the same 50 ms may come in
//   either order); noop writes its output before its delay. The compute node writes `exitCode`. An
//   executor that returns its output in memory (needsResultsDir() false) gets an empty results_dir
//   when nothing would read the folder (no publisher), and then writes no files.
// * A task that ran and exited (with any exit code) is a RunCommandResult; only a failure to run it
//   (bad image, daemon down, timeout, cancellation) is an error Status. Errors whose cause will not
//   go away on retry (a missing image) are InvalidArgument/NotFound/FailedPrecondition; transient
//   ones are Unavailable (retryable). Timeout is DeadlineExceeded; cancellation is Cancelled.
// * Thread-safe: several run() calls may be in progress at once.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/cancel.h"
#include "common/clock.h"
#include "common/status.h"
#include "executor/execution_log.h"
#include "models/execution.h"
#include "models/job.h"
#include "models/mount.h"
#include "models/resources.h"

namespace cod::executor {

struct ExecutionRequest {
  std::string execution_id;
  std::string job_id;
  std::shared_ptr<const models::Job> job;
  int64_t partition_index = 0;
  models::Resources resources;
  // Environment the task sees in addition to its own: BACALHAU_* / COD_* IDs (DESIGN §7).
  std::map<std::string, std::string> env;
  // Where the result folder goes (absolute, exists, empty).
  std::string results_dir;
  // The task's staged inputs, to mount where each says (read-only unless a mount says otherwise).
  std::vector<models::Mount> inputs;
  // 0 = none.
  Duration timeout{0};
  // The GPUs the compute node allocated to this execution (no other running execution has them).
  std::vector<models::Gpu> gpus;
  // The execution's live log (null = nobody reads one: write no log).
  std::shared_ptr<ExecutionLogWriter> log;
};

class Executor {
 public:
  virtual ~Executor() = default;
  // "docker", "noop", … (compared case-insensitively with Engine.Type).
  virtual std::string name() const = 0;
  // Whether this engine works on this machine right now; a node advertises only what does.
  virtual bool isInstalled() = 0;
  // Bid-time check of the engine params ("Image is required"); OK when the task looks runnable.
  virtual Status validate(const models::Task& task) = 0;
  virtual Result<models::RunCommandResult> run(const ExecutionRequest& request,
                                               CancelToken& cancel) = 0;
  // Whether run() needs a results folder even when no publisher will read it (a sandbox that
  // mounts its output paths or streams its logs there does).
  virtual bool needsResultsDir() const { return true; }
  // Called once when the compute node starts, before any run(): cleans up what an earlier life of
  // the node left behind (containers, sandboxes, runner processes). Returns how many things it
  // removed.
  virtual Result<int> recover() { return 0; }
};

// Writes `stdout`/`stderr` files and returns the RunOutput prefix (first 2 KiB + truncated flag).
// Shared by executors that produce their output in memory.
Status writeOutputFile(const std::string& dir, const std::string& name, const std::string& text);
// What RunOutput keeps of a task's output: valid UTF-8 (U+FFFD for each byte that is not) of at
// most kRunOutputLimit bytes, cut between characters, and whether anything was left out.
std::pair<std::string, bool> outputPrefix(std::string_view text);
// outputPrefix of a file's first bytes; truncated when the file is longer.
Result<std::pair<std::string, bool>> readOutputPrefix(const std::string& path);
// The RunCommandResult of a task that exited with `exit_code` and left `stdout`/`stderr` files in
// `results_dir`.
Result<models::RunCommandResult> resultFromOutputFiles(const std::string& results_dir,
                                                       int64_t exit_code);

}  // namespace cod::executor
