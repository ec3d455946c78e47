#include "cli/job_flags.h"

#include <algorithm>

#include "cli/input_flags.h"
#include "common/strings.h"
#include "common/units.h"
#include "models/label_selector.h"
#include "models/resources.h"

namespace cod::cli {

namespace {

Status checkResource(const std::string& flag, const std::string& value) {
  if (value.empty()) return Status::ok();
  if (flag == "--cpu") {
    auto cpu = parseCpuQuantity(value);
    if (!cpu.isOk()) return invalidArgument("--cpu: " + cpu.error().message());
  } else if (flag == "--gpu") {
    uint64_t n = 0;
    if (!parseUint64(trim(value), &n)) {
      return invalidArgument("--gpu: '" + value + "' is not a number of GPUs");
    }
    if (n > models::kMaxTaskGpus) {
      return invalidArgument("--gpu: " + value + " is more GPUs than a task may ask for (at most " +
                             std::to_string(models::kMaxTaskGpus) + ")");
    }
  } else {
    auto bytes = parseByteSize(value);
    if (!bytes.isOk()) return invalidArgument(flag + ": " + bytes.error().message());
  }
  return Status::ok();
}

// "opt=k=v" → {k, v}.
Status parsePublisherOption(std::string_view part, boost::json::object* params) {
  std::string_view rest = part;
  if (!startsWith(rest, "opt=")) {
    return invalidArgument("--publisher: unknown option '" + std::string(part) +
                           "': options are written opt=key=value");
  }
  rest.remove_prefix(4);
  size_t eq = rest.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return invalidArgument("--publisher: option '" + std::string(part) +
                           "' must be written opt=key=value");
  }
  (*params)[std::string(rest.substr(0, eq))] = std::string(rest.substr(eq + 1));
  return Status::ok();
}

}  // namespace

std::vector<std::string> splitCommaList(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    for (const auto& piece : split(v, ',')) {
      std::string_view t = trim(piece);
      if (!t.empty()) out.emplace_back(t);
    }
  }
  return out;
}

void addJobFlags(CLI::App* cmd, JobFlags* f, bool short_concurrency) {
  const std::string job_group = "Job";
  const std::string task_group = "Task";
  cmd->add_option("--name", f->name, "Job name (default: the job ID)")->group(job_group);
  cmd->add_option("--namespace", f->ns, "Job namespace")->capture_default_str()->group(job_group);
  cmd->add_option("--priority", f->priority, "Job priority")->group(job_group);
  cmd->add_option("--count", f->count, "Number of job executions (partitions)")
      ->capture_default_str()
      ->group(job_group);
  cmd->add_option(short_concurrency ? "-c,--concurrency" : "--concurrency", f->count,
                  short_concurrency ? "Deprecated: use --count" : "Number of job executions")
      ->group(job_group);
  cmd->add_option("--target", f->target,
                  "any: run on --count nodes (batch); all: once on every matching node (ops)")
      ->check(CLI::IsMember({"any", "all"}, CLI::ignore_case))
      ->capture_default_str()
      ->group(job_group);
  cmd->add_option("--constraints", f->constraints,
                  "Node label selector, Kubernetes syntax: 'region=eu,gpu!=none'")
      ->group(job_group);
  cmd->add_option("-s,--selector", f->selector, "Deprecated: use --constraints")->group(job_group);
  cmd->add_option("-l,--labels", f->labels, "Job labels, k=v (repeatable, comma-separated)")
      ->allow_extra_args(false)
      ->group(job_group);
  cmd->add_option("--task-name", f->task_name, "Task name")
      ->capture_default_str()
      ->group(task_group);
  cmd->add_option("-i,--input", f->inputs,
                  "Input: ipfs://CID, http(s)://URL, s3://bucket/key, file:///node/path, a local "
                  "file or folder (sent inline), or src=…,dst=/path,opt=k=v (repeatable)")
      ->allow_extra_args(false)
      ->group(task_group);
  cmd->add_option("-o,--output-volumes,--output", f->outputs,
                  "Result folder name:path inside the task (repeatable)")
      ->allow_extra_args(false)
      ->group(task_group);
  cmd->add_option("-p,--publisher", f->publisher,
                  "Where results go: local, noop, ipfs, s3://bucket/key,opt=region=…")
      ->capture_default_str()
      ->group(task_group);
  cmd->add_option("--cpu", f->cpu, "CPU request, e.g. 500m or 2")->group(task_group);
  cmd->add_option("--memory", f->memory, "Memory request, e.g. 512mb or 1Gi")->group(task_group);
  cmd->add_option("--disk", f->disk, "Disk request, e.g. 10gb")->group(task_group);
  cmd->add_option("--gpu", f->gpu, "Number of GPUs")->group(task_group);
  cmd->add_option("--network", f->network, "Network: none, host, full, http, bridge, default")
      ->check(
          CLI::IsMember({"none", "host", "full", "http", "bridge", "default"}, CLI::ignore_case))
      ->group(task_group);
  cmd->add_option("--domain", f->domains, "Domain reachable with --network http (repeatable)")
      ->allow_extra_args(false)
      ->group(task_group);
  cmd->add_option("--timeout", f->timeout_secs, "Job timeout in seconds (TotalTimeout)")
      ->group(task_group);
  cmd->add_option("--queue-timeout", f->queue_timeout_secs,
                  "Seconds the job may wait for a suitable node (QueueTimeout)")
      ->group(task_group);
}

