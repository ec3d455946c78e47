#pragma once

// Downloading published results (`cod job get`, `cod docker run --download`), reference §10.5:
// every result GET /jobs/:id/results lists is downloaded into <out>/raw/, archives are unpacked,
// and everything is merged into <out>/: `stdout`, `stderr` and `exitCode` (appended to when there
// are several results) and one folder per ResultPath. Any other name that two results both
// contain stops the merge ("… Try --raw"). raw/ is removed unless --raw.

#include <string>

#include "api/client/api_client.h"
#include "cli/context.h"
#include "common/status.h"

namespace cod::cli {

struct DownloadOptions {
  std::string output_dir;  // "" = ./job-<short id>
  bool raw = false;        // keep the raw downloads next to the merged results
  int timeout_secs = 300;  // per download
  // The IPFS node `ipfs` results are fetched through ("" = $COD_IPFS_CONNECT, then
  // $BACALHAU_IPFS_CONNECT).
  std::string ipfs_connect;
};

// Defaults, but for where the results go.
DownloadOptions downloadOptions(std::string output_dir);

// Returns the folder the results were merged into.
Result<std::string> downloadResults(CliContext& ctx, api::client::ApiClient& client,
                                    const std::string& job_id, const DownloadOptions& options);

// `cod job get` (and its alias `cod get`).
CLI::App* addJobGetCommand(CLI::App* parent, CliContext& ctx, const std::string& name);

}  // namespace cod::cli
