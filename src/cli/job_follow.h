#pragma once

// Following a submitted job: poll its history, print each new event, stop when the server says
// everything has been read (NextToken == "", reference/bacalhau-api.md §2.7), then report the
// final state. The polling loop takes its fetch function, clock and sleep as parameters so tests
// drive it with scripted pages and a manual clock.

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "api/client/api_client.h"
#include "cli/context.h"
#include "cli/job_flags.h"
#include "cli/output.h"
#include "common/clock.h"
#include "common/status.h"
#include "models/history.h"
#include "models/job.h"

namespace cod::cli {

struct FollowOptions {
  // Service and daemon jobs never finish: stop at the first execution-level event.
  bool long_running = false;
  // For the first `fast_period` the job is polled every first_poll_interval (most jobs that end
  // quickly end then, and are seen ending within a few milliseconds); after that the interval
  // stretches by half after each poll that brings nothing, up to poll_interval, so a long job
  // costs the server at most four polls a second.
  Duration first_poll_interval = std::chrono::milliseconds(15);
  Duration fast_period = std::chrono::seconds(2);
  Duration poll_interval = std::chrono::milliseconds(250);
  Duration timeout = std::chrono::seconds(600);
  // Print nothing (--id-only).
  bool quiet = false;
  TableStyle style;
  // Consecutive Unavailable answers tolerated (the server restarting) before giving up.
  int max_unavailable = 10;
};

enum class FollowOutcome {
  kFinished,  // NextToken came back empty: the job is terminal and every event was read
  kDetached,  // a long-running job started executing
  kTimedOut,  // the timeout passed first
};

struct FollowResult {
  FollowOutcome outcome = FollowOutcome::kFinished;
  size_t events = 0;
  // Events flagged IsError or FailsExecution, in order: the failure summary.
  std::vector<models::JobHistory> errors;
};

// Fetches the history page after `next_token` ("" = from the start).
using FetchHistoryFn = std::function<Result<api::client::HistoryPage>(const std::string&)>;
using SleepFn = std::function<void(Duration)>;

// The header and one line per event, as printed while following.
std::string followHeader(const TableStyle& style);
std::string formatFollowEvent(const models::JobHistory& event, const TableStyle& style);

// Polls until the history ends, the long-running job starts, or `timeout` passes. Sleeps
// `poll_interval` between polls that ask for more. Errors other than Unavailable end the loop.
Result<FollowResult> followHistory(const FollowOptions& options, const FetchHistoryFn& fetch,
                                   const Clock& clock, const SleepFn& sleep, std::ostream& out);

// What the finished run printed: the RunOutput (first 2 KiB) of stdout and stderr of each completed
// execution, when there are at most kOutputsShown of them; "" when there is nothing to show.
inline constexpr size_t kOutputsShown = 3;
std::string runOutputs(const std::vector<models::Execution>& executions, bool wide);

// The "to get more details, execute: …" lines printed after a run (`cod job get` only when the job
// has a publisher and did not fail or stop).
std::string followUpCommands(const models::Job& job);

// Submits `job` and, per `flags`, prints its ID, follows it and reports how it ended. A Failed job
// or a wait that timed out is an error (the message says which).
Status submitAndFollow(CliContext& ctx, const models::Job& job, const RunFlags& flags);

// With --follow: waits (up to kFollowStartTimeout, polling the job) until the job is no longer
// Pending or Queued, then prints its logs (follow=true) until the execution ends. False, after a
// warning on stderr, when there were no logs to stream (the job did not start in time, or the
// stream failed): the caller then follows the history as without --follow.
inline constexpr Duration kFollowStartTimeout = std::chrono::seconds(10);
bool followJobLogs(CliContext& ctx, api::client::ApiClient& client, const models::Job& job,
                   const std::string& job_id);

// Follows an already submitted job (the part of submitAndFollow after the submit). With
// flags.follow the logs were printed already: the history is followed silently and the run's
// outputs are not repeated.
Status waitForJob(CliContext& ctx, api::client::ApiClient& client, const std::string& job_id,
                  const RunFlags& flags);

// Prints the job spec as YAML (for --dry-run).
void printJobSpecYaml(CliContext& ctx, const models::Job& job);

}  // namespace cod::cli
