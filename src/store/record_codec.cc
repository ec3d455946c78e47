#include "store/record_codec.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <boost/json.hpp>
#include <boost/pfr/core.hpp>

#include "models/json.h"

namespace cod::store::records {

namespace {

namespace bj = boost::json;
namespace m = models;

// One stored member of S and its stored name.
template <typename S, typename T>
struct Field {
  const char* name;
  T S::*member;
};

template <typename S, typename T>
constexpr Field<S, T> field(const char* name, T S::*member) {
  return {name, member};
}

// Table<S>::kFields lists the stored members of S with their stored names: the format itself.
// A name, once written, stays within its format version (record_codec.h).
template <typename S>
struct Table;

// Members of S that its table leaves out on purpose.
template <typename S>
constexpr size_t kUnstoredMembers = 0;

// A member added to a model must be added to its table (or here, with the reason): otherwise it
// would silently not be stored. Boost.PFR counts the members of the aggregate.
template <typename S>
constexpr bool storesEveryMember() {
  return boost::pfr::tuple_size_v<S> ==
         std::tuple_size_v<decltype(Table<S>::kFields)> + kUnstoredMembers<S>;
}

template <>
struct Table<m::SpecConfig> {
  static constexpr auto kFields =
      std::make_tuple(field("type", &m::SpecConfig::type), field("params", &m::SpecConfig::params));
};

template <>
struct Table<m::InputSource> {
  static constexpr auto kFields = std::make_tuple(field("source", &m::InputSource::source),
                                                  field("alias", &m::InputSource::alias),
                                                  field("target", &m::InputSource::target));
};

template <>
struct Table<m::ResultPath> {
  static constexpr auto kFields =
      std::make_tuple(field("name", &m::ResultPath::name), field("path", &m::ResultPath::path));
};

template <>
struct Table<m::Port> {
  static constexpr auto kFields = std::make_tuple(
      field("name", &m::Port::name), field("static", &m::Port::static_port),
      field("target", &m::Port::target), field("host_network", &m::Port::host_network));
};

template <>
struct Table<m::NetworkConfig> {
  static constexpr auto kFields = std::make_tuple(field("type", &m::NetworkConfig::type),
                                                  field("domains", &m::NetworkConfig::domains),
                                                  field("ports", &m::NetworkConfig::ports));
};

template <>
struct Table<m::TimeoutConfig> {
  static constexpr auto kFields =
      std::make_tuple(field("execution", &m::TimeoutConfig::execution_timeout),
                      field("queue", &m::TimeoutConfig::queue_timeout),
                      field("total", &m::TimeoutConfig::total_timeout));
};

template <>
struct Table<m::ResourcesConfig> {
  static constexpr auto kFields = std::make_tuple(
      field("cpu", &m::ResourcesConfig::cpu), field("memory", &m::ResourcesConfig::memory),
      field("disk", &m::ResourcesConfig::disk), field("gpu", &m::ResourcesConfig::gpu));
};

template <>
struct Table<m::Task> {
  static constexpr auto kFields = std::make_tuple(
      field("name", &m::Task::name), field("engine", &m::Task::engine),
      field("publisher", &m::Task::publisher), field("env", &m::Task::env),
      field("meta", &m::Task::meta), field("inputs", &m::Task::input_sources),
      field("results", &m::Task::result_paths), field("resources", &m::Task::resources),
      field("network", &m::Task::network), field("timeouts", &m::Task::timeouts));
};

template <>
struct Table<m::LabelSelectorRequirement> {
  static constexpr auto kFields =
      std::make_tuple(field("key", &m::LabelSelectorRequirement::key),
                      field("operator", &m::LabelSelectorRequirement::op),
                      field("values", &m::LabelSelectorRequirement::values));
};

template <>
struct Table<m::JobState> {
  static constexpr auto kFields = std::make_tuple(field("state", &m::JobState::state_type),
                                                  field("message", &m::JobState::message),
                                                  field("details", &m::JobState::details));
};

template <>
struct Table<m::Job> {
  static constexpr auto kFields = std::make_tuple(
      field("id", &m::Job::id), field("name", &m::Job::name), field("namespace", &m::Job::ns),
      field("type", &m::Job::type), field("priority", &m::Job::priority),
      field("count", &m::Job::count), field("constraints", &m::Job::constraints),
      field("meta", &m::Job::meta), field("labels", &m::Job::labels),
      field("tasks", &m::Job::tasks), field("state", &m::Job::state),
      field("version", &m::Job::version), field("revision", &m::Job::revision),
      field("create_time", &m::Job::create_time), field("modify_time", &m::Job::modify_time));
};

template <>
struct Table<m::Gpu> {
  static constexpr auto kFields =
      std::make_tuple(field("index", &m::Gpu::index), field("name", &m::Gpu::name),
                      field("vendor", &m::Gpu::vendor), field("memory", &m::Gpu::memory),
                      field("pci_address", &m::Gpu::pci_address));
};

template <>
struct Table<m::Resources> {
  static constexpr auto kFields =
      std::make_tuple(field("cpu", &m::Resources::cpu), field("memory", &m::Resources::memory),
                      field("disk", &m::Resources::disk), field("gpu", &m::Resources::gpu),
                      field("gpus", &m::Resources::gpus));
};

template <>
struct Table<m::AllocatedResources> {
  static constexpr auto kFields = std::make_tuple(field("tasks", &m::AllocatedResources::tasks));
};

template <typename E>
struct Table<m::State<E>> {
  static constexpr auto kFields = std::make_tuple(field("state", &m::State<E>::state_type),
                                                  field("message", &m::State<E>::message),
                                                  field("details", &m::State<E>::details));
};

template <>
struct Table<m::RunCommandResult> {
  static constexpr auto kFields =
      std::make_tuple(field("stdout", &m::RunCommandResult::stdout_text),
                      field("stdout_truncated", &m::RunCommandResult::stdout_truncated),
                      field("stderr", &m::RunCommandResult::stderr_text),
                      field("stderr_truncated", &m::RunCommandResult::stderr_truncated),
                      field("exit_code", &m::RunCommandResult::exit_code),
                      field("error", &m::RunCommandResult::error_msg));
};

// The job snapshot is stored apart: the job store keeps jobs in their own table, and a compute
// node's record writes it beside the execution (LocalExecution below).
template <>
constexpr size_t kUnstoredMembers<m::Execution> = 1;

template <>
struct Table<m::Execution> {
  static constexpr auto kFields = std::make_tuple(
      field("id", &m::Execution::id), field("namespace", &m::Execution::ns),
      field("job_id", &m::Execution::job_id), field("eval_id", &m::Execution::eval_id),
      field("name", &m::Execution::name), field("node_id", &m::Execution::node_id),
      field("job_version", &m::Execution::job_version),
      field("allocated_resources", &m::Execution::allocated_resources),
      field("desired_state", &m::Execution::desired_state),
      field("compute_state", &m::Execution::compute_state),
      field("published_result", &m::Execution::published_result),
      field("run_output", &m::Execution::run_output),
      field("previous_execution", &m::Execution::previous_execution),
      field("next_execution", &m::Execution::next_execution),
      field("followup_eval_id", &m::Execution::followup_eval_id),
      field("partition_index", &m::Execution::partition_index),
      field("retryable", &m::Execution::retryable), field("revision", &m::Execution::revision),
      field("create_time", &m::Execution::create_time),
      field("modify_time", &m::Execution::modify_time));
};

template <>
struct Table<m::Evaluation> {
  static constexpr auto kFields = std::make_tuple(
      field("id", &m::Evaluation::id), field("namespace", &m::Evaluation::ns),
      field("job_id", &m::Evaluation::job_id), field("triggered_by", &m::Evaluation::triggered_by),
      field("priority", &m::Evaluation::priority), field("type", &m::Evaluation::type),
      field("status", &m::Evaluation::status), field("comment", &m::Evaluation::comment),
      field("wait_until", &m::Evaluation::wait_until),
      field("create_time", &m::Evaluation::create_time),
      field("modify_time", &m::Evaluation::modify_time));
};

template <>
struct Table<m::Event> {
  static constexpr auto kFields = std::make_tuple(
      field("message", &m::Event::message), field("topic", &m::Event::topic),
      field("timestamp", &m::Event::timestamp), field("details", &m::Event::details));
};

template <>
struct Table<m::JobHistory> {
  static constexpr auto kFields = std::make_tuple(
      field("seq", &m::JobHistory::seq_num), field("type", &m::JobHistory::type),
      field("job_id", &m::JobHistory::job_id), field("job_version", &m::JobHistory::job_version),
      field("execution_id", &m::JobHistory::execution_id), field("event", &m::JobHistory::event),
      field("time", &m::JobHistory::time));
};

template <>
struct Table<m::BuildVersionInfo> {
  static constexpr auto kFields = std::make_tuple(
      field("major", &m::BuildVersionInfo::major), field("minor", &m::BuildVersionInfo::minor),
      field("git_version", &m::BuildVersionInfo::git_version),
      field("git_commit", &m::BuildVersionInfo::git_commit),
      field("build_date", &m::BuildVersionInfo::build_date),
      field("goos", &m::BuildVersionInfo::goos), field("goarch", &m::BuildVersionInfo::goarch));
};

template <>
struct Table<m::InputCacheInfo> {
  static constexpr auto kFields = std::make_tuple(
      field("max_bytes", &m::InputCacheInfo::max_bytes), field("bytes", &m::InputCacheInfo::bytes),
      field("entries", &m::InputCacheInfo::entries), field("hits", &m::InputCacheInfo::hits),
      field("misses", &m::InputCacheInfo::misses), field("inputs", &m::InputCacheInfo::inputs));
};

template <>
struct Table<m::ComputeNodeInfo> {
  static constexpr auto kFields =
      std::make_tuple(field("engines", &m::ComputeNodeInfo::execution_engines),
                      field("publishers", &m::ComputeNodeInfo::publishers),
                      field("storages", &m::ComputeNodeInfo::storage_sources),
                      field("max_capacity", &m::ComputeNodeInfo::max_capacity),
                      field("queue_capacity", &m::ComputeNodeInfo::queue_capacity),
                      field("available_capacity", &m::ComputeNodeInfo::available_capacity),
                      field("max_job_requirements", &m::ComputeNodeInfo::max_job_requirements),
                      field("running", &m::ComputeNodeInfo::running_executions),
                      field("enqueued", &m::ComputeNodeInfo::enqueued_executions),
                      field("address", &m::ComputeNodeInfo::address),
                      field("input_cache", &m::ComputeNodeInfo::input_cache));
};

template <>
struct Table<m::NodeInfo> {
  static constexpr auto kFields = std::make_tuple(
      field("id", &m::NodeInfo::node_id), field("type", &m::NodeInfo::node_type),
      field("labels", &m::NodeInfo::labels), field("protocols", &m::NodeInfo::supported_protocols),
      field("compute", &m::NodeInfo::compute_node_info),
      field("version", &m::NodeInfo::bacalhau_version));
};

template <>
struct Table<m::ConnectionState> {
  static constexpr auto kFields = std::make_tuple(
      field("status", &m::ConnectionState::status),
      field("last_heartbeat", &m::ConnectionState::last_heartbeat),
      field("last_compute_seq", &m::ConnectionState::last_compute_seq_num),
      field("last_orchestrator_seq", &m::ConnectionState::last_orchestrator_seq_num),
      field("connected_since", &m::ConnectionState::connected_since),
      field("disconnected_since", &m::ConnectionState::disconnected_since),
      field("last_error", &m::ConnectionState::last_error));
};

template <>
struct Table<m::DrainState> {
  static constexpr auto kFields = std::make_tuple(field("draining", &m::DrainState::draining),
                                                  field("message", &m::DrainState::message),
                                                  field("since", &m::DrainState::since));
};

template <>
struct Table<m::NodeState> {
  static constexpr auto kFields = std::make_tuple(
      field("info", &m::NodeState::info), field("membership", &m::NodeState::membership),
      field("connection", &m::NodeState::connection_state), field("drain", &m::NodeState::drain));
};

template <>
struct Table<LocalExecution> {
  static constexpr auto kFields = std::make_tuple(
      field("execution", &LocalExecution::execution),
      field("resources", &LocalExecution::resources),
      field("bid_reason", &LocalExecution::bid_reason), field("result", &LocalExecution::result),
      field("published_result", &LocalExecution::published_result),
      field("error", &LocalExecution::error), field("error_code", &LocalExecution::error_code),
      field("hint", &LocalExecution::hint), field("retryable", &LocalExecution::retryable),
      field("updated", &LocalExecution::updated));
};

// The largest value of each stored enum (all start at 0): a stored number past it is refused, not
// cast into a value that code indexing by it has never seen.
template <typename E>
struct LastValue {
  static_assert(sizeof(E) == 0, "a stored enum needs its LastValue");
};
template <>
struct LastValue<m::NetworkType> {
  static constexpr auto kValue = m::NetworkType::kBridge;
};
template <>
struct LastValue<m::JobStateType> {
  static constexpr auto kValue = m::JobStateType::kStopped;
};
template <>
struct LastValue<m::ExecutionStateType> {
  static constexpr auto kValue = m::ExecutionStateType::kCancelled;
};
template <>
struct LastValue<m::ExecutionDesiredStateType> {
  static constexpr auto kValue = m::ExecutionDesiredStateType::kStopped;
};
template <>
struct LastValue<m::JobHistoryType> {
  static constexpr auto kValue = m::JobHistoryType::kExecutionLevel;
};

template <typename T>
struct IsVector : std::false_type {};
template <typename T>
struct IsVector<std::vector<T>> : std::true_type {};

template <typename T>
struct IsStringMap : std::false_type {};
template <typename V>
struct IsStringMap<std::map<std::string, V>> : std::true_type {};

// ---- encoding ----

template <typename S>
bj::object encodeStruct(const S& s);

template <typename T>
bj::value encodeValue(const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return bj::value(v);
  } else if constexpr (std::is_enum_v<T>) {
    return bj::value(static_cast<int64_t>(v));
  } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
    return bj::value(static_cast<int64_t>(v));
  } else if constexpr (std::is_integral_v<T>) {
    return bj::value(static_cast<uint64_t>(v));
  } else if constexpr (std::is_floating_point_v<T>) {
    return bj::value(static_cast<double>(v));
  } else if constexpr (std::is_same_v<T, std::string>) {
    return bj::value(bj::string_view(v));
  } else if constexpr (std::is_same_v<T, Time>) {
    return bj::value(toUnixNanos(v));
  } else if constexpr (std::is_same_v<T, bj::object>) {
    return bj::value(v);
  } else if constexpr (IsVector<T>::value) {
    bj::array a;
    a.reserve(v.size());
    for (const auto& x : v) a.push_back(encodeValue(x));
    return a;
  } else if constexpr (IsStringMap<T>::value) {
    bj::object o;
    o.reserve(v.size());
    for (const auto& [k, x] : v) o.emplace(k, encodeValue(x));
    return o;
  } else {
    return encodeStruct(v);
  }
}

