#include "executor/noop/noop_executor.h"

#include <tuple>

#include "common/units.h"
#include "models/json.h"

namespace cod::executor {

namespace {

struct NoopParams {
  Duration delay{0};
  int64_t exit_code = 0;
  std::string stdout_text;
  std::string stderr_text;
  std::string error;
  bool retryable = true;
};

Result<NoopParams> parseParams(const models::Task& task) {
  NoopParams p;
  const auto& params = task.engine.params;
  if (const auto* v = models::findKey(params, "Delay")) {
    if (v->is_string()) {
      COD_ASSIGN_OR_RETURN(p.delay, parseDuration(v->as_string()));
    } else if (auto ms = models::exactInt64(*v); ms && *ms >= 0) {
      p.delay = std::chrono::milliseconds(*ms);
    } else if (!v->is_null()) {
      return invalidArgument("noop Params.Delay: expected a duration like \"250ms\"");
    }
  }
  if (const auto* v = models::findKey(params, "ExitCode"); v && !v->is_null()) {
    auto code = models::exactInt64(*v);
    if (!code) return invalidArgument("noop Params.ExitCode: expected a whole number");
    p.exit_code = *code;
  }
  if (const auto* v = models::findKey(params, "Stdout"); v && v->is_string()) {
    p.stdout_text = v->as_string();
  }
  if (const auto* v = models::findKey(params, "Stderr"); v && v->is_string()) {
    p.stderr_text = v->as_string();
  }
  if (const auto* v = models::findKey(params, "Error"); v && v->is_string()) {
    p.error = v->as_string();
  }
  if (const auto* v = models::findKey(params, "Retryable"); v && v->is_bool()) {
    p.retryable = v->as_bool();
  }
  return p;
}

}  // namespace

Status NoopExecutor::validate(const models::Task& task) { return parseParams(task).status(); }

Result<models::RunCommandResult> NoopExecutor::run(const ExecutionRequest& request,
                                                   CancelToken& cancel) {
  COD_ASSIGN_OR_RETURN(NoopParams p, parseParams(request.job->task()));
  if (request.log) {
    // Written first, so a delayed task has a log to follow while it "runs".
    request.log->write(LogStream::kStdout, p.stdout_text);
    request.log->write(LogStream::kStderr, p.stderr_text);
  }
  if (p.delay.count() > 0) {
    bool timed_out = request.timeout.count() > 0 && request.timeout < p.delay;
    Duration wait = timed_out ? request.timeout : p.delay;
    if (cancel.waitFor(wait)) return cancelled("execution cancelled");
    if (timed_out) {
      return deadlineExceeded("execution timed out after " + formatDuration(request.timeout))
          .withHint("Increase the task timeout or allocate more resources");
    }
  } else if (cancel.cancelled()) {
    return cancelled("execution cancelled");
  }
  if (!p.error.empty()) {
    Status err = p.retryable ? unavailable(p.error) : failedPrecondition(p.error);
    return std::move(err).withComponent("NoopExecutor");
  }
  models::RunCommandResult out;
  out.exit_code = p.exit_code;
  std::tie(out.stdout_text, out.stdout_truncated) = outputPrefix(p.stdout_text);
  std::tie(out.stderr_text, out.stderr_truncated) = outputPrefix(p.stderr_text);
  if (!request.results_dir.empty()) {
    COD_RETURN_IF_ERROR(writeOutputFile(request.results_dir, "stdout", p.stdout_text));
    COD_RETURN_IF_ERROR(writeOutputFile(request.results_dir, "stderr", p.stderr_text));
  }
  return out;
}

}  // namespace cod::executor
