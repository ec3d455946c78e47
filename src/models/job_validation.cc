#include "models/job_validation.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "common/ids.h"
#include "common/paths.h"
#include "common/strings.h"
#include "models/json.h"
#include "models/label_selector.h"
#include "models/resources.h"
#include "models/spec_loader.h"
#include "models/wasm_params.h"

namespace cod::models {

namespace {

constexpr int64_t kMinStaticPort = 1024;
constexpr int64_t kMaxPort = 65535;
// Lines of unchanged text shown around each change in diffSpecs.
constexpr size_t kDiffContext = 3;

// Files every result folder holds; a ResultPath of that name would collide with them.
bool isResultFileName(std::string_view name) {
  return name == "stdout" || name == "stderr" || name == "exitCode";
}

// Ops and daemon jobs run once per node: Count is 0.
bool isDaemonOrOps(const Job& job) { return parseJobType(job.type).has_value() && !job.hasCount(); }

// Lower-cases and removes every whitespace character ("512 MB" → "512mb").
std::string normalizeQuantity(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (!std::isspace(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

void trimInPlace(std::string& s) { s = std::string(trim(s)); }

void normalizeTask(Task& task) {
  trimInPlace(task.engine.type);
  trimInPlace(task.publisher.type);
  for (auto& in : task.input_sources) {
    trimInPlace(in.source.type);
    trimInPlace(in.alias);
    trimInPlace(in.target);
  }
  for (auto& r : task.result_paths) {
    trimInPlace(r.name);
    trimInPlace(r.path);
  }
  task.resources.cpu = normalizeQuantity(task.resources.cpu);
  task.resources.memory = normalizeQuantity(task.resources.memory);
  task.resources.disk = normalizeQuantity(task.resources.disk);
  task.resources.gpu = normalizeQuantity(task.resources.gpu);
  for (auto& d : task.network.domains) d = toLower(trim(d));
}

// Collects failures; each names the field it is about.
class Errors {
 public:
  void add(const std::string& path, const std::string& problem) {
    lines_.push_back(path + ": " + problem);
  }
  void addLine(std::string line) { lines_.push_back(std::move(line)); }
  Status status() const {
    if (lines_.empty()) return Status::ok();
    return invalidArgument(join(lines_, "\n"));
  }

 private:
  std::vector<std::string> lines_;
};

bool isEnvName(std::string_view name) {
  if (name.empty() || name[0] < 'A' || name[0] > 'Z') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

void validateEnv(const Task& task, const std::string& path, Errors& errors) {
  for (const auto& [name, value] : task.env) {
    std::string at = path + ".Env[" + quoted(name) + "]";
    if (!isEnvName(name)) {
      errors.add(at,
                 "invalid name: environment variable names start with an upper-case letter "
                 "and contain only A-Z, 0-9 and _ (like \"MY_VAR\")");
    } else if (startsWith(name, "BACALHAU_") || startsWith(name, "COD_")) {
      errors.add(at,
                 "names starting with BACALHAU_ or COD_ are reserved for the system; "
                 "choose another name");
    }
    if (value.empty()) errors.add(at, "value must not be empty; remove the variable or set it");
  }
}

void validateTimeouts(const TimeoutConfig& t, const std::string& path, Errors& errors) {
  bool negative = false;
  auto check = [&](int64_t v, const char* name) {
    if (v < 0) {
      errors.add(path + "." + name,
                 "must not be negative, got " + std::to_string(v) + " (use 0 for no timeout)");
      negative = true;
    } else if (v > kMaxTimeoutSeconds) {
      errors.add(path + "." + name, "must be at most " + std::to_string(kMaxTimeoutSeconds) +
                                        " seconds (100 years), got " + std::to_string(v) +
                                        " (use 0 for no timeout)");
      negative = true;  // the sum below could overflow
    }
  };
  check(t.execution_timeout, "ExecutionTimeout");
  check(t.queue_timeout, "QueueTimeout");
  check(t.total_timeout, "TotalTimeout");
  if (!negative && t.total_timeout > 0 && t.execution_timeout + t.queue_timeout > t.total_timeout) {
    errors.add(path, "ExecutionTimeout (" + std::to_string(t.execution_timeout) +
                         "s) + QueueTimeout (" + std::to_string(t.queue_timeout) +
                         "s) must not exceed TotalTimeout (" + std::to_string(t.total_timeout) +
                         "s); raise TotalTimeout or lower the others");
  }
}

// Reports the second and later uses of the same non-empty value; `field` names the list item's
// key ("Alias").
void checkUnique(const std::vector<std::string>& values, const std::string& list_path,
                 const char* field, const char* what, Errors& errors) {
  std::map<std::string, size_t> first;
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i].empty()) continue;
    auto [it, inserted] = first.emplace(values[i], i);
    if (!inserted) {
      errors.add(list_path + "[" + std::to_string(i) + "]." + field,
                 "duplicate " + std::string(what) + " " + quoted(values[i]) + " (also used by [" +
                     std::to_string(it->second) + "]); each must be unique");
    }
  }
}

std::string stringParam(const SpecConfig& spec, std::string_view key) {
  const auto* v = findKey(spec.params, key);
  return v != nullptr && v->is_string() ? std::string(trim(v->as_string())) : std::string();
}

// An S3 Endpoint, when given, is the base URL the compute node talks to: http or https only.
void validateEndpoint(const SpecConfig& spec, const std::string& path, Errors& errors) {
  // Bucket and Region become part of a host name on AWS.
  std::string bucket = stringParam(spec, "Bucket");
  if (!bucket.empty() && !isS3BucketName(bucket)) {
    errors.add(path + ".Bucket",
               "must be a bucket name (letters, digits, '-', '.', '_'), got " + quoted(bucket));
  }
  std::string region = stringParam(spec, "Region");
  if (!region.empty() && !isS3RegionName(region)) {
    errors.add(path + ".Region", "must be a region name like eu-west-1, got " + quoted(region));
  }
  std::string endpoint = stringParam(spec, "Endpoint");
  std::string lower = toLower(endpoint);
  if (!endpoint.empty() && !startsWith(lower, "http://") && !startsWith(lower, "https://")) {
    errors.add(path + ".Endpoint", "must be an http:// or https:// URL, got " + quoted(endpoint));
  }
}

// The params each known input type needs (reference §5.5); compute nodes check again, with what
// only they know (their allow-listed paths). Types cod does not know pass: a node may.
void validateSourceParams(const InputSource& in, const std::string& path, Errors& errors) {
  std::string type = toLower(trim(in.source.type));
  if (type == "urldownload") {
    std::string url = toLower(stringParam(in.source, "URL"));
    if (!startsWith(url, "http://") && !startsWith(url, "https://")) {
      errors.add(path + ".URL", "must be an http:// or https:// URL for urlDownload inputs");
    }
  } else if (type == "s3presigned") {
    std::string url = toLower(stringParam(in.source, "PreSignedURL"));
    if (!startsWith(url, "http://") && !startsWith(url, "https://")) {
      errors.add(path + ".PreSignedURL",
                 "must be an http:// or https:// URL for s3PreSigned inputs");
    }
  } else if (type == "inline") {
    if (!startsWith(toLower(stringParam(in.source, "URL")), "data:")) {
      errors.add(path + ".URL", "must be a data URL (\"data:…;base64,…\") for inline inputs");
    }
  } else if (type == "local" || type == "localdirectory") {
    std::string source = stringParam(in.source, "SourcePath");
    if (std::string problem = containerPathProblem(source); !problem.empty()) {
      errors.add(path + ".SourcePath", "must be a plain absolute path on the compute node, but " +
                                           quoted(source) + " " + problem);
    }
  } else if (type == "ipfs") {
    std::string cid = stringParam(in.source, "CID");
    if (cid.empty()) {
      errors.add(path + ".CID", "must not be blank");
    } else if (!isCid(cid)) {
      errors.add(path + ".CID", "must be a CID (Qm… or bafy…), got " + quoted(cid));
    }
  } else if (type == "s3") {
    if (stringParam(in.source, "Bucket").empty()) {
      errors.add(path + ".Bucket", "must not be blank");
    }
    validateEndpoint(in.source, path, errors);
  }
}

// A publisher's params that become URLs or object keys on the compute node (reference §5.7).
void validatePublisherParams(const SpecConfig& publisher, const std::string& path, Errors& errors) {
  if (toLower(trim(publisher.type)) != "s3") return;
  if (stringParam(publisher, "Bucket").empty()) errors.add(path + ".Bucket", "must not be blank");
  if (stringParam(publisher, "Key").empty()) {
    errors.add(path + ".Key",
               "must not be blank; placeholders {jobID}, {executionID}, {nodeID}, {date} and "
               "{time} are filled in");
  }
  std::string encoding = toLower(stringParam(publisher, "Encoding"));
  if (!encoding.empty() && encoding != "gzip" && encoding != "plain") {
    errors.add(path + ".Encoding",
               "must be gzip or plain, got " + quoted(stringParam(publisher, "Encoding")));
  }
  validateEndpoint(publisher, path, errors);
}

// A Target or Path as the checks see it: relative ones are allowed for engines whose guest file
// system is rooted at "/" (wasm, python), and mean the same path from "/".
std::string taskPath(const Task& task, const std::string& p) {
  if (!p.empty() && p[0] != '/' && engineAcceptsRelativePaths(task.engine.type)) return "/" + p;
  return p;
}

void validateInputsAndResults(const Task& task, const std::string& path, Errors& errors) {
  std::vector<std::string> aliases;
  std::vector<std::string> targets;
  for (size_t i = 0; i < task.input_sources.size(); ++i) {
    const InputSource& in = task.input_sources[i];
    std::string at = path + ".InputSources[" + std::to_string(i) + "]";
    if (trim(in.source.type).empty()) {
      errors.add(at + ".Source.Type",
                 "must not be blank; say where the input comes from "
                 "(s3, ipfs, urlDownload, inline, local)");
    }
    const std::string target = taskPath(task, in.target);
    if (trim(in.target).empty()) {
      errors.add(at + ".Target",
                 "must not be blank; give the absolute path where the input "
                 "appears inside the task (like \"/inputs\")");
    } else if (target[0] != '/') {
      errors.add(at + ".Target", "must be an absolute path, got " + quoted(in.target) +
                                     " (only wasm and python tasks take paths relative to /)");
    } else if (std::string problem = containerPathProblem(target); !problem.empty()) {
      errors.add(at + ".Target", "must be a plain absolute path like \"/inputs/data\", but " +
                                     quoted(in.target) + " " + problem);
    } else if (isReservedContainerPath(target)) {
      errors.add(at + ".Target", quoted(in.target) +
                                     " is the root or a kernel file system (/proc, /sys, /dev); "
                                     "mount the input elsewhere, like \"/inputs\"");
    }
    if (!in.alias.empty()) {
      if (std::string problem = pathSegmentProblem(in.alias); !problem.empty()) {
        errors.add(at + ".Alias",
                   "must be a plain name (no '/', not \".\" or \"..\", no control characters), "
                   "but " +
                       quoted(in.alias) + " " + problem);
      }
    }
    validateSourceParams(in, at + ".Source.Params", errors);
    aliases.push_back(in.alias);
    targets.push_back(target);
  }
  checkUnique(aliases, path + ".InputSources", "Alias", "alias", errors);
  checkUnique(targets, path + ".InputSources", "Target", "target", errors);

  std::vector<std::string> names;
  std::vector<std::string> paths;
  for (size_t i = 0; i < task.result_paths.size(); ++i) {
    const ResultPath& r = task.result_paths[i];
    std::string at = path + ".ResultPaths[" + std::to_string(i) + "]";
    if (trim(r.name).empty()) {
      errors.add(at + ".Name", "must not be blank; it names the folder of this result");
    } else if (std::string problem = pathSegmentProblem(r.name); !problem.empty()) {
      errors.add(at + ".Name",
                 "must be one plain folder name like \"outputs\" (no '/', not "
                 "\".\" or \"..\", no control characters), but " +
                     quoted(r.name) + " " + problem);
    } else if (isResultFileName(r.name)) {
      errors.add(at + ".Name", quoted(r.name) +
                                   " is a file every result holds (stdout, stderr, exitCode); "
                                   "name the folder something else, like \"outputs\"");
    }
    const std::string result_path = taskPath(task, r.path);
    if (trim(r.path).empty()) {
      errors.add(at + ".Path",
                 "must not be blank; give the absolute path inside the task whose "
                 "contents are published");
    } else if (result_path[0] != '/') {
      errors.add(at + ".Path", "must be an absolute path, got " + quoted(r.path) +
                                   " (only wasm and python tasks take paths relative to /)");
    } else if (std::string problem = containerPathProblem(result_path); !problem.empty()) {
      errors.add(at + ".Path", "must be a plain absolute path like \"/outputs\", but " +
                                   quoted(r.path) + " " + problem);
    } else if (isReservedContainerPath(result_path)) {
      errors.add(at + ".Path", quoted(r.path) +
                                   " is the root or a kernel file system (/proc, /sys, /dev), "
                                   "which a task cannot publish; write results to a folder of "
                                   "their own, like \"/outputs\"");
    }
    names.push_back(r.name);
    paths.push_back(result_path);
  }
  checkUnique(names, path + ".ResultPaths", "Name", "result name", errors);
  checkUnique(paths, path + ".ResultPaths", "Path", "result path", errors);
  // The guest sandbox (wasm, python) gives every input and output a folder of its own; the
  // compute node refuses folders inside one another, so say so now rather than after a bid.
  if (engineAcceptsRelativePaths(task.engine.type)) {
    std::vector<std::pair<std::string, std::string>> all;  // guest path, field
    for (size_t i = 0; i < targets.size(); ++i) {
      all.emplace_back(guestPath(targets[i]), path + ".InputSources[" + std::to_string(i) + "]");
    }
    for (size_t i = 0; i < paths.size(); ++i) {
      all.emplace_back(guestPath(paths[i]), path + ".ResultPaths[" + std::to_string(i) + "]");
    }
    for (size_t i = 0; i < all.size(); ++i) {
      for (size_t j = 0; j < all.size(); ++j) {
        if (i != j && ((all[i].first != all[j].first && isWithin(all[i].first, all[j].first)) ||
                       (i > j && all[i].first == all[j].first && j < targets.size() &&
                        i >= targets.size()))) {
          errors.add(all[i].second, quoted(all[i].first) + " lies inside " + quoted(all[j].first) +
                                        " (" + all[j].second + "); a " + task.engine.type +
                                        " task needs a separate folder for each input and output");
        }
      }
    }
  }
  validatePublisherParams(task.publisher, path + ".Publisher.Params", errors);
  if (!task.result_paths.empty() && trim(task.publisher.type).empty()) {
    errors.add(path + ".Publisher.Type",
               "must be set when ResultPaths are given, otherwise the results have nowhere to "
               "go; add a publisher such as {\"Type\":\"local\"}");
  }
}

void validateNetwork(const NetworkConfig& net, const std::string& path, Errors& errors) {
  std::string type = networkTypeName(net.type);
  if (!net.domains.empty() && net.type != NetworkType::kHttp) {
    errors.add(path + ".Domains", "only allowed with network type HTTP, got " + type +
                                      "; set Type to HTTP or "
                                      "remove the domains");
  }
  bool ports_allowed = net.type == NetworkType::kHost || net.type == NetworkType::kBridge ||
                       net.type == NetworkType::kFull;
  if (!net.ports.empty() && !ports_allowed) {
    errors.add(path + ".Ports", "only allowed with network type Host, Bridge or Full, got " + type +
                                    "; change Type or remove the ports");
  }
  std::vector<std::string> names;
  for (size_t i = 0; i < net.ports.size(); ++i) {
    const Port& p = net.ports[i];
    std::string at = path + ".Ports[" + std::to_string(i) + "]";
    if (trim(p.name).empty()) {
      errors.add(at + ".Name",
                 "must not be blank; the port is exposed to the task as "
                 "BACALHAU_PORT_<Name>");
    }
    if (p.static_port != 0 && (p.static_port < kMinStaticPort || p.static_port > kMaxPort)) {
      errors.add(at + ".Static", "must be between 1024 and 65535, got " +
                                     std::to_string(p.static_port) + " (0 picks a free port)");
    }
    if (p.target < 0 || p.target > kMaxPort) {
      errors.add(at + ".Target", "must be between 0 and 65535, got " + std::to_string(p.target));
    }
    names.push_back(p.name);
  }
  checkUnique(names, path + ".Ports", "Name", "port name", errors);
}

void validateTask(const Task& task, const std::string& path, Errors& errors) {
  if (trim(task.name).empty()) {
    errors.add(path + ".Name", "must not be blank; name the task (like \"main\")");
  } else if (task.name.find('\0') != std::string::npos) {
    errors.add(path + ".Name", "must not contain a NUL character");
  }
  validateEnv(task, path, errors);
  if (trim(task.engine.type).empty()) errors.add(path + ".Engine.Type", "must not be blank");
  validateTimeouts(task.timeouts, path + ".Timeouts", errors);
  auto resources = parseResources(task.resources);
  // parseResources names the field from "Resources." on.
  if (!resources.isOk()) errors.addLine(path + "." + resources.error().message());
  validateInputsAndResults(task, path, errors);
  if (equalsIgnoreCase(task.engine.type, kWasmEngine)) {
    if (auto wasm = parseWasmParams(task); !wasm.isOk()) {
      errors.addLine(path + "." + wasm.error().message());
    }
  } else if (equalsIgnoreCase(task.engine.type, kPythonEngine)) {
    if (auto python = parsePythonParams(task); !python.isOk()) {
      errors.addLine(path + "." + python.error().message());
    }
  }
  validateNetwork(task.network, path + ".Network", errors);
}

// The parts of a job that make up its spec, with resource strings compared case-insensitively.
Job specOf(const Job& job) {
  Job spec = job;
  spec.id.clear();
  spec.state = JobState{};
  spec.version = 0;
  spec.revision = 0;
  spec.create_time = 0;
  spec.modify_time = 0;
  std::erase_if(spec.meta,
                [](const auto& kv) { return startsWith(kv.first, kReservedMetaPrefix); });
  for (Task& t : spec.tasks) {
    t.resources.cpu = toLower(t.resources.cpu);
    t.resources.memory = toLower(t.resources.memory);
    t.resources.disk = toLower(t.resources.disk);
    t.resources.gpu = toLower(t.resources.gpu);
  }
  return spec;
}

std::vector<std::string> specLines(const Job& job) {
  boost::json::value v = toJson(specOf(job));
  boost::json::object& obj = v.as_object();
  for (const char* key : {"ID", "State", "Version", "Revision", "CreateTime", "ModifyTime"}) {
    obj.erase(key);
  }
  std::vector<std::string> lines = split(jsonToYaml(v), '\n');
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

}  // namespace

void normalizeJob(Job& job) {
  if (job.ns.empty()) job.ns = kDefaultNamespace;
  if (job.name.empty()) job.name = job.id;
  if (isDaemonOrOps(job)) job.count = 0;
  for (Task& t : job.tasks) normalizeTask(t);
}

std::vector<std::string> sanitizeSubmittedJob(Job& job) {
  std::vector<std::string> warnings;
  if (job.state != JobState{}) {
    warnings.emplace_back("job state is ignored when submitting a job");
    job.state = JobState{};
  }
  if (job.revision != 0) {
    warnings.emplace_back("job revision is ignored when submitting a job");
    job.revision = 0;
  }
  if (job.version != 0) {
    warnings.emplace_back("job version is ignored when submitting a job");
    job.version = 0;
  }
  if (job.create_time != 0) {
    warnings.emplace_back("job create time is ignored when submitting a job");
    job.create_time = 0;
  }
  if (job.modify_time != 0) {
    warnings.emplace_back("job modify time is ignored when submitting a job");
    job.modify_time = 0;
  }
  if (!job.id.empty() && (job.type == kJobTypeBatch || job.type == kJobTypeOps)) {
    warnings.emplace_back("job ID is ignored when submitting a batch job");
    job.id.clear();
  }
  if (job.tasks.size() > 1) {
    warnings.emplace_back("only one task is supported per job");
    job.tasks.resize(1);
  }
  for (auto it = job.meta.begin(); it != job.meta.end();) {
    if (startsWith(it->first, kReservedMetaPrefix)) {
      warnings.push_back("job meta key \"" + it->first + "\" is reserved and will be ignored");
      it = job.meta.erase(it);
    } else {
      ++it;
    }
  }
  return warnings;
}

Status validateJob(const Job& job, const JobLimits& limits) {
  Errors errors;
  // Batch and ops jobs get a generated ID (sanitizeSubmittedJob drops theirs); service and daemon
  // jobs keep the client's, which names files on compute nodes.
  if (!job.id.empty()) {
    if (std::string problem = idProblem(job.id); !problem.empty()) {
      errors.add("Job.ID", "must use only letters, digits, '-', '_' and '.' (at most " +
                               std::to_string(kMaxIdLength) +
                               " characters, like \"my-service\"), "
                               "but " +
                               quoted(job.id) + " " + problem);
    }
  }
  bool known_type = job.type == kJobTypeBatch || job.type == kJobTypeOps ||
                    job.type == kJobTypeService || job.type == kJobTypeDaemon;
  if (trim(job.type).empty()) {
    errors.add("Job.Type", "must not be blank; use one of batch, ops, service, daemon");
  } else if (!known_type) {
    errors.add("Job.Type", "must be one of batch, ops, service, daemon, got " + quoted(job.type));
  }
  if (job.count < 0) {
    errors.add("Job.Count", "must not be negative, got " + std::to_string(job.count));
  } else if (job.count > limits.max_count) {
    errors.add("Job.Count", "must be at most " + std::to_string(limits.max_count) + ", got " +
                                std::to_string(job.count) +
                                " (the orchestrator's --max-job-count; each partition needs a "
                                "node of its own)");
  } else if (isDaemonOrOps(job) && job.count > 1) {
    errors.add("Job.Count", "must be 0 or 1 for " + job.type +
                                " jobs, which run once on every matching node; got " +
                                std::to_string(job.count));
  }
  for (size_t i = 0; i < job.constraints.size(); ++i) {
    Status s = validateRequirement(job.constraints[i]);
    if (!s.isOk()) errors.add("Job.Constraints[" + std::to_string(i) + "]", s.message());
  }
  if (job.tasks.empty()) {
    errors.add("Job.Tasks", "must contain a task; add one with a Name and an Engine");
  }
  for (size_t i = 0; i < job.tasks.size(); ++i) {
    validateTask(job.tasks[i], "Job.Tasks[" + std::to_string(i) + "]", errors);
  }
  return errors.status();
}

std::string unsafePathReason(const Job& job, std::string_view execution_id) {
  if (std::string problem = idProblem(execution_id); !problem.empty()) {
    return "execution ID " + quoted(execution_id) + " " + problem;
  }
  if (std::string problem = idProblem(job.id); !problem.empty()) {
    return "Job.ID " + quoted(job.id) + " " + problem;
  }
  for (size_t t = 0; t < job.tasks.size(); ++t) {
    const Task& task = job.tasks[t];
    std::string at = "Job.Tasks[" + std::to_string(t) + "]";
    for (size_t i = 0; i < task.result_paths.size(); ++i) {
      const ResultPath& r = task.result_paths[i];
      std::string rp = at + ".ResultPaths[" + std::to_string(i) + "]";
      if (std::string problem = pathSegmentProblem(r.name); !problem.empty()) {
        return rp + ".Name " + quoted(r.name) + " " + problem;
      }
      if (isResultFileName(r.name)) {
        return rp + ".Name " + quoted(r.name) + " is a file every result holds";
      }
      const std::string result_path = taskPath(task, r.path);
      if (std::string problem = containerPathProblem(result_path); !problem.empty()) {
        return rp + ".Path " + quoted(r.path) + " " + problem;
      }
      if (isReservedContainerPath(result_path)) {
        return rp + ".Path " + quoted(r.path) + " is the root or a kernel file system";
      }
    }
    for (size_t i = 0; i < task.input_sources.size(); ++i) {
      const InputSource& in = task.input_sources[i];
      std::string is = at + ".InputSources[" + std::to_string(i) + "]";
      const std::string target = taskPath(task, in.target);
      if (std::string problem = containerPathProblem(target); !problem.empty()) {
        return is + ".Target " + quoted(in.target) + " " + problem;
      }
      if (isReservedContainerPath(target)) {
        return is + ".Target " + quoted(in.target) + " is the root or a kernel file system";
      }
    }
  }
  return "";
}

bool sameSpec(const Job& a, const Job& b) { return specOf(a) == specOf(b); }

std::string diffSpecs(const Job& current, const Job& proposed) {
  if (sameSpec(current, proposed)) return "";
  std::vector<std::string> a = specLines(current);
  std::vector<std::string> b = specLines(proposed);
  // Longest common subsequence of lines; specs are small, so the quadratic table is fine.
  std::vector<std::vector<size_t>> lcs(a.size() + 1, std::vector<size_t>(b.size() + 1, 0));
  for (size_t i = a.size(); i-- > 0;) {
    for (size_t j = b.size(); j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  struct Line {
    char mark;  // ' ', '-', '+'
    std::string text;
  };
  std::vector<Line> lines;
  size_t i = 0;
  size_t j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      lines.push_back({' ', a[i++]});
      ++j;
    } else if (i < a.size() && (j == b.size() || lcs[i + 1][j] >= lcs[i][j + 1])) {
      lines.push_back({'-', a[i++]});
    } else {
      lines.push_back({'+', b[j++]});
    }
  }
  // Show changed lines with a little unchanged context around them.
  std::vector<bool> shown(lines.size(), false);
  for (size_t k = 0; k < lines.size(); ++k) {
    if (lines[k].mark == ' ') continue;
    size_t from = k >= kDiffContext ? k - kDiffContext : 0;
    size_t to = std::min(lines.size(), k + kDiffContext + 1);
    for (size_t m = from; m < to; ++m) shown[m] = true;
  }
  std::string out;
  bool skipped = false;
  for (size_t k = 0; k < lines.size(); ++k) {
    if (!shown[k]) {
      skipped = true;
      continue;
    }
    if (skipped) out += "  ...\n";
    skipped = false;
    out += lines[k].mark;
    out += ' ';
    out += lines[k].text;
    out += '\n';
  }
  if (skipped) out += "  ...\n";
  return out;
}

}  // namespace cod::models