template <typename S>
bj::object encodeStruct(const S& s) {
  static_assert(storesEveryMember<S>(),
                "a member of this model has no stored field: add it to its Table");
  static const S kDefaults{};
  bj::object o;
  std::apply(
      [&](const auto&... f) {
        // A member at its default is left out: decoding gives it back.
        ((s.*f.member == kDefaults.*f.member ? void()
                                             : void(o.emplace(f.name, encodeValue(s.*f.member)))),
         ...);
      },
      Table<S>::kFields);
  return o;
}

// ---- decoding ----

// Why a value did not decode, and where: the path grows as the failure unwinds.
struct Failure {
  std::string where;
  std::string what;

  bool fail(std::string why) {
    what = std::move(why);
    return false;
  }
  // Puts `segment` ("tasks", "[0]") in front of the path so far.
  void within(std::string_view segment) {
    if (where.empty() || where.front() == '[') {
      where.insert(0, segment);
    } else {
      where.insert(0, std::string(segment) + ".");
    }
  }
};

template <typename S>
bool decodeStruct(const bj::value& v, S& out, Failure& f);

// Free-form JSON (engine, publisher and source params) as JSON means it: a number is a number,
// whatever its form. The text form writes a whole double as an integer ("1", as Go does), so a
// whole double is read as that integer, and the value written is the value read back. A number
// that overflowed to infinity was never a value.
bool normalizeNumbers(bj::value& v, Failure& f) {
  if (auto* d = v.if_double()) {
    if (!std::isfinite(*d)) return f.fail("a number out of range");
    if (std::optional<int64_t> n = m::exactInt64(v)) {
      v = *n;
    } else if (*d > 0 && *d < 18446744073709551616.0 && *d == std::trunc(*d)) {
      v = static_cast<uint64_t>(*d);  // [2^63, 2^64): the text form reads back as a uint64
    }
  } else if (auto* a = v.if_array()) {
    for (size_t i = 0; i < a->size(); ++i) {
      if (!normalizeNumbers((*a)[i], f)) {
        f.within(fmt::format("[{}]", i));
        return false;
      }
    }
  } else if (auto* o = v.if_object()) {
    for (auto& kv : *o) {
      if (!normalizeNumbers(kv.value(), f)) {
        f.within(fmt::format("[{}]", std::string_view(kv.key())));
        return false;
      }
    }
  }
  return true;
}

