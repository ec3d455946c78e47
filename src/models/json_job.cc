// The JSON form of Job and Task (reference/bacalhau-api.md §5.1–§5.11).

#include "common/strings.h"
#include "models/json.h"
#include "models/json_util.h"

namespace cod::models {

using json_internal::ObjectReader;
using json_internal::bj::array;
using json_internal::bj::object;
using json_internal::bj::value;

namespace {

constexpr const char* kNetworkTypes = "Default, None, Host, Full, HTTP, Bridge";

// ---- encoding ----------------------------------------------------------------------------------

value inputSourceToJson(const InputSource& in) {
  object obj;
  obj["Source"] = toJson(in.source);
  obj["Alias"] = in.alias;
  obj["Target"] = in.target;
  return obj;
}

value resultPathToJson(const ResultPath& r) {
  object obj;
  obj["Name"] = r.name;
  obj["Path"] = r.path;
  return obj;
}

value resourcesConfigToJson(const ResourcesConfig& r) {
  object obj;
  if (!r.cpu.empty()) obj["CPU"] = r.cpu;
  if (!r.memory.empty()) obj["Memory"] = r.memory;
  if (!r.disk.empty()) obj["Disk"] = r.disk;
  if (!r.gpu.empty()) obj["GPU"] = r.gpu;
  return obj;
}

value portToJson(const Port& p) {
  object obj;
  obj["Name"] = p.name;
  if (p.static_port != 0) obj["Static"] = p.static_port;
  if (p.target != 0) obj["Target"] = p.target;
  if (!p.host_network.empty()) obj["HostNetwork"] = p.host_network;
  return obj;
}

value networkToJson(const NetworkConfig& n) {
  object obj;
  obj["Type"] = networkTypeName(n.type);
  if (!n.domains.empty()) obj["Domains"] = json_internal::stringsToJson(n.domains);
  if (!n.ports.empty()) {
    array ports;
    for (const auto& p : n.ports) ports.push_back(portToJson(p));
    obj["Ports"] = std::move(ports);
  }
  return obj;
}

value timeoutsToJson(const TimeoutConfig& t) {
  object obj;
  if (t.execution_timeout != 0) obj["ExecutionTimeout"] = t.execution_timeout;
  if (t.queue_timeout != 0) obj["QueueTimeout"] = t.queue_timeout;
  if (t.total_timeout != 0) obj["TotalTimeout"] = t.total_timeout;
  return obj;
}

value jobStateToJson(const JobState& s) {
  object obj;
  obj["StateType"] = jobStateName(s.state_type);
  if (!s.message.empty()) obj["Message"] = s.message;
  if (!s.details.empty()) obj["Details"] = json_internal::stringMapToJson(s.details);
  return obj;
}

// ---- decoding ----------------------------------------------------------------------------------

Status decodeInputSource(const value& v, const std::string& path, const DecodeOptions& opts,
                         InputSource* out) {
  COD_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path, opts));
  COD_RETURN_IF_ERROR(r.nested("Source", &out->source, json_internal::decodeSpecConfig));
  COD_RETURN_IF_ERROR(r.str("Alias", &out->alias));
  return r.str("Target", &out->target);
}

Status decodeResultPath(const value& v, const std::string& path, const DecodeOptions& opts,
                        ResultPath* out) {
  COD_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path, opts));
  COD_RETURN_IF_ERROR(r.str("Name", &out->name));
  return r.str("Path", &out->path);
}

Status decodeResourcesConfig(const value& v, const std::string& path, const DecodeOptions& opts,
                             ResourcesConfig* out) {
  COD_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path, opts));
  COD_RETURN_IF_ERROR(r.str("CPU", &out->cpu));
  COD_RETURN_IF_ERROR(r.str("Memory", &out->memory));
  COD_RETURN_IF_ERROR(r.str("Disk", &out->disk));
  return r.str("GPU", &out->gpu);
}

Status decodePort(const value& v, const std::string& path, const DecodeOptions& opts, Port* out) {
  COD_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path, opts));
  COD_RETURN_IF_ERROR(r.str("Name", &out->name));
  COD_RETURN_IF_ERROR(r.i64("Static", &out->static_port));
  COD_RETURN_IF_ERROR(r.i64("Target", &out->target));
  return r.str("HostNetwork", &out->host_network);
}