void addRunFlags(CLI::App* cmd, RunFlags* f, bool with_download) {
  const std::string group = "Run";
  cmd->add_flag("--wait,!--no-wait", f->wait,
                "Wait for the job to finish (default true; --wait=false or --no-wait to return "
                "at once)")
      ->group(group);
  cmd->add_option("--wait-timeout-secs", f->wait_timeout_secs,
                  "Seconds to wait for the job to finish")
      ->capture_default_str()
      ->check(CLI::PositiveNumber)
      ->group(group);
  cmd->add_flag("--id-only", f->id_only, "Print only the job ID")->group(group);
  cmd->add_flag("--dry-run", f->dry_run, "Print the job spec as YAML and submit nothing")
      ->group(group);
  cmd->add_flag("--node-details", f->node_details,
                "Print the nodes that ran the job once it finishes")
      ->group(group);
  cmd->add_flag("--hide-warnings", f->hide_warnings, "Do not print submission warnings")
      ->group(group);
  cmd->add_flag("--force", f->force, "Submit even when an existing job's spec is unchanged")
      ->group(group);
  cmd->add_flag("-f,--follow", f->follow, "Print the job's output as it runs")->group(group);
  if (!with_download) return;
  cmd->add_flag("--download", f->download, "Download the results once the job finishes")
      ->group(group);
  cmd->add_option("--output-dir", f->output_dir, "Directory for --download (default ./job-<id>)")
      ->group(group);
}

Result<models::SpecConfig> parsePublisher(std::string_view text) {
  std::string_view spec = trim(text);
  models::SpecConfig out;
  if (spec.empty()) return out;
  std::vector<std::string> parts = split(spec, ',');
  std::string_view head = trim(parts.front());
  size_t scheme_end = head.find("://");
  if (scheme_end == std::string_view::npos) {
    out.type = toLower(head);
  } else {
    out.type = toLower(head.substr(0, scheme_end));
    std::string_view location = head.substr(scheme_end + 3);
    if (out.type == "s3") {
      size_t slash = location.find('/');
      std::string bucket(location.substr(0, slash));
      if (bucket.empty()) {
        return invalidArgument("--publisher: '" + std::string(text) +
                               "' names no bucket; write s3://bucket/key");
      }
      out.params["bucket"] = bucket;
      out.params["key"] =
          slash == std::string_view::npos ? std::string() : std::string(location.substr(slash + 1));
    } else if (!location.empty()) {
      return invalidArgument("--publisher: the " + out.type + " publisher takes no location ('" +
                             std::string(text) + "')");
    }
  }
  if (out.type.empty()) {
    return invalidArgument("--publisher: '" + std::string(text) + "' names no publisher type");
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    std::string_view part = trim(parts[i]);
    if (part.empty()) continue;
    COD_RETURN_IF_ERROR(parsePublisherOption(part, &out.params));
  }
  return out;
}

Result<models::StringMap> parseLabels(const std::vector<std::string>& values) {
  models::StringMap labels;
  for (const std::string& item : splitCommaList(values)) {
    size_t eq = item.find('=');
    std::string key(trim(item.substr(0, eq)));
    std::string value = eq == std::string::npos ? "" : std::string(trim(item.substr(eq + 1)));
    if (key.empty()) {
      return invalidArgument("--labels: '" + item + "' has no key; write key=value");
    }
    labels[key] = value;
  }
  return labels;
}

Result<std::vector<models::ResultPath>> parseOutputs(const std::vector<std::string>& values) {
  std::vector<models::ResultPath> out;
  for (const std::string& item : splitCommaList(values)) {
    size_t colon = item.find(':');
    if (colon == std::string::npos) {
      return invalidArgument("--output-volumes: '" + item + "' must be written name:/path");
    }
    models::ResultPath rp{std::string(trim(item.substr(0, colon))),
                          std::string(trim(item.substr(colon + 1)))};
    if (rp.name.empty() || rp.path.empty()) {
      return invalidArgument("--output-volumes: '" + item + "' must be written name:/path");
    }
    if (rp.path.front() != '/') {
      return invalidArgument("--output-volumes: the path in '" + item + "' must be absolute");
    }
    out.push_back(std::move(rp));
  }
  return out;
}