template <typename T>
bool decodeValue(const bj::value& v, T& out, Failure& f) {
  if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_bool()) return f.fail("expected true or false");
    out = v.get_bool();
  } else if constexpr (std::is_enum_v<T> || std::is_same_v<T, Time> ||
                       (std::is_integral_v<T> && std::is_signed_v<T>)) {
    std::optional<int64_t> n = m::exactInt64(v);
    if (!n) return f.fail("expected an integer");
    if constexpr (std::is_enum_v<T>) {
      if (*n < 0 || *n > static_cast<int64_t>(LastValue<T>::kValue)) {
        return f.fail(fmt::format("{} is not a known value", *n));
      }
      out = static_cast<T>(*n);
    } else if constexpr (std::is_same_v<T, Time>) {
      out = fromUnixNanos(*n);
    } else {
      if (*n < std::numeric_limits<T>::min() || *n > std::numeric_limits<T>::max()) {
        return f.fail("integer out of range");
      }
      out = static_cast<T>(*n);
    }
  } else if constexpr (std::is_integral_v<T>) {
    uint64_t n = 0;
    if (v.is_uint64()) {
      n = v.get_uint64();
    } else if (v.is_int64() && v.get_int64() >= 0) {
      n = static_cast<uint64_t>(v.get_int64());
    } else {
      return f.fail("expected an integer ≥ 0");
    }
    if (n > std::numeric_limits<T>::max()) return f.fail("integer out of range");
    out = static_cast<T>(n);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (v.is_double()) {
      if (!std::isfinite(v.get_double())) return f.fail("a number out of range");
      out = static_cast<T>(v.get_double());
    } else if (v.is_int64()) {
      out = static_cast<T>(v.get_int64());
    } else if (v.is_uint64()) {
      out = static_cast<T>(v.get_uint64());
    } else {
      return f.fail("expected a number");
    }
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) return f.fail("expected a string");
    out.assign(v.get_string().data(), v.get_string().size());
  } else if constexpr (std::is_same_v<T, bj::object>) {
    if (!v.is_object()) return f.fail("expected an object");
    bj::value copy = v;
    if (!normalizeNumbers(copy, f)) return false;
    out = std::move(copy.get_object());
  } else if constexpr (IsVector<T>::value) {
    if (!v.is_array()) return f.fail("expected an array");
    const bj::array& a = v.get_array();
    out.clear();
    out.resize(a.size());
    for (size_t i = 0; i < a.size(); ++i) {
      if (!decodeValue(a[i], out[i], f)) {
        f.within(fmt::format("[{}]", i));
        return false;
      }
    }
  } else if constexpr (IsStringMap<T>::value) {
    if (!v.is_object()) return f.fail("expected an object");
    out.clear();
    for (const auto& kv : v.get_object()) {
      typename T::mapped_type x{};
      if (!decodeValue(kv.value(), x, f)) {
        f.within(fmt::format("[{}]", std::string_view(kv.key())));
        return false;
      }
      out.emplace(std::string(kv.key()), std::move(x));
    }
  } else {
    return decodeStruct(v, out, f);
  }
  return true;
}

