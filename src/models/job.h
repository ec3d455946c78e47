#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "models/resources.h"

namespace cod::models {

using StringMap = std::map<std::string, std::string>;

inline constexpr const char* kJobTypeBatch = "batch";
inline constexpr const char* kJobTypeOps = "ops";
inline constexpr const char* kJobTypeService = "service";
inline constexpr const char* kJobTypeDaemon = "daemon";

// The four job types (reference §7). Job::type stays the wire string; code branches on this.
enum class JobType { kBatch, kService, kOps, kDaemon };
inline constexpr size_t kJobTypeCount = 4;
// "batch", "service", "ops", "daemon".
const char* jobTypeName(JobType t);
// Exact, lower-case names as normalizeJob leaves them; nullopt for anything else.
std::optional<JobType> parseJobType(std::string_view name);
inline constexpr const char* kDefaultNamespace = "default";
// Meta keys with this prefix are reserved for the server.
inline constexpr const char* kReservedMetaPrefix = "bacalhau.org/";

// {"Type":"docker","Params":{…}}: an engine, publisher or storage source with free-form params.
// Type is compared case-insensitively and trimmed.
struct SpecConfig {
  std::string type;
  boost::json::object params;
  bool isEmpty() const { return type.empty(); }
  bool operator==(const SpecConfig&) const = default;
};

struct InputSource {
  SpecConfig source;
  std::string alias;
  std::string target;  // absolute path inside the task
  bool operator==(const InputSource&) const = default;
};

struct ResultPath {
  std::string name;  // top-level folder name in the results
  std::string path;  // absolute path inside the task
  bool operator==(const ResultPath&) const = default;
};

enum class NetworkType { kDefault = 0, kNone = 1, kHost = 2, kFull = 3, kHttp = 4, kBridge = 5 };
std::string networkTypeName(NetworkType t);  // "Default", "None", "Host", "Full", "HTTP", "Bridge"
// Case-insensitive; false for an unknown name.
bool parseNetworkType(std::string_view name, NetworkType* out);

struct Port {
  std::string name;
  int64_t static_port = 0;  // JSON "Static"
  int64_t target = 0;
  std::string host_network;
  bool operator==(const Port&) const = default;
};

struct NetworkConfig {
  NetworkType type = NetworkType::kDefault;
  std::vector<std::string> domains;
  std::vector<Port> ports;
  bool operator==(const NetworkConfig&) const = default;
};

// All in seconds; 0 = not set.
struct TimeoutConfig {
  int64_t execution_timeout = 0;
  int64_t queue_timeout = 0;
  int64_t total_timeout = 0;
  bool operator==(const TimeoutConfig&) const = default;
};

struct Task {
  std::string name;
  SpecConfig engine;
  SpecConfig publisher;
  StringMap env;
  StringMap meta;
  std::vector<InputSource> input_sources;
  std::vector<ResultPath> result_paths;
  ResourcesConfig resources;
  NetworkConfig network;
  TimeoutConfig timeouts;
  bool operator==(const Task&) const = default;
};

// Kubernetes-style selector requirement. Operator is one of "=", "==", "!=", "in", "notin",
// "exists", "!", "gt", "lt".
struct LabelSelectorRequirement {
  std::string key;
  std::string op;  // JSON "Operator"
  std::vector<std::string> values;
  bool operator==(const LabelSelectorRequirement&) const = default;
};

enum class JobStateType {
  kUndefined = 0,
  kPending = 1,
  kQueued = 2,
  kRunning = 3,
  kCompleted = 4,
  kFailed = 5,
  kStopped = 6,
};
std::string jobStateName(JobStateType t);  // "Pending", …
// Case-insensitive; unknown → kUndefined.
JobStateType parseJobState(std::string_view name);
bool isTerminal(JobStateType t);

struct JobState {
  JobStateType state_type = JobStateType::kUndefined;
  std::string message;
  StringMap details;
  bool operator==(const JobState&) const = default;
};

struct Job {
  std::string id;
  std::string name;
  std::string ns;  // JSON "Namespace"
  std::string type;
  int64_t priority = 0;
  int64_t count = 0;
  std::vector<LabelSelectorRequirement> constraints;
  StringMap meta;
  StringMap labels;
  std::vector<Task> tasks;
  JobState state;
  uint64_t version = 0;
  uint64_t revision = 0;
  int64_t create_time = 0;  // Unix ns
  int64_t modify_time = 0;  // Unix ns

  // The one task cod runs (Bacalhau uses only the first). Precondition: !tasks.empty().
  const Task& task() const { return tasks.front(); }
  Task& task() { return tasks.front(); }
  // The type; a stored job always has a valid one (validateJob), anything else reads as batch.
  JobType jobType() const { return parseJobType(type).value_or(JobType::kBatch); }
  // Batch and service jobs have Count partitions or replicas; ops and daemon run once per node.
  bool hasCount() const { return jobType() == JobType::kBatch || jobType() == JobType::kService; }
  // Service and daemon jobs run until stopped, and are exempt from timeouts.
  bool isLongRunning() const {
    return jobType() == JobType::kService || jobType() == JobType::kDaemon;
  }
  bool operator==(const Job&) const = default;
};

}  // namespace cod::models
