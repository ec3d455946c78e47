#pragma once

// `cod docker run [flags] IMAGE [COMMAND] [ARG...]`: builds a batch job with a docker engine and
// submits it (reference/bacalhau-api.md §5.4, §10.3).

#include <string>
#include <vector>

#include "cli/job_flags.h"
#include "common/status.h"
#include "models/job.h"

namespace cod::cli {

struct DockerRunFlags {
  JobFlags job;
  RunFlags run;
  std::vector<std::string> entrypoint;  // --entrypoint (repeatable, comma-separated)
  std::string workdir;                  // -w/--workdir, absolute
  std::vector<std::string> env;         // -e/--env K=V → EnvironmentVariables
  // IMAGE followed by the command; a "--" right after IMAGE is dropped.
  std::vector<std::string> image_and_command;
};

// The docker engine spec: Params Image, Entrypoint, Parameters, EnvironmentVariables,
// WorkingDirectory (unset lists as null, as Bacalhau's CLI sends them).
Result<models::SpecConfig> buildDockerEngine(const DockerRunFlags& flags);
// The whole job.
Result<models::Job> buildDockerJob(const DockerRunFlags& flags);

}  // namespace cod::cli
