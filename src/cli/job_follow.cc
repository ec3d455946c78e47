#include "cli/job_follow.h"

#include <algorithm>

#include "cli/logs_commands.h"
#include "cli/results.h"
#include "common/strings.h"
#include "common/units.h"
#include "models/job_validation.h"
#include "models/json.h"
#include "models/spec_loader.h"

namespace cod::cli {

namespace {

constexpr size_t kTimeWidth = 12;     // "20:40:26.100"
constexpr size_t kShortIdWidth = 10;  // "e-7f3c2a1b"
constexpr size_t kWideIdWidth = 38;
constexpr size_t kTopicWidth = 16;
constexpr const char* kGap = "   ";
constexpr uint64_t kHistoryPageLimit = 100;

std::string pad(const std::string& text, size_t width) {
  size_t w = displayWidth(text);
  return w >= width ? text : text + std::string(width - w, ' ');
}

bool detailIsTrue(const models::Event& event, const char* key) {
  auto it = event.details.find(key);
  return it != event.details.end() && equalsIgnoreCase(it->second, "true");
}

bool isErrorEvent(const models::JobHistory& h) {
  return detailIsTrue(h.event, models::kDetailIsError) ||
         detailIsTrue(h.event, models::kDetailFailsExecution);
}

std::string eventHint(const models::JobHistory& h) {
  auto it = h.event.details.find(models::kDetailHint);
  return it == h.event.details.end() ? "" : it->second;
}

std::string eventLine(const std::string& time, const std::string& exec, const std::string& topic,
                      const std::string& message, const TableStyle& style) {
  size_t id_width = style.wide ? kWideIdWidth : kShortIdWidth;
  std::string line = pad(time, kTimeWidth) + kGap + pad(exec, id_width) + kGap +
                     pad(topic, kTopicWidth) + kGap + message;
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line + "\n";
}

}  // namespace

std::string followHeader(const TableStyle& style) {
  return eventLine("TIME", "EXEC. ID", "TOPIC", "EVENT", style);
}

std::string formatFollowEvent(const models::JobHistory& event, const TableStyle& style) {
  Time when = event.time.time_since_epoch().count() > 0 ? event.time : event.event.timestamp;
  std::string exec = event.execution_id.empty() ? "" : displayId(event.execution_id, style.wide);
  std::string message = event.event.message;
  std::replace(message.begin(), message.end(), '\n', ' ');
  std::string out = eventLine(formatTimeOfDay(when), exec, event.event.topic, message, style);
  std::string hint = eventHint(event);
  if (isErrorEvent(event) && !hint.empty()) {
    size_t indent = kTimeWidth + (style.wide ? kWideIdWidth : kShortIdWidth) + kTopicWidth + 9;
    out += std::string(indent, ' ') + "Hint: " + hint + "\n";
  }
  return out;
}

Result<FollowResult> followHistory(const FollowOptions& options, const FetchHistoryFn& fetch,
                                   const Clock& clock, const SleepFn& sleep, std::ostream& out) {
  FollowResult result;
  const Time deadline = clock.now() + options.timeout;
  std::string token;
  int unavailable = 0;
  const Time start = clock.now();
  Duration interval = std::min(options.first_poll_interval, options.poll_interval);
  while (true) {
    Result<api::client::HistoryPage> page = fetch(token);
    bool got_items = false;
    if (!page.isOk()) {
      if (page.error().code() != StatusCode::kUnavailable ||
          ++unavailable > options.max_unavailable) {
        return std::move(page).error();
      }
    } else {
      unavailable = 0;
      got_items = !page->items.empty();
      bool started = false;
      for (const models::JobHistory& event : page->items) {
        ++result.events;
        if (!options.quiet) out << formatFollowEvent(event, options.style);
        if (isErrorEvent(event)) result.errors.push_back(event);
        if (event.type == models::JobHistoryType::kExecutionLevel) started = true;
      }
      out.flush();
      if (page->next_token.empty()) {
        result.outcome = FollowOutcome::kFinished;
        return result;
      }
      if (options.long_running && started) {
        result.outcome = FollowOutcome::kDetached;
        return result;
      }
      token = page->next_token;
    }
    if (clock.now() >= deadline) {
      result.outcome = FollowOutcome::kTimedOut;
      return result;
    }
    // A page with events may have more behind it: ask again at once. Otherwise wait, a little
    // longer each time nothing happens.
    if (!got_items) {
      sleep(interval);
      if (clock.now() - start >= options.fast_period) {
        interval = std::min<Duration>(interval + interval / 2, options.poll_interval);
      }
    }
  }
}

std::string runOutputs(const std::vector<models::Execution>& executions, bool wide) {
  std::vector<const models::Execution*> completed;
  for (const auto& e : executions) {
    if (e.compute_state.state_type == models::ExecutionStateType::kCompleted) {
      completed.push_back(&e);
    }
  }
  if (completed.size() > kOutputsShown) return "";
  std::string out;
  auto section = [&out](const std::string& title, const std::string& text, bool truncated) {
    if (text.empty()) return;
    out += "\n" + title + ":\n" + text;
    if (!text.ends_with('\n')) out += "\n";
    if (truncated) out += "(only the first 2 KiB; cod job get has all of it)\n";
  };
  for (const models::Execution* e : completed) {
    std::string of = completed.size() > 1 ? " of " + displayId(e->id, wide) : "";
    section("Standard output" + of, e->run_output.stdout_text, e->run_output.stdout_truncated);
    section("Standard error" + of, e->run_output.stderr_text, e->run_output.stderr_truncated);
  }
  return out;
}

std::string followUpCommands(const models::Job& job) {
  std::string out =
      "\nTo get more details about the run, execute:\n\tcod job describe " + job.id + "\n" +
      "\nTo get more details about the run executions, execute:\n\tcod job executions " + job.id +
      "\n";
  bool failed = job.state.state_type == models::JobStateType::kFailed ||
                job.state.state_type == models::JobStateType::kStopped;
  if (!job.tasks.empty() && !failed) {
    const std::string& publisher = job.task().publisher.type;
    if (!publisher.empty() && !equalsIgnoreCase(publisher, "noop")) {
      out += "\nTo download the results, execute:\n\tcod job get " + job.id + "\n";
    }
  }
  return out;
}

void printJobSpecYaml(CliContext& ctx, const models::Job& job) {
  models::Job normalized = job;
  models::normalizeJob(normalized);
  ctx.out() << renderStructured(models::toJson(normalized), OutputFormat::kYaml);
}

Status waitForJob(CliContext& ctx, api::client::ApiClient& client, const std::string& job_id,
                  const RunFlags& flags) {
  COD_ASSIGN_OR_RETURN(api::client::GetJobResponse submitted, client.getJob(job_id));
  FollowOptions options;
  options.long_running = submitted.job.isLongRunning();
  options.timeout = std::chrono::seconds(flags.wait_timeout_secs);
  options.quiet = flags.id_only || flags.follow;
  options.style = ctx.tableStyle({});
  std::ostream& out = ctx.out();
  if (!options.quiet) {
    out << "Checking job status... (Ctrl+C stops watching; the job keeps running)\n\n"
        << followHeader(options.style);
    out.flush();
  }
  auto fetch = [&](const std::string& token) {
    api::client::HistoryOptions h;
    h.limit = kHistoryPageLimit;
    h.next_token = token;
    h.event_type = "all";
    return client.jobHistory(job_id, h);
  };
  COD_ASSIGN_OR_RETURN(FollowResult followed,
                       followHistory(
                           options, fetch, ctx.clock(), [&ctx](Duration d) { ctx.sleep(d); }, out));
  if (followed.outcome == FollowOutcome::kTimedOut) {
    return deadlineExceeded("gave up waiting for job " + job_id + " after " +
                            std::to_string(flags.wait_timeout_secs) + "s; the job keeps running")
        .withHint("check on it with 'cod job describe " + job_id + "'");
  }

  COD_ASSIGN_OR_RETURN(api::client::GetJobResponse final_job, client.getJob(job_id));
  const models::Job& job = final_job.job;
  const models::JobState& state = job.state;
  options.quiet = flags.id_only;  // the final state is shown after the logs too
  if (!options.quiet) {
    bool finished = followed.outcome == FollowOutcome::kFinished;
    out << "\nJob " << job.id << (finished ? " finished with state " : " is ")
        << models::jobStateName(state.state_type)
        << (state.message.empty() ? "" : ": " + oneLine(state.message)) << "\n";
  }
  if (!options.quiet && !flags.follow && followed.outcome == FollowOutcome::kFinished) {
    COD_ASSIGN_OR_RETURN(api::client::ExecutionsPage executions, client.jobExecutions(job_id));
    out << runOutputs(executions.items, options.style.wide);
  }
  if (flags.node_details && !options.quiet) {
    COD_ASSIGN_OR_RETURN(api::client::ExecutionsPage executions, client.jobExecutions(job_id));
    Table table({{"EXECUTION"}, {"NODE"}, {"STATE"}});
    for (const auto& e : executions.items) {
      table.addRow({displayId(e.id, options.style.wide), e.node_id,
                    models::executionStateName(e.compute_state.state_type)});
    }
    out << "\nNodes:\n" << table.render(options.style);
  }
  if (flags.download && state.state_type == models::JobStateType::kCompleted) {
    COD_RETURN_IF_ERROR(
        downloadResults(ctx, client, job_id, downloadOptions(flags.output_dir)).status());
  }
  if (!options.quiet) out << followUpCommands(job);
  out.flush();

  if (state.state_type == models::JobStateType::kFailed) {
    std::string reason = state.message;
    std::string hint;
    if (!followed.errors.empty()) {
      if (reason.empty()) reason = followed.errors.back().event.message;
      hint = eventHint(followed.errors.back());
    }
    Status status =
        failedPrecondition("job " + job_id + " failed" + (reason.empty() ? "" : ": " + reason));
    if (!hint.empty()) status.withHint(hint);
    return status;
  }
  return Status::ok();
}

Status submitAndFollow(CliContext& ctx, const models::Job& job, const RunFlags& flags) {
  if (flags.dry_run) {
    printJobSpecYaml(ctx, job);
    return Status::ok();
  }
  if (flags.download && !flags.wait) {
    return invalidArgument("--download needs --wait: results exist only once the job finishes");
  }
  COD_ASSIGN_OR_RETURN(api::client::ApiClient * client, ctx.client());
  COD_ASSIGN_OR_RETURN(api::client::SubmitJobResponse submitted,
                       client->submitJob(job, flags.force));
  if (!flags.hide_warnings) {
    for (const auto& w : submitted.warnings) ctx.err() << "Warning: " << w << "\n";
  }
  if (flags.id_only) {
    ctx.out() << submitted.job_id << "\n";
  } else {
    ctx.out() << "Job successfully submitted. Job ID: " << submitted.job_id << "\n";
  }
  ctx.out().flush();
  if (!flags.wait && !flags.follow) {
    if (!flags.id_only) {
      ctx.out() << "\nTo check on the job, execute:\n\tcod job describe " << submitted.job_id
                << "\n";
    }
    return Status::ok();
  }
  if (!flags.id_only) ctx.out() << "\n";
  RunFlags after = flags;
  if (flags.follow) after.follow = followJobLogs(ctx, *client, job, submitted.job_id);
  if (!flags.wait) return Status::ok();
  return waitForJob(ctx, *client, submitted.job_id, after);
}

bool followJobLogs(CliContext& ctx, api::client::ApiClient& client, const models::Job& job,
                   const std::string& job_id) {
  const Time deadline = ctx.clock().now() + kFollowStartTimeout;
  constexpr Duration kPoll = std::chrono::milliseconds(100);
  while (true) {
    Result<api::client::GetJobResponse> got = client.getJob(job_id);
    if (!got.isOk()) {
      ctx.err() << "Warning: cannot follow the logs of job " << job_id << ": "
                << got.error().message() << "\n";
      return false;
    }
    models::JobStateType state = got->job.state.state_type;
    if (state != models::JobStateType::kPending && state != models::JobStateType::kQueued) break;
    if (ctx.clock().now() >= deadline) {
      ctx.err() << "Warning: job " << job_id << " is still " << models::jobStateName(state)
                << " after " << formatDuration(kFollowStartTimeout)
                << "; not following its logs (later: cod job logs -f " << job_id << ")\n";
      return false;
    }
    ctx.sleep(kPoll);
  }
  api::client::LogsOptions logs;
  logs.follow = true;
  logs.ns = job.ns;
  Status streamed = printJobLogs(ctx, client, job_id, logs);
  if (!streamed.isOk()) {
    ctx.err() << "Warning: cannot follow the logs of job " << job_id << ": " << streamed.message()
              << "\n";
    return false;
  }
  return true;
}

}  // namespace cod::cli
