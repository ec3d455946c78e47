#pragma once

// -i/--input (reference/bacalhau-api.md §10.3), one input per flag value:
//   URI                      ipfs://CID, http(s)://…, s3://bucket/key, file:///host/path (a `local`
//                            source on the compute node), data:… (inline); target /inputs
//   src=URI,dst=/path,opt=k=v,…
//                            s3 opts: region, endpoint, version-id, checksum-256, filter;
//                            file opts: rw=true
// Beyond Bacalhau: a plain path with no scheme (./data, /tmp/x.csv) is a file or folder on this
// machine, sent inline — a file of at most kInlineRawLimit bytes as itself, anything larger (and
// every folder) as a tar.gz — and refused past kInlineMaxBytes.

#include <string>
#include <vector>

#include "common/status.h"
#include "models/job.h"

namespace cod::cli {

inline constexpr size_t kInlineRawLimit = 512;
inline constexpr size_t kInlineMaxBytes = size_t{10} * 1024 * 1024;

Result<std::vector<models::InputSource>> parseInputs(const std::vector<std::string>& values);

}  // namespace cod::cli
