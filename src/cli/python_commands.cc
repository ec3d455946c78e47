#include "cli/python_commands.h"

#include <filesystem>
#include <memory>

#include <boost/json/array.hpp>

#include "cli/context.h"
#include "cli/input_flags.h"
#include "cli/job_follow.h"
#include "common/paths.h"
#include "common/strings.h"
#include "models/wasm_params.h"

namespace cod::cli {

namespace {

namespace bj = boost::json;
namespace fs = std::filesystem;

// Runs as `sh -c SCRIPT cod-python REQUIREMENTS PYTHON-ARGS...`: no spec string is ever part of
// the shell text, they all arrive as positional parameters.
// Images without a `python` command (Debian's, without python-is-python3) get python3.
constexpr const char* kDockerScript =
    "py=python; command -v python >/dev/null 2>&1 || py=python3; "
    "req=$1; shift; "
    "if [ -n \"$req\" ]; then "
    "\"$py\" -m pip install --no-input --disable-pip-version-check -q -r \"$req\" || "
    "{ echo \"cod: pip could not install $req (jobs have no network unless run with "
    "--network full; a wheel in the context folder needs none)\" >&2; exit 1; }; "
    "fi; "
    "exec \"$py\" \"$@\"";

// A path inside the context folder, as the task sees it ("/code/main.py"); refuses paths that
// are absolute or climb out.
Result<std::string> inContext(const std::string& flag, const std::string& context,
                              const std::string& file) {
  if (file.empty() || file.front() == '/') {
    return invalidArgument(flag + " '" + file + "' must be a path inside the context folder (" +
                           context + "), like main.py");
  }
  std::string guest = std::string(kPythonContextTarget) + "/" + file;
  if (std::string problem = containerPathProblem(models::guestPath(guest)); !problem.empty()) {
    return invalidArgument(flag + " '" + file + "' " + problem);
  }
  std::error_code ec;
  if (!fs::is_regular_file(fs::path(context) / file, ec)) {
    return invalidArgument(flag + " '" + file + "': no such file in the context folder " + context +
                           " (--context-path)");
  }
  return models::guestPath(guest);
}

}  // namespace

Result<models::Job> buildPythonJob(const PythonRunFlags& flags) {
  std::vector<std::string> args = flags.script_and_args;
  if (!args.empty() && args.front() == "--") args.erase(args.begin());
  std::string script;
  if (flags.command.empty()) {
    if (args.empty()) {
      return invalidArgument(
          "run python needs a program: cod run python -c CODE [ARG...] or cod run python "
          "SCRIPT [ARG...]");
    }
    script = args.front();
    args.erase(args.begin());
    if (startsWith(script, "-")) return invalidArgument("unknown flag '" + script + "'");
  }
  bool send_context = !script.empty() || !flags.requirement.empty() || !flags.context_path.empty();
  std::string context = flags.context_path.empty() ? "." : flags.context_path;

  std::string program;
  std::string requirements;
  if (!script.empty()) {
    COD_ASSIGN_OR_RETURN(program, inContext("SCRIPT", context, script));
  }
  if (!flags.requirement.empty()) {
    COD_ASSIGN_OR_RETURN(requirements, inContext("--requirement", context, flags.requirement));
  }

  models::SpecConfig engine;
  if (flags.deterministic) {
    engine.type = models::kPythonEngine;
    if (program.empty()) {
      engine.params["Command"] = flags.command;
    } else {
      engine.params["Program"] = program;
    }
    bj::array parameters;
    for (const auto& a : args) parameters.emplace_back(a);
    engine.params["Parameters"] = std::move(parameters);
    if (!requirements.empty()) engine.params["Requirements"] = requirements;
    if (send_context) engine.params["WorkingDirectory"] = kPythonContextTarget;
  } else {
    if (trim(flags.image).empty()) return invalidArgument("--image must name a Docker image");
    engine.type = "docker";
    engine.params["Image"] = std::string(trim(flags.image));
    engine.params["Entrypoint"] = bj::array{"/bin/sh", "-c"};
    bj::array parameters = {kDockerScript, "cod-python", requirements};
    if (program.empty()) {
      parameters.emplace_back("-c");
      parameters.emplace_back(flags.command);
    } else {
      parameters.emplace_back(program);
    }
    for (const auto& a : args) parameters.emplace_back(a);
    engine.params["Parameters"] = std::move(parameters);
    engine.params["EnvironmentVariables"] = nullptr;
    engine.params["WorkingDirectory"] = send_context ? kPythonContextTarget : "";
  }
  COD_ASSIGN_OR_RETURN(models::Job job, buildJob(flags.job, std::move(engine)));
  models::Task& task = job.task();
  COD_ASSIGN_OR_RETURN(task.env, parseEnvFlags(flags.env));
  if (send_context) {
    std::error_code ec;
    if (!fs::is_directory(context, ec)) {
      return invalidArgument("--context-path '" + context + "' is not a folder on this machine");
    }
    auto inputs = parseInputs({"src=" + context + ",dst=" + kPythonContextTarget});
    if (!inputs.isOk()) return Status(inputs.status()).prepend("--context-path");
    task.input_sources.push_back(std::move(inputs->front()));
  }
  return job;
}

void registerPythonCommands(CLI::App& root, CliContext& ctx) {
  CLI::App* run_group = root.add_subcommand("run", "Run programs in a language as jobs");
  auto flags = std::make_shared<PythonRunFlags>();
  CLI::App* run = run_group->add_subcommand(
      "python",
      "Run a Python program as a job: cod run python [flags] (-c CODE | SCRIPT) [ARG...]\n"
      "By default the program runs deterministically (CPython in WebAssembly, the standard\n"
      "library only): the same program and inputs give the same bytes on every node.");
  run->positionals_at_end();
  run->add_option("SCRIPT", flags->script_and_args, "SCRIPT [ARG...] (or ARG... after -c)");
  addJobFlags(run, &flags->job, /*short_concurrency=*/false);
  addRunFlags(run, &flags->run, /*with_download=*/true);
  const std::string group = "Python";
  run->add_option("-c,--command", flags->command, "The program's code, as in python -c")
      ->group(group);
  run->add_option("--context-path", flags->context_path,
                  "A folder sent with the job (at most 10 MiB compressed) and mounted at /code, "
                  "the working directory (default . when a SCRIPT or -r is given)")
      ->group(group);
  run->add_option("-r,--requirement", flags->requirement,
                  "A requirements.txt in the context folder")
      ->group(group);
  run->add_flag("--deterministic,!--no-deterministic", flags->deterministic,
                "Run in the deterministic WebAssembly interpreter (default); "
                "--deterministic=false runs a Docker job on --image")
      ->group(group);
  run->add_option("--image", flags->image, "The Docker image for --deterministic=false")
      ->capture_default_str()
      ->group(group);
  run->add_option("-e,--env", flags->env, "Environment variable NAME=value (repeatable)")
      ->allow_extra_args(false)
      ->group(group);
  onRun(run, ctx, [&ctx, flags]() -> Status {
    COD_ASSIGN_OR_RETURN(models::Job job, buildPythonJob(*flags));
    return submitAndFollow(ctx, job, flags->run);
  });
}

}  // namespace cod::cli