template <typename S, typename T>
bool decodeField(const bj::object& o, const Field<S, T>& fl, S& out, Failure& f) {
  const bj::value* x = o.if_contains(fl.name);
  if (x == nullptr || x->is_null()) return true;  // absent: the member keeps its default
  if (decodeValue(*x, out.*fl.member, f)) return true;
  f.within(fl.name);
  return false;
}

template <typename S>
bool decodeStruct(const bj::value& v, S& out, Failure& f) {
  const bj::object* o = v.if_object();
  if (o == nullptr) return f.fail("expected an object");
  return std::apply([&](const auto&... fl) { return (decodeField(*o, fl, out, f) && ...); },
                    Table<S>::kFields);
}

Status unreadable(const char* what, const Failure& f) {
  return internalError(fmt::format("stored {} is unreadable{}: {}", what,
                                   f.where.empty() ? "" : " at " + f.where, f.what));
}

Result<bj::value> parse(std::string_view text, const char* what) {
  auto parsed = m::parseJson(text, m::InvalidUtf8::kRepair);
  if (!parsed.isOk()) {
    return internalError(
        fmt::format("stored {} is unreadable: {}", what, parsed.error().message()));
  }
  return parsed;
}

template <typename S>
Result<S> decodeRecord(std::string_view text, const char* what) {
  COD_ASSIGN_OR_RETURN(bj::value v, parse(text, what));
  S out{};
  Failure f;
  if (!decodeStruct(v, out, f)) return unreadable(what, f);
  return out;
}

