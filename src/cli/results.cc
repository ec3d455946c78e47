#include "cli/results.h"

namespace cod::cli {

Status downloadResults(CliContext& /*ctx*/, api::client::ApiClient& /*client*/,
                       const std::string& job_id, const DownloadOptions& /*options*/) {
  return unimplemented("result download arrives with `cod job get` (job " + job_id +
                       " finished; its results stay with its publisher)");
}

}  // namespace cod::cli
