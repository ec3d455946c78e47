// `cod job logs ID` (alias `cod logs`): a job's stdout and stderr, from the logs WebSocket.

#include "cli/logs_commands.h"

#include <memory>

namespace cod::cli {

namespace {

struct JobLogsOptions {
  std::string id;
  bool follow = false;
  bool tail = false;
  std::string execution_id;
  uint64_t version = 0;
  std::string ns;
};

Status runJobLogs(CliContext& ctx, const JobLogsOptions& o) {
  COD_ASSIGN_OR_RETURN(api::client::ApiClient * client, ctx.client());
  api::client::LogsOptions request;
  request.follow = o.follow;
  request.tail = o.tail;
  request.execution_id = o.execution_id;
  request.job_version = o.version;
  request.ns = o.ns;
  return printJobLogs(ctx, *client, o.id, request);
}

CLI::App* addJobLogsCommand(CLI::App* parent, CliContext& ctx, const std::string& name) {
  auto o = std::make_shared<JobLogsOptions>();
  CLI::App* cmd = parent->add_subcommand(name, "Print a job's stdout and stderr");
  cmd->add_option("id", o->id, "Job ID, ID prefix or name")->required();
  cmd->add_flag("-f,--follow", o->follow, "Keep printing output until the execution ends");
  cmd->add_flag("-t,--tail", o->tail, "Start from the end of what was written so far");
  cmd->add_option("-e,--execution-id", o->execution_id,
                  "The execution to read (default: the job's latest live one)");
  cmd->add_option("-v,--version", o->version, "Job version (default: any)");
  cmd->add_option("--namespace", o->ns, "Namespace of the job");
  onRun(cmd, ctx, [&ctx, o] { return runJobLogs(ctx, *o); });
  return cmd;
}

}  // namespace

Status printJobLogs(CliContext& ctx, api::client::ApiClient& client, const std::string& job_id,
                    const api::client::LogsOptions& options) {
  return client.streamLogs(job_id, options, [&ctx](const api::client::LogLine& line) {
    std::ostream& os = line.type == api::client::kLogStderr ? ctx.err() : ctx.out();
    os << line.line;
    os.flush();
  });
}

void registerLogsCommands(CLI::App& root, CliContext& ctx) {
  CLI::App* job = root.get_subcommand("job");
  addJobLogsCommand(job, ctx, "logs");
  addJobLogsCommand(&root, ctx, "logs")->group("Aliases")->description("Alias of 'cod job logs'");
}

}  // namespace cod::cli
