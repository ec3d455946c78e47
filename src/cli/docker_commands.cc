#include "cli/docker_commands.h"

#include <memory>

#include <boost/json/array.hpp>

#include "cli/context.h"
#include "cli/job_follow.h"
#include "common/strings.h"

namespace cod::cli {

namespace {

namespace bj = boost::json;

bj::value listOrNull(const std::vector<std::string>& items) {
  if (items.empty()) return nullptr;
  bj::array arr;
  for (const auto& s : items) arr.emplace_back(s);
  return arr;
}

}  // namespace

Result<models::SpecConfig> buildDockerEngine(const DockerRunFlags& flags) {
  const auto& args = flags.image_and_command;
  if (args.empty() || trim(args.front()).empty()) {
    return invalidArgument("docker run needs an IMAGE: cod docker run [flags] IMAGE [COMMAND]");
  }
  if (startsWith(args.front(), "-")) {
    return invalidArgument("unknown flag '" + args.front() + "' before the image");
  }
  std::vector<std::string> parameters(args.begin() + 1, args.end());
  if (!parameters.empty() && parameters.front() == "--") parameters.erase(parameters.begin());
  for (const auto& e : flags.env) COD_RETURN_IF_ERROR(checkEnvFlag(e));
  if (!flags.workdir.empty() && flags.workdir.front() != '/') {
    return invalidArgument("--workdir: '" + flags.workdir + "' must be an absolute path");
  }
  models::SpecConfig engine;
  engine.type = "docker";
  engine.params["Image"] = std::string(trim(args.front()));
  engine.params["Entrypoint"] = listOrNull(splitCommaList(flags.entrypoint));
  bj::array params;
  for (const auto& p : parameters) params.emplace_back(p);
  engine.params["Parameters"] = std::move(params);
  engine.params["EnvironmentVariables"] = listOrNull(flags.env);
  engine.params["WorkingDirectory"] = flags.workdir;
  return engine;
}

Result<models::Job> buildDockerJob(const DockerRunFlags& flags) {
  COD_ASSIGN_OR_RETURN(models::SpecConfig engine, buildDockerEngine(flags));
  return buildJob(flags.job, std::move(engine));
}

void registerDockerCommands(CLI::App& root, CliContext& ctx) {
  CLI::App* docker = root.add_subcommand("docker", "Run Docker jobs");
  auto flags = std::make_shared<DockerRunFlags>();
  CLI::App* run = docker->add_subcommand(
      "run",
      "Run a Docker image as a job: cod docker run [flags] IMAGE [COMMAND] [ARG...]\n"
      "Everything after IMAGE (or after --) is the command.");
  // Once IMAGE is seen every further argument is part of the command, even "-c".
  run->positionals_at_end();
  run->add_option("IMAGE", flags->image_and_command, "IMAGE [COMMAND] [ARG...]")->required();
  addJobFlags(run, &flags->job);
  addRunFlags(run, &flags->run, /*with_download=*/true);
  run->add_option("-w,--workdir", flags->workdir, "Working directory inside the container")
      ->group("Docker");
  run->add_option("--entrypoint", flags->entrypoint,
                  "Override the image's entrypoint (repeatable, comma-separated)")
      ->allow_extra_args(false)
      ->group("Docker");
  run->add_option("-e,--env", flags->env, "Environment variable NAME=value (repeatable)")
      ->allow_extra_args(false)
      ->group("Docker");
  onRun(run, ctx, [&ctx, flags]() -> Status {
    COD_ASSIGN_OR_RETURN(models::Job job, buildDockerJob(*flags));
    return submitAndFollow(ctx, job, flags->run);
  });
}

}  // namespace cod::cli
