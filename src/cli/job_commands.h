#pragma once

// Internal to src/cli: the job subcommands that also exist as top-level aliases
// (`cod create|list|describe|cancel`) are added by these functions, once under `cod job` and once
// at the root.

#include <string>

#include <CLI/CLI.hpp>

#include "cli/context.h"
#include "models/job.h"

namespace cod::cli {

CLI::App* addJobRunCommand(CLI::App* parent, CliContext& ctx, const std::string& name);
CLI::App* addJobListCommand(CLI::App* parent, CliContext& ctx, const std::string& name);
CLI::App* addJobDescribeCommand(CLI::App* parent, CliContext& ctx, const std::string& name);
CLI::App* addJobStopCommand(CLI::App* parent, CliContext& ctx, const std::string& name);

// Text for the human `job describe` view of a GetJobResponse (history and executions included).
std::string describeJobText(const models::Job& job, const std::vector<models::JobHistory>& history,
                            const std::vector<models::Execution>& executions,
                            const TableStyle& style);

}  // namespace cod::cli
