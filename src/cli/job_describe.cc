// `cod job describe ID`: a human view of a job, or the whole GetJobResponse as JSON/YAML.

#include <algorithm>
#include <map>
#include <memory>

#include "cli/job_commands.h"
#include "cli/output.h"
#include "common/strings.h"

namespace cod::cli {

namespace {

struct JobDescribeOptions {
  std::string id;
  std::string ns;
  uint64_t version = 0;
  OutputFlags output;
};

std::string section(const std::string& title, const TableStyle& style) {
  return style.styled ? "\x1b[1m" + title + "\x1b[0m\n" : title + "\n";
}

// "Key = value" lines with the keys padded to one width.
std::string keyValues(const std::vector<std::pair<std::string, std::string>>& rows) {
  size_t width = 0;
  for (const auto& [k, v] : rows) width = std::max(width, k.size());
  std::string out;
  for (const auto& [k, v] : rows) {
    out += k;
    out.append(width - k.size(), ' ');
    out += " = ";
    out += v;
    out += '\n';
  }
  return out;
}

// Output text with a trailing newline (RunOutput keeps the first 2 KiB).
std::string outputBlock(const std::string& text, bool truncated) {
  std::string out = text;
  if (!out.empty() && out.back() != '\n') out += '\n';
  if (truncated) out += "[output truncated: the full stream is in the published results]\n";
  return out;
}

Status runJobDescribe(CliContext& ctx, const JobDescribeOptions& o) {
  COD_ASSIGN_OR_RETURN(OutputFormat format, parseOutputFormat(o.output.format));
  COD_ASSIGN_OR_RETURN(api::client::ApiClient * client, ctx.client());
  api::client::GetJobOptions request;
  request.ns = o.ns;
  request.include_history = true;
  request.include_executions = true;
  request.job_version = o.version;
  COD_ASSIGN_OR_RETURN(api::client::GetJobResponse response, client->getJob(o.id, request));
  if (format != OutputFormat::kTable) {
    printStructured(ctx, api::client::toJson(response), format);
    return Status::ok();
  }
  if (o.version > 0) {
    // The server's History is the latest version's (as Bacalhau's): ask for this version's.
    api::client::HistoryOptions history;
    history.ns = o.ns;
    history.job_version = o.version;
    COD_ASSIGN_OR_RETURN(api::client::HistoryPage page,
                         client->jobHistory(response.job.id, history));
    response.history = std::move(page.items);
  }
  ctx.out() << describeJobText(
      response.job, response.history.value_or(std::vector<models::JobHistory>{}),
      response.executions.value_or(std::vector<models::Execution>{}), ctx.tableStyle(o.output));
  return Status::ok();
}

}  // namespace

std::string describeJobText(const models::Job& job, const std::vector<models::JobHistory>& history,
                            const std::vector<models::Execution>& executions,
                            const TableStyle& style) {
  std::vector<std::pair<std::string, std::string>> header = {
      {"ID", job.id},
      {"Name", job.name},
      {"Namespace", job.ns},
      {"Type", job.type},
      {"State", models::jobStateName(job.state.state_type)},
  };
  if (!job.state.message.empty()) header.emplace_back("Message", job.state.message);
  if (job.hasCount()) header.emplace_back("Count", std::to_string(job.count));
  header.emplace_back("Created Time", formatUnixNanos(job.create_time));
  header.emplace_back("Modified Time", formatUnixNanos(job.modify_time));
  header.emplace_back("Version", std::to_string(job.version));
  if (!job.labels.empty()) header.emplace_back("Labels", formatLabels(job.labels));
  std::string out = keyValues(header);

  // How many executions are in each state, in state order.
  std::map<int, std::pair<std::string, size_t>> summary;
  for (const auto& e : executions) {
    auto& entry = summary[static_cast<int>(e.compute_state.state_type)];
    entry.first = models::executionStateName(e.compute_state.state_type);
    ++entry.second;
  }
  out += "\n" + section("Summary", style);
  if (summary.empty()) {
    out += "No executions\n";
  } else {
    std::vector<std::pair<std::string, std::string>> counts;
    counts.reserve(summary.size());
    for (const auto& [state, entry] : summary) {
      counts.emplace_back(entry.first, std::to_string(entry.second));
    }
    out += keyValues(counts);
  }

  out += "\n" + section("Job History", style);
  Table events({{"TIME"}, {"TOPIC"}, {"EVENT", 100}});
  for (const auto& h : history) {
    if (h.type != models::JobHistoryType::kJobLevel) continue;
    events.addRow({formatTimestamp(h.time), h.event.topic, h.event.message});
  }
  out += events.render(style);

  out += "\n" + section("Executions", style);
  Table table({{"ID"},
               {"NODE ID"},
               {"STATE"},
               {"DESIRED"},
               {"REV."},
               {"CREATED"},
               {"MODIFIED"},
               {"COMMENT", 60}});
  for (const auto& e : executions) {
    table.addRow({displayId(e.id, style.wide), displayId(e.node_id, style.wide),
                  models::executionStateName(e.compute_state.state_type),
                  models::desiredStateName(e.desired_state.state_type), std::to_string(e.revision),
                  formatUnixNanos(e.create_time), formatUnixNanos(e.modify_time),
                  e.compute_state.message});
  }
  out += table.render(style);

  // Per-execution history, then outputs.
  for (const auto& e : executions) {
    Table exec_events({{"TIME"}, {"TOPIC"}, {"EVENT", 100}});
    for (const auto& h : history) {
      if (h.execution_id != e.id) continue;
      exec_events.addRow({formatTimestamp(h.time), h.event.topic, h.event.message});
    }
    if (exec_events.rowCount() == 0) continue;
    out += "\n" + section("Execution " + displayId(e.id, style.wide) + " History", style);
    out += exec_events.render(style);
  }
  for (const auto& e : executions) {
    const models::RunCommandResult& r = e.run_output;
    if (r.stdout_text.empty() && r.stderr_text.empty() && r.error_msg.empty()) continue;
    std::string id = displayId(e.id, style.wide);
    if (!r.stdout_text.empty()) {
      out += "\n" + section("Standard Output (" + id + ")", style) +
             outputBlock(r.stdout_text, r.stdout_truncated);
    }
    if (!r.stderr_text.empty()) {
      out += "\n" + section("Standard Error (" + id + ")", style) +
             outputBlock(r.stderr_text, r.stderr_truncated);
    }
    if (!r.error_msg.empty()) {
      out += "\n" + section("Error (" + id + ")", style) + r.error_msg + "\n";
    }
  }
  return out;
}

CLI::App* addJobDescribeCommand(CLI::App* parent, CliContext& ctx, const std::string& name) {
  auto o = std::make_shared<JobDescribeOptions>();
  CLI::App* cmd = parent->add_subcommand(name, "Show a job: state, history, executions, output");
  cmd->add_option("id", o->id, "Job ID, ID prefix or name")->required();
  cmd->add_option("--namespace", o->ns, "Namespace of the job");
  cmd->add_option("-v,--version", o->version,
                  "Job version: its spec, executions and history (default: latest)");
  addOutputFlags(cmd, &o->output, /*tabular=*/true, {"table", "json", "yaml"});
  onRun(cmd, ctx, [&ctx, o] { return runJobDescribe(ctx, *o); });
  return cmd;
}

}  // namespace cod::cli
