#pragma once

// Downloading published results (`cod job get`, `cod docker run --download`).

#include <string>

#include "api/client/api_client.h"
#include "cli/context.h"
#include "common/status.h"

namespace cod::cli {

struct DownloadOptions {
  std::string output_dir;  // "" = ./job-<id>
  bool raw = false;        // keep the raw downloads next to the merged results
};

// Downloads every result GET /jobs/:id/results lists and merges them into the output directory.
// Not written yet: returns Unimplemented.
Status downloadResults(CliContext& ctx, api::client::ApiClient& client, const std::string& job_id,
                       const DownloadOptions& options);

}  // namespace cod::cli
