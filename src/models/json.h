#pragma once

// The Bacalhau-compatible JSON form of every model (reference/bacalhau-api.md §0 and §5).
//
// Encoding emits exactly Bacalhau's keys, in Go's field order, with its omitempty/null rules, job
// state as a string, execution states as integers, Job/Execution/Evaluation create/modify times as
// Unix nanoseconds and the other times as RFC 3339 strings (the zero Time{} prints as Go's zero
// time "0001-01-01T00:00:00Z").
//
// Decoding matches keys case-insensitively and ignores unknown keys. A value of the wrong type is
// an InvalidArgument error naming the field by its path from the root: "Job.Tasks[0].Resources.CPU:
// expected a string, got a number". A missing `Count` decodes as 1 (Bacalhau's default).

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "common/status.h"
#include "models/evaluation.h"
#include "models/execution.h"
#include "models/history.h"
#include "models/job.h"
#include "models/node.h"

namespace cod::models {

struct DecodeOptions {
  // Accept scalars of another type where a string or number is expected ("Memory: 1024",
  // "Count: '3'"). Set for YAML, whose plain scalars carry no type the author meant.
  bool lenient_scalars = false;
  // The path prefix used in error messages ("Job").
  std::string path = "Job";
};

boost::json::value toJson(const SpecConfig& v);
boost::json::value toJson(const Task& v);
boost::json::value toJson(const Job& v);
boost::json::value toJson(const Resources& v);
boost::json::value toJson(const RunCommandResult& v);
boost::json::value toJson(const Execution& v);
boost::json::value toJson(const Evaluation& v);
boost::json::value toJson(const JobHistory& v);
boost::json::value toJson(const NodeInfo& v);
boost::json::value toJson(const NodeState& v);
boost::json::value toJson(const BuildVersionInfo& v);
boost::json::value toJson(const LabelSelectorRequirement& v);
boost::json::value toJson(const Event& v);

Result<SpecConfig> specConfigFromJson(const boost::json::value& v, const DecodeOptions& opts = {});
Result<Job> jobFromJson(const boost::json::value& v, const DecodeOptions& opts = {});
Result<Resources> resourcesFromJson(const boost::json::value& v, const DecodeOptions& opts = {});
Result<Execution> executionFromJson(const boost::json::value& v, const DecodeOptions& opts = {});
Result<Evaluation> evaluationFromJson(const boost::json::value& v, const DecodeOptions& opts = {});
Result<JobHistory> jobHistoryFromJson(const boost::json::value& v, const DecodeOptions& opts = {});
Result<NodeInfo> nodeInfoFromJson(const boost::json::value& v, const DecodeOptions& opts = {});
Result<NodeState> nodeStateFromJson(const boost::json::value& v, const DecodeOptions& opts = {});
Result<BuildVersionInfo> buildVersionInfoFromJson(const boost::json::value& v,
                                                  const DecodeOptions& opts = {});
Result<Task> taskFromJson(const boost::json::value& v, const DecodeOptions& opts = {});
Result<InputSource> inputSourceFromJson(const boost::json::value& v,
                                        const DecodeOptions& opts = {});
Result<RunCommandResult> runCommandResultFromJson(const boost::json::value& v,
                                                  const DecodeOptions& opts = {});
Result<LabelSelectorRequirement> labelSelectorRequirementFromJson(const boost::json::value& v,
                                                                  const DecodeOptions& opts = {});
Result<Event> eventFromJson(const boost::json::value& v, const DecodeOptions& opts = {});
// Each decoder other than jobFromJson names its own type in error paths ("Execution.JobID") when
// DecodeOptions::path is left at its default. Decoding `null` itself is an error ("expected an
// object"); inside an object, `null` is the same as an absent key.

// What parseJson does with bytes that are not UTF-8: refuse the text (input from clients and
// peers), or keep the value with each bad byte replaced by U+FFFD (records cod stored itself, so
// that one bad string never makes a job unreadable).
enum class InvalidUtf8 { kReject, kRepair };
// Parses JSON text; a syntax error is InvalidArgument with the position ("invalid JSON at line 3,
// column 7: …"). `max_memory` (0 = no limit) bounds what the tree may take while it is built:
// ResourceExhausted past it. Text from clients is bounded: a 10 MiB body of "[0,0,…]" would be
// ~90 MiB as a tree.
Result<boost::json::value> parseJson(std::string_view text,
                                     InvalidUtf8 invalid_utf8 = InvalidUtf8::kReject,
                                     size_t max_memory = 0);
// Compact serialisation. Strings that are not UTF-8 are written with U+FFFD in place of each bad
// byte, so the output is always valid JSON that parseJson reads back.
std::string serialize(const boost::json::value& v);
// Indented serialisation (2 spaces), for humans.
std::string serializePretty(const boost::json::value& v);

// Case-insensitive lookup of `key` in an object; nullptr when absent.
const boost::json::value* findKey(const boost::json::object& obj, std::string_view key);

// The value as an int64 when it is a number that is one exactly (3, 3.0, a uint64 up to
// INT64_MAX); nullopt otherwise (a string, 1.5, 1e30, 2^63). boost::json's to_number<int64_t>
// throws for those, and a number from a peer or a job spec must never throw.
std::optional<int64_t> exactInt64(const boost::json::value& v);

}  // namespace cod::models