// A network type by name (case-insensitive) or, as Swagger documents it, by number.
Status decodeNetworkType(const value& v, const std::string& path, const DecodeOptions& opts,
                         NetworkType* out) {
  if (v.is_int64() || v.is_uint64()) {
    int64_t n = 0;
    COD_RETURN_IF_ERROR(json_internal::readInt64(v, path, opts, &n));
    if (n < 0 || n > static_cast<int64_t>(NetworkType::kBridge)) {
      return invalidArgument(path + ": unknown network type " + std::to_string(n) +
                             "; valid values are " + kNetworkTypes);
    }
    *out = static_cast<NetworkType>(n);
    return Status::ok();
  }
  std::string name;
  COD_RETURN_IF_ERROR(json_internal::readString(v, path, opts, &name));
  if (!parseNetworkType(trim(name), out)) {
    return invalidArgument(path + ": unknown network type \"" + name + "\"; valid values are " +
                           kNetworkTypes);
  }
  return Status::ok();
}

Status decodeNetwork(const value& v, const std::string& path, const DecodeOptions& opts,
                     NetworkConfig* out) {
  COD_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path, opts));
  COD_RETURN_IF_ERROR(r.nested("Type", &out->type, decodeNetworkType));
  COD_RETURN_IF_ERROR(r.stringList("Domains", &out->domains));
  return r.list("Ports", &out->ports, decodePort);
}

Status decodeTimeouts(const value& v, const std::string& path, const DecodeOptions& opts,
                      TimeoutConfig* out) {
  COD_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path, opts));
  COD_RETURN_IF_ERROR(r.i64("ExecutionTimeout", &out->execution_timeout));
  COD_RETURN_IF_ERROR(r.i64("QueueTimeout", &out->queue_timeout));
  return r.i64("TotalTimeout", &out->total_timeout);
}

Status decodeTask(const value& v, const std::string& path, const DecodeOptions& opts, Task* out) {
  COD_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path, opts));
  COD_RETURN_IF_ERROR(r.str("Name", &out->name));
  COD_RETURN_IF_ERROR(r.nested("Engine", &out->engine, json_internal::decodeSpecConfig));
  COD_RETURN_IF_ERROR(r.nested("Publisher", &out->publisher, json_internal::decodeSpecConfig));
  COD_RETURN_IF_ERROR(r.stringMap("Env", &out->env));
  COD_RETURN_IF_ERROR(r.stringMap("Meta", &out->meta));
  COD_RETURN_IF_ERROR(r.list("InputSources", &out->input_sources, decodeInputSource));
  COD_RETURN_IF_ERROR(r.list("ResultPaths", &out->result_paths, decodeResultPath));
  COD_RETURN_IF_ERROR(r.nested("Resources", &out->resources, decodeResourcesConfig));
  COD_RETURN_IF_ERROR(r.nested("Network", &out->network, decodeNetwork));
  return r.nested("Timeouts", &out->timeouts, decodeTimeouts);
}

// A job state by name (case-insensitive; unknown names are Undefined, as in Bacalhau) or number.
Status decodeJobStateType(const value& v, const std::string& path, const DecodeOptions& opts,
                          JobStateType* out) {
  if (v.is_number()) {
    int64_t n = 0;
    COD_RETURN_IF_ERROR(json_internal::readInt64(v, path, opts, &n));
    if (n < 0 || n > static_cast<int64_t>(JobStateType::kStopped)) {
      return invalidArgument(path + ": unknown job state " + std::to_string(n) +
                             "; valid values are 0 (Undefined) to 6 (Stopped)");
    }
    *out = static_cast<JobStateType>(n);
    return Status::ok();
  }
  std::string name;
  COD_RETURN_IF_ERROR(json_internal::readString(v, path, opts, &name));
  *out = parseJobState(trim(name));
  return Status::ok();
}

Status decodeJobState(const value& v, const std::string& path, const DecodeOptions& opts,
                      JobState* out) {
  COD_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path, opts));
  COD_RETURN_IF_ERROR(r.nested("StateType", &out->state_type, decodeJobStateType));
  COD_RETURN_IF_ERROR(r.str("Message", &out->message));
  return r.stringMap("Details", &out->details);
}

}  // namespace