Status checkEnvFlag(const std::string& item) {
  size_t eq = item.find('=');
  if (eq == std::string::npos || eq == 0) {
    return invalidArgument("--env: '" + item + "' must be written NAME=value");
  }
  if (startsWith(toUpper(item.substr(0, eq)), "BACALHAU_")) {
    return invalidArgument("--env: '" + item.substr(0, eq) +
                           "' is reserved: names starting with BACALHAU_ are set by cod");
  }
  return Status::ok();
}

Result<models::StringMap> parseEnvFlags(const std::vector<std::string>& items) {
  models::StringMap env;
  for (const std::string& item : items) {
    COD_RETURN_IF_ERROR(checkEnvFlag(item));
    size_t eq = item.find('=');
    env[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return env;
}

Result<models::Job> buildJob(const JobFlags& f, models::SpecConfig engine) {
  models::Job job;
  job.name = f.name;
  job.ns = f.ns.empty() ? models::kDefaultNamespace : f.ns;
  job.priority = f.priority;
  if (f.count < 0) return invalidArgument("--count must not be negative");
  if (equalsIgnoreCase(f.target, "all")) {
    // An ops job runs once on every matching node: its Count stays 0.
    if (f.count > 1) {
      return invalidArgument("--count " + std::to_string(f.count) +
                             " does not go with --target all, which runs the job once on every "
                             "matching node")
          .withHint("drop --count, or use --target any to run it on " + std::to_string(f.count) +
                    " nodes");
    }
    job.type = models::kJobTypeOps;
  } else {
    job.type = models::kJobTypeBatch;
    job.count = f.count;
  }

  std::vector<std::string> selectors;
  if (!trim(f.constraints).empty()) selectors.emplace_back(trim(f.constraints));
  if (!trim(f.selector).empty()) selectors.emplace_back(trim(f.selector));
  if (!selectors.empty()) {
    auto selector = models::LabelSelector::parseAll(selectors);
    if (!selector.isOk()) return invalidArgument("--constraints: " + selector.error().message());
    job.constraints = selector->requirements();
  }
  COD_ASSIGN_OR_RETURN(job.labels, parseLabels(f.labels));

  models::Task task;
  task.name = f.task_name.empty() ? "main" : f.task_name;
  task.engine = std::move(engine);
  COD_ASSIGN_OR_RETURN(task.publisher, parsePublisher(f.publisher));
  COD_ASSIGN_OR_RETURN(task.input_sources, parseInputs(f.inputs));
  COD_ASSIGN_OR_RETURN(task.result_paths, parseOutputs(f.outputs));
  // Like Bacalhau's CLI, every run gets an `outputs` volume at /outputs (unless one of that name
  // or path was given), so a task can always leave files for `cod job get`.
  bool has_outputs = std::any_of(
      task.result_paths.begin(), task.result_paths.end(),
      [](const models::ResultPath& rp) { return rp.name == "outputs" || rp.path == "/outputs"; });
  if (!has_outputs && !trim(task.publisher.type).empty() &&
      !equalsIgnoreCase(trim(task.publisher.type), "noop")) {
    task.result_paths.insert(task.result_paths.begin(), models::ResultPath{"outputs", "/outputs"});
  }

  COD_RETURN_IF_ERROR(checkResource("--cpu", f.cpu));
  COD_RETURN_IF_ERROR(checkResource("--memory", f.memory));
  COD_RETURN_IF_ERROR(checkResource("--disk", f.disk));
  COD_RETURN_IF_ERROR(checkResource("--gpu", f.gpu));
  task.resources = {std::string(trim(f.cpu)), std::string(trim(f.memory)),
                    std::string(trim(f.disk)), std::string(trim(f.gpu))};

  std::vector<std::string> domains = splitCommaList(f.domains);
  if (!f.network.empty()) {
    if (!models::parseNetworkType(f.network, &task.network.type)) {
      return invalidArgument("--network: unknown network '" + f.network + "'");
    }
  } else if (!domains.empty()) {
    task.network.type = models::NetworkType::kHttp;  // --domain alone means HTTP access
  }
  task.network.domains = std::move(domains);

  if (f.timeout_secs < 0) return invalidArgument("--timeout must not be negative");
  if (f.queue_timeout_secs < 0) return invalidArgument("--queue-timeout must not be negative");
  task.timeouts.total_timeout = f.timeout_secs;
  task.timeouts.queue_timeout = f.queue_timeout_secs;

  job.tasks.push_back(std::move(task));
  return job;
}

}  // namespace cod::cli
