// `cod job …`: run, rerun, list, describe (job_describe.cc), stop, executions, history, versions.

#include "cli/job_commands.h"

#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>

#include <boost/json/array.hpp>

#include "cli/job_follow.h"
#include "cli/job_template.h"
#include "cli/output.h"
#include "cli/results.h"
#include "common/strings.h"
#include "models/json.h"
#include "models/spec_loader.h"

namespace cod::cli {

namespace {

namespace bj = boost::json;
using api::client::ApiClient;

std::string engineType(const models::Job& job) {
  return job.tasks.empty() ? "" : job.task().engine.type;
}

Result<std::string> readSpecText(CliContext& ctx, const std::string& file) {
  if (file == "-") {
    std::string text((std::istreambuf_iterator<char>(ctx.in())), std::istreambuf_iterator<char>());
    return text;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return notFound("cannot read the job spec '" + file + "': no such file or not readable");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return internalError("cannot read the job spec '" + file + "'");
  return text.str();
}

// ---- job run --------------------------------------------------------------------------------

struct JobRunOptions {
  std::string file;
  RunFlags run;
  std::vector<std::string> template_vars;  // -V, each "k=v" or a comma-separated list
  std::string template_envs;               // -E, a regular expression over variable names
  bool no_template = false;
};

std::string specSource(const std::string& file) {
  return file == "-" ? "standard input" : "'" + file + "'";
}

// Replaces the spec's {{ .name }} placeholders (cli/job_template.h).
Result<std::string> applyTemplate(CliContext& ctx, const JobRunOptions& o, std::string text) {
  if (o.no_template) return text;
  TemplateVars vars;
  for (const std::string& value : o.template_vars) {
    COD_RETURN_IF_ERROR(addTemplateVarFlag(value, &vars));
  }
  if (!o.template_envs.empty()) {
    COD_RETURN_IF_ERROR(addTemplateEnvs(o.template_envs, ctx.environment(), &vars));
  }
  auto rendered = renderJobTemplate(text, vars);
  if (!rendered.isOk()) {
    const Status& error = rendered.error();
    Status status = invalidArgument("invalid job spec template in " + specSource(o.file) + ", " +
                                    error.message());
    if (!error.hint().empty()) status.withHint(error.hint());
    return status;
  }
  return std::move(rendered).value();
}

// --dry-run on a spec file, as Bacalhau's: how the spec differs from the stored job of the same
// name (PUT /jobs/diff); the spec itself as YAML when the server cannot say (no such job, no name,
// no server).
Status dryRunDiff(CliContext& ctx, const models::Job& job, const RunFlags& flags) {
  COD_ASSIGN_OR_RETURN(ApiClient * client, ctx.client());
  Result<api::client::DiffJobResponse> diff = client->diffJob(job);
  if (!diff.isOk()) {
    ctx.err() << "Error: cannot compare with a stored job: " << diff.error().message() << "\n"
              << "Warning: falling back to offline mode; this is the spec that would be "
                 "submitted:\n";
    ctx.err().flush();
    printJobSpecYaml(ctx, job);
    return Status::ok();
  }
  if (!flags.hide_warnings) {
    for (const auto& w : diff->warnings) ctx.err() << "Warning: " << w << "\n";
  }
  if (diff->diff.empty()) {
    ctx.out() << "No diff detected: the spec is the same as job " << job.name
              << "'s current version.\n";
    return Status::ok();
  }
  bool color = ctx.tableStyle({}).styled;
  std::vector<std::string> lines = split(diff->diff, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  for (const std::string& line : lines) {
    std::string_view on;
    if (color && startsWith(line, "+")) on = "\x1b[32m";
    if (color && startsWith(line, "-")) on = "\x1b[31m";
    ctx.out() << on << line << (on.empty() ? "" : "\x1b[0m") << "\n";
  }
  return Status::ok();
}

Status runJobRun(CliContext& ctx, const JobRunOptions& o) {
  COD_ASSIGN_OR_RETURN(std::string text, readSpecText(ctx, o.file));
  COD_ASSIGN_OR_RETURN(text, applyTemplate(ctx, o, std::move(text)));
  auto job = models::loadJobSpec(text);
  if (!job.isOk()) {
    return invalidArgument("invalid job spec in " + specSource(o.file) + ": " +
                           job.error().message());
  }
  if (o.run.dry_run) return dryRunDiff(ctx, *job, o.run);
  return submitAndFollow(ctx, *job, o.run);
}

// ---- job rerun ------------------------------------------------------------------------------

struct JobRerunOptions {
  std::string id;
  std::string ns;
  uint64_t version = 0;
  RunFlags run;
};

Status runJobRerun(CliContext& ctx, const JobRerunOptions& o) {
  COD_ASSIGN_OR_RETURN(ApiClient * client, ctx.client());
  COD_ASSIGN_OR_RETURN(api::client::RerunJobResponse rerun,
                       client->rerunJob(o.id, o.version, "Rerun at user request", o.ns));
  if (!o.run.hide_warnings) {
    for (const auto& w : rerun.warnings) ctx.err() << "Warning: " << w << "\n";
  }
  if (o.run.id_only) {
    ctx.out() << rerun.job_id << "\n";
  } else {
    ctx.out() << "Job successfully rerun. Job ID: " << rerun.job_id
              << ", new version: " << rerun.job_version
              << ", evaluation ID: " << rerun.evaluation_id << "\n";
  }
  ctx.out().flush();
  if (!o.run.wait && !o.run.follow) {
    if (!o.run.id_only) {
      ctx.out() << "\nTo check on the job, execute:\n\tcod job describe " << rerun.job_id << "\n";
    }
    return Status::ok();
  }
  if (!o.run.id_only) ctx.out() << "\n";
  RunFlags after = o.run;
  if (o.run.follow) {
    COD_ASSIGN_OR_RETURN(api::client::GetJobResponse current, client->getJob(rerun.job_id));
    after.follow = followJobLogs(ctx, *client, current.job, rerun.job_id);
  }
  if (!o.run.wait) return Status::ok();
  // History and executions default to the latest version: the one just made.
  return waitForJob(ctx, *client, rerun.job_id, after);
}

// ---- job list -------------------------------------------------------------------------------

struct JobListOptions {
  uint64_t limit = 10;
  std::string next_token;
  std::string order_by;
  bool reversed = false;
  std::vector<std::string> labels;
  std::string ns;
  OutputFlags output;
};

Status runJobList(CliContext& ctx, const JobListOptions& o) {
  COD_ASSIGN_OR_RETURN(OutputFormat format, parseOutputFormat(o.output.format));
  COD_ASSIGN_OR_RETURN(ApiClient * client, ctx.client());
  api::client::ListJobsOptions request;
  request.ns = o.ns;
  request.limit = o.limit;
  request.next_token = o.next_token;
  request.order_by = o.order_by;
  request.reverse = o.reversed;
  request.labels = o.labels;
  COD_ASSIGN_OR_RETURN(api::client::ListJobsResponse page, client->listJobs(request));
  if (format != OutputFormat::kTable) {
    bj::array items;
    for (const auto& job : page.items) items.push_back(models::toJson(job));
    printStructured(ctx, items, format);
    return Status::ok();
  }
  TableStyle style = ctx.tableStyle(o.output);
  Table table({{"CREATED"}, {"ID"}, {"NAME", 30}, {"JOB"}, {"TYPE"}, {"STATE"}});
  for (const auto& job : page.items) {
    table.addRow({formatUnixNanos(job.create_time), displayId(job.id, style.wide), job.name,
                  engineType(job), job.type, models::jobStateName(job.state.state_type)});
  }
  ctx.out() << table.render(style);
  if (!page.next_token.empty()) {
    ctx.out() << "\nTo fetch more records, execute:\n\tcod job list --next-token "
              << page.next_token << (o.limit != 10 ? " --limit " + std::to_string(o.limit) : "")
              << "\n";
  }
  return Status::ok();
}

// ---- job stop -------------------------------------------------------------------------------

struct JobStopOptions {
  std::string id;
  std::string ns;
  bool quiet = false;
};

Status runJobStop(CliContext& ctx, const JobStopOptions& o) {
  COD_ASSIGN_OR_RETURN(ApiClient * client, ctx.client());
  api::client::GetJobOptions get;
  get.ns = o.ns;
  COD_ASSIGN_OR_RETURN(api::client::GetJobResponse current, client->getJob(o.id, get));
  const models::Job& job = current.job;
  if (models::isTerminal(job.state.state_type)) {
    return failedPrecondition("job " + job.id + " is already " +
                              models::jobStateName(job.state.state_type) +
                              "; there is nothing to stop");
  }
  COD_ASSIGN_OR_RETURN(api::client::StopJobResponse stopped,
                       client->stopJob(job.id, "Stopped at user request", o.ns));
  if (!o.quiet) {
    ctx.out() << "Job stop successfully submitted with evaluation ID: " << stopped.evaluation_id
              << "\n";
  }
  return Status::ok();
}

// ---- job executions -------------------------------------------------------------------------

struct JobExecutionsOptions {
  std::string id;
  std::string ns;
  uint64_t limit = 20;
  std::string order_by;
  bool reversed = false;
  uint64_t version = 0;
  bool all_versions = false;
  OutputFlags output;
};

Status runJobExecutions(CliContext& ctx, const JobExecutionsOptions& o) {
  COD_ASSIGN_OR_RETURN(OutputFormat format, parseOutputFormat(o.output.format));
  COD_ASSIGN_OR_RETURN(ApiClient * client, ctx.client());
  api::client::ExecutionsOptions request;
  request.ns = o.ns;
  request.limit = o.limit;
  request.order_by = o.order_by;
  request.reverse = o.reversed;
  request.job_version = o.version;
  request.all_job_versions = o.all_versions;
  COD_ASSIGN_OR_RETURN(api::client::ExecutionsPage page, client->jobExecutions(o.id, request));
  if (format != OutputFormat::kTable) {
    printStructured(ctx, api::client::toJson(page), format);
    return Status::ok();
  }
  TableStyle style = ctx.tableStyle(o.output);
  Table table({{"CREATED"},
               {"MODIFIED"},
               {"ID"},
               {"NODE ID"},
               {"REV."},
               {"COMPUTE STATE"},
               {"DESIRED STATE"}});
  for (const auto& e : page.items) {
    table.addRow({formatUnixNanos(e.create_time), formatUnixNanos(e.modify_time),
                  displayId(e.id, style.wide), displayId(e.node_id, style.wide),
                  std::to_string(e.revision),
                  models::executionStateName(e.compute_state.state_type),
                  models::desiredStateName(e.desired_state.state_type)});
  }
  ctx.out() << table.render(style);
  return Status::ok();
}

// ---- job history ----------------------------------------------------------------------------

struct JobHistoryOptions {
  std::string id;
  std::string ns;
  std::string event_type = "all";
  std::string execution_id;
  uint64_t limit = 0;
  std::string next_token;
  uint64_t version = 0;
  bool all_versions = false;
  OutputFlags output;
};

Status runJobHistory(CliContext& ctx, const JobHistoryOptions& o) {
  COD_ASSIGN_OR_RETURN(OutputFormat format, parseOutputFormat(o.output.format));
  COD_ASSIGN_OR_RETURN(ApiClient * client, ctx.client());
  api::client::HistoryOptions request;
  request.ns = o.ns;
  request.event_type = toLower(o.event_type);
  request.execution_id = o.execution_id;
  request.limit = o.limit;
  request.next_token = o.next_token;
  request.job_version = o.version;
  request.all_job_versions = o.all_versions;
  COD_ASSIGN_OR_RETURN(api::client::HistoryPage page, client->jobHistory(o.id, request));
  if (format != OutputFormat::kTable) {
    printStructured(ctx, api::client::toJson(page), format);
    return Status::ok();
  }
  TableStyle style = ctx.tableStyle(o.output);
  Table table({{"TIME"}, {"LEVEL"}, {"EXEC. ID"}, {"TOPIC"}, {"EVENT", 80}});
  for (const auto& h : page.items) {
    table.addRow({formatTimestamp(h.time),
                  h.type == models::JobHistoryType::kJobLevel ? "Job" : "Execution",
                  h.execution_id.empty() ? "" : displayId(h.execution_id, style.wide),
                  h.event.topic, h.event.message});
  }
  ctx.out() << table.render(style);
  if (o.limit > 0 && page.items.size() >= o.limit && !page.next_token.empty()) {
    ctx.out() << "\nTo fetch more records, execute:\n\tcod job history " << o.id << " --limit "
              << o.limit << " --next-token " << page.next_token << "\n";
  }
  return Status::ok();
}

// ---- job versions ---------------------------------------------------------------------------

struct JobVersionsOptions {
  std::string id;
  std::string ns;
  OutputFlags output;
};

Status runJobVersions(CliContext& ctx, const JobVersionsOptions& o) {
  COD_ASSIGN_OR_RETURN(OutputFormat format, parseOutputFormat(o.output.format));
  COD_ASSIGN_OR_RETURN(ApiClient * client, ctx.client());
  COD_ASSIGN_OR_RETURN(std::vector<models::Job> versions, client->jobVersions(o.id, o.ns));
  if (format != OutputFormat::kTable) {
    bj::array items;
    for (const auto& job : versions) items.push_back(models::toJson(job));
    printStructured(ctx, items, format);
    return Status::ok();
  }
  TableStyle style = ctx.tableStyle(o.output);
  Table table({{"VERSION"}, {"STATE"}, {"CREATED"}, {"MODIFIED"}});
  for (const auto& job : versions) {
    table.addRow({std::to_string(job.version), models::jobStateName(job.state.state_type),
                  formatUnixNanos(job.create_time), formatUnixNanos(job.modify_time)});
  }
  ctx.out() << table.render(style);
  return Status::ok();
}

}  // namespace

CLI::App* addJobRunCommand(CLI::App* parent, CliContext& ctx, const std::string& name) {
  auto o = std::make_shared<JobRunOptions>();
  CLI::App* cmd = parent->add_subcommand(
      name, "Submit a job spec (YAML or JSON; - reads standard input) and follow it");
  cmd->add_option("file", o->file, "Job spec file, or - for standard input")->required();
  addRunFlags(cmd, &o->run, /*with_download=*/false);
  const std::string templates = "Template";
  cmd->add_option("-V,--template-vars", o->template_vars,
                  "Value for a {{ .name }} placeholder in the spec: name=value, or a "
                  "comma-separated list of them (repeatable)")
      ->allow_extra_args(false)
      ->group(templates);
  cmd->add_option("-E,--template-envs", o->template_envs,
                  "Regular expression: environment variables whose names match become "
                  "placeholder values ('.*' or '*' for all)")
      ->group(templates);
  cmd->add_flag("--no-template", o->no_template,
                "Send the spec as it is, without replacing placeholders")
      ->group(templates);
  cmd->get_option("--dry-run")
      ->description(
          "Show how the spec differs from the stored job of the same name, and submit nothing "
          "(the spec as YAML when there is none)");
  onRun(cmd, ctx, [&ctx, o] { return runJobRun(ctx, *o); });
  return cmd;
}

CLI::App* addJobListCommand(CLI::App* parent, CliContext& ctx, const std::string& name) {
  auto o = std::make_shared<JobListOptions>();
  CLI::App* cmd = parent->add_subcommand(name, "List jobs");
  cmd->add_option("--limit", o->limit, "Jobs per page")->capture_default_str();
  cmd->add_option("--next-token", o->next_token, "Page token printed by the previous call");
  cmd->add_option("--order-by", o->order_by, "Sort by created_at or modified_at")
      ->check(CLI::IsMember({"created_at", "modified_at"}));
  cmd->add_flag("--order-reversed", o->reversed, "Reverse the order");
  cmd->add_option("--labels", o->labels, "Label selector, e.g. 'env=prod,tier!=web'");
  cmd->add_option("--namespace", o->ns, "Only this namespace (default: all)");
  addOutputFlags(cmd, &o->output, /*tabular=*/true);
  onRun(cmd, ctx, [&ctx, o] { return runJobList(ctx, *o); });
  return cmd;
}

CLI::App* addJobStopCommand(CLI::App* parent, CliContext& ctx, const std::string& name) {
  auto o = std::make_shared<JobStopOptions>();
  CLI::App* cmd = parent->add_subcommand(name, "Stop a running job");
  cmd->add_option("id", o->id, "Job ID, ID prefix or name")->required();
  cmd->add_option("--namespace", o->ns, "Namespace of the job");
  cmd->add_flag("--quiet", o->quiet, "Print nothing on success");
  onRun(cmd, ctx, [&ctx, o] { return runJobStop(ctx, *o); });
  return cmd;
}

void registerJobCommands(CLI::App& root, CliContext& ctx) {
  CLI::App* job = root.add_subcommand("job", "Submit, inspect and stop jobs");
  addJobRunCommand(job, ctx, "run");
  {
    auto o = std::make_shared<JobRerunOptions>();
    CLI::App* cmd =
        job->add_subcommand("rerun", "Run a job's spec again as a new version, and follow it");
    cmd->add_option("id", o->id, "Job ID, ID prefix or name")->required();
    cmd->add_option("--namespace", o->ns, "Namespace of the job");
    cmd->add_option("-v,--version", o->version, "The version to rerun (default: the latest)");
    addRunFlags(cmd, &o->run, /*with_download=*/false);
    // A rerun submits a stored spec: there is nothing to preview or force.
    for (const char* name : {"--dry-run", "--force"}) cmd->remove_option(cmd->get_option(name));
    onRun(cmd, ctx, [&ctx, o] { return runJobRerun(ctx, *o); });
  }
  addJobListCommand(job, ctx, "list");
  addJobDescribeCommand(job, ctx, "describe");
  addJobStopCommand(job, ctx, "stop");
  addJobGetCommand(job, ctx, "get");

  {
    auto o = std::make_shared<JobExecutionsOptions>();
    CLI::App* cmd = job->add_subcommand("executions", "List a job's executions");
    cmd->add_option("id", o->id, "Job ID, ID prefix or name")->required();
    cmd->add_option("--namespace", o->ns, "Namespace of the job");
    cmd->add_option("--limit", o->limit, "Executions to show")->capture_default_str();
    cmd->add_option("--order-by", o->order_by, "Sort by created_at or modified_at")
        ->check(CLI::IsMember({"created_at", "modified_at"}));
    cmd->add_flag("--order-reversed", o->reversed, "Reverse the order");
    cmd->add_option("-v,--version", o->version, "Job version (default: latest)");
    cmd->add_flag("--all-versions", o->all_versions, "Executions of every job version");
    addOutputFlags(cmd, &o->output, /*tabular=*/true);
    onRun(cmd, ctx, [&ctx, o] { return runJobExecutions(ctx, *o); });
  }
  {
    auto o = std::make_shared<JobHistoryOptions>();
    CLI::App* cmd = job->add_subcommand("history", "List a job's history events");
    cmd->add_option("id", o->id, "Job ID, ID prefix or name")->required();
    cmd->add_option("--namespace", o->ns, "Namespace of the job");
    cmd->add_option("--event-type", o->event_type, "all, job or execution")
        ->check(CLI::IsMember({"all", "job", "execution"}, CLI::ignore_case))
        ->capture_default_str();
    cmd->add_option("--execution-id", o->execution_id, "Only events of this execution (prefix)");
    cmd->add_option("--limit", o->limit, "Events per page (default: the server's, 100)");
    cmd->add_option("--next-token", o->next_token, "Page token printed by the previous call");
    cmd->add_option("-v,--version", o->version, "Job version (default: latest)");
    cmd->add_flag("--all-versions", o->all_versions, "Events of every job version");
    addOutputFlags(cmd, &o->output, /*tabular=*/true);
    onRun(cmd, ctx, [&ctx, o] { return runJobHistory(ctx, *o); });
  }
  {
    auto o = std::make_shared<JobVersionsOptions>();
    CLI::App* cmd = job->add_subcommand("versions", "List a job's spec versions");
    cmd->add_option("id", o->id, "Job ID, ID prefix or name")->required();
    cmd->add_option("--namespace", o->ns, "Namespace of the job");
    addOutputFlags(cmd, &o->output, /*tabular=*/true);
    onRun(cmd, ctx, [&ctx, o] { return runJobVersions(ctx, *o); });
  }

  // Top-level aliases kept from older Bacalhau CLIs.
  const std::string aliases = "Aliases";
  addJobRunCommand(&root, ctx, "create")->group(aliases)->description("Alias of 'cod job run'");
  addJobListCommand(&root, ctx, "list")->group(aliases)->description("Alias of 'cod job list'");
  addJobDescribeCommand(&root, ctx, "describe")
      ->group(aliases)
      ->description("Alias of 'cod job describe'");
  addJobStopCommand(&root, ctx, "cancel")->group(aliases)->description("Alias of 'cod job stop'");
  addJobGetCommand(&root, ctx, "get")->group(aliases)->description("Alias of 'cod job get'");
}

}  // namespace cod::cli
