#pragma once

// Printing a job's logs from the logs WebSocket (reference/bacalhau-api.md §3, §10.4): used by
// `cod job logs` and by the run commands' --follow.

#include <string>

#include "api/client/api_client.h"
#include "cli/context.h"
#include "common/status.h"

namespace cod::cli {

// Streams the logs to the context's streams, verbatim and as they come: stdout lines to stdout,
// stderr lines to stderr (a line of unknown type to stdout). OK when the server ends the stream
// normally; the server's error frame, or a broken connection, is the error.
Status printJobLogs(CliContext& ctx, api::client::ApiClient& client, const std::string& job_id,
                    const api::client::LogsOptions& options);

}  // namespace cod::cli
