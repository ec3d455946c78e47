#pragma once

// Job specs from files: YAML and JSON are loaded through the same decoder, so the same spec in
// either form yields the same Job (reference/bacalhau-api.md §12).

#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "common/status.h"
#include "models/job.h"

namespace cod::models {

// Detects JSON (first non-space character is `{`) or YAML and decodes a Job. An empty document is
// InvalidArgument "the job spec is empty". A wrapping {"Job": {...}} object is also accepted.
Result<Job> loadJobSpec(std::string_view text);

// YAML text → JSON value. Plain scalars become null/bool/int/double where they look like one,
// quoted scalars stay strings. Errors carry the YAML line and column.
Result<boost::json::value> yamlToJson(std::string_view text);

// JSON value → YAML text (block style), for `--output yaml` and `--dry-run`.
std::string jsonToYaml(const boost::json::value& v);

}  // namespace cod::models