template <typename S>
std::string encodeRecord(const S& s) {
  return m::serialize(encodeStruct(s));
}

}  // namespace

std::string encode(const models::Job& job) { return encodeRecord(job); }
std::string encode(const models::Execution& execution) { return encodeRecord(execution); }
std::string encode(const models::Evaluation& eval) { return encodeRecord(eval); }
std::string encode(const models::JobHistory& entry) { return encodeRecord(entry); }
std::string encode(const models::NodeState& node) { return encodeRecord(node); }

std::string encode(const LocalExecution& execution) {
  bj::object o = encodeStruct(execution);
  if (execution.execution.job != nullptr) o.emplace("job", encodeStruct(*execution.execution.job));
  return m::serialize(o);
}

Result<models::Job> decodeJob(std::string_view text) {
  return decodeRecord<models::Job>(text, "Job");
}
Result<models::Execution> decodeExecution(std::string_view text) {
  return decodeRecord<models::Execution>(text, "Execution");
}
Result<models::Evaluation> decodeEvaluation(std::string_view text) {
  return decodeRecord<models::Evaluation>(text, "Evaluation");
}
Result<models::JobHistory> decodeHistory(std::string_view text) {
  return decodeRecord<models::JobHistory>(text, "JobHistory");
}
Result<models::NodeState> decodeNode(std::string_view text) {
  return decodeRecord<models::NodeState>(text, "NodeState");
}

Result<LocalExecution> decodeLocalExecution(std::string_view text) {
  constexpr const char* kWhat = "execution";
  COD_ASSIGN_OR_RETURN(bj::value v, parse(text, kWhat));
  LocalExecution out;
  Failure f;
  if (!decodeStruct(v, out, f)) return unreadable(kWhat, f);
  if (const bj::value* j = v.get_object().if_contains("job"); j != nullptr && !j->is_null()) {
    models::Job job;
    if (!decodeStruct(*j, job, f)) {
      f.within("job");
      return unreadable(kWhat, f);
    }
    out.execution.job = std::make_shared<const models::Job>(std::move(job));
  }
  return out;
}

}  // namespace cod::store::records