value toJson(const Task& v) {
  object obj;
  obj["Name"] = v.name;
  obj["Engine"] = toJson(v.engine);
  obj["Publisher"] = toJson(v.publisher);
  if (!v.env.empty()) obj["Env"] = json_internal::stringMapToJson(v.env);
  if (!v.meta.empty()) obj["Meta"] = json_internal::stringMapToJson(v.meta);
  if (!v.input_sources.empty()) {
    array inputs;
    for (const auto& in : v.input_sources) inputs.push_back(inputSourceToJson(in));
    obj["InputSources"] = std::move(inputs);
  }
  if (!v.result_paths.empty()) {
    array results;
    for (const auto& r : v.result_paths) results.push_back(resultPathToJson(r));
    obj["ResultPaths"] = std::move(results);
  }
  obj["Resources"] = resourcesConfigToJson(v.resources);
  obj["Network"] = networkToJson(v.network);
  obj["Timeouts"] = timeoutsToJson(v.timeouts);
  return obj;
}

value toJson(const Job& v) {
  object obj;
  obj["ID"] = v.id;
  obj["Name"] = v.name;
  obj["Namespace"] = v.ns;
  obj["Type"] = v.type;
  obj["Priority"] = v.priority;
  obj["Count"] = v.count;
  array constraints;
  for (const auto& c : v.constraints) constraints.push_back(toJson(c));
  obj["Constraints"] = std::move(constraints);
  obj["Meta"] = json_internal::stringMapToJson(v.meta);
  obj["Labels"] = json_internal::stringMapToJson(v.labels);
  array tasks;
  for (const auto& t : v.tasks) tasks.push_back(toJson(t));
  obj["Tasks"] = std::move(tasks);
  obj["State"] = jobStateToJson(v.state);
  obj["Version"] = v.version;
  obj["Revision"] = v.revision;
  obj["CreateTime"] = v.create_time;
  obj["ModifyTime"] = v.modify_time;
  return obj;
}

namespace json_internal {

Status decodeJob(const value& v, const std::string& path, const DecodeOptions& opts, Job* out) {
  COD_ASSIGN_OR_RETURN(ObjectReader r, ObjectReader::open(v, path, opts));
  COD_RETURN_IF_ERROR(r.str("ID", &out->id));
  COD_RETURN_IF_ERROR(r.str("Name", &out->name));
  COD_RETURN_IF_ERROR(r.str("Namespace", &out->ns));
  COD_RETURN_IF_ERROR(r.str("Type", &out->type));
  COD_RETURN_IF_ERROR(r.i64("Priority", &out->priority));
  // Bacalhau's default: a job that does not say how many runs once.
  out->count = 1;
  COD_RETURN_IF_ERROR(r.i64("Count", &out->count));
  COD_RETURN_IF_ERROR(r.list("Constraints", &out->constraints, decodeRequirement));
  COD_RETURN_IF_ERROR(r.stringMap("Meta", &out->meta));
  COD_RETURN_IF_ERROR(r.stringMap("Labels", &out->labels));
  COD_RETURN_IF_ERROR(r.list("Tasks", &out->tasks, decodeTask));
  COD_RETURN_IF_ERROR(r.nested("State", &out->state, decodeJobState));
  COD_RETURN_IF_ERROR(r.u64("Version", &out->version));
  COD_RETURN_IF_ERROR(r.u64("Revision", &out->revision));
  COD_RETURN_IF_ERROR(r.i64("CreateTime", &out->create_time));
  return r.i64("ModifyTime", &out->modify_time);
}

}  // namespace json_internal

Result<Job> jobFromJson(const value& v, const DecodeOptions& opts) {
  Job out;
  COD_RETURN_IF_ERROR(json_internal::decodeJob(v, opts.path, opts, &out));
  return out;
}

Result<InputSource> inputSourceFromJson(const value& v, const DecodeOptions& opts) {
  InputSource out;
  COD_RETURN_IF_ERROR(
      decodeInputSource(v, json_internal::rootPath(opts, "InputSource"), opts, &out));
  return out;
}

Result<Task> taskFromJson(const value& v, const DecodeOptions& opts) {
  Task out;
  COD_RETURN_IF_ERROR(decodeTask(v, json_internal::rootPath(opts, "Task"), opts, &out));
  return out;
}

}  // namespace cod::models
