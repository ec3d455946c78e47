#include "cli/wasm_commands.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

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

constexpr const char* kEntryTarget = "main.wasm";
constexpr const char* kUrlTarget = "/wasm";

struct Module {
  std::string path;                           // as the engine's Params name it
  std::optional<models::InputSource> source;  // the input that brings it, unless one exists
};

bool providedBy(const std::vector<models::InputSource>& inputs, const std::string& path) {
  std::string guest = models::guestPath(path);
  for (const auto& in : inputs) {
    std::string target = models::guestPath(in.target);
    if (isWithin(guest, target)) return true;
  }
  return false;
}

// The last segment of a URL's path ("m.wasm" of https://h/a/m.wasm?x=1), or "file".
std::string urlFileName(std::string_view url) {
  std::string_view rest = url.substr(url.find("://") + 3);
  rest = rest.substr(0, rest.find_first_of("?#"));
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return "file";
  std::string_view path = rest.substr(slash);
  std::string_view name = path.substr(path.rfind('/') + 1);
  return name.empty() ? "file" : std::string(name);
}

Result<Module> resolveModule(const std::string& flag, const std::string& value,
                             const std::string& default_target,
                             const std::vector<models::InputSource>& inputs) {
  auto fail = [&](const std::string& problem) -> Status {
    return invalidArgument(flag + " '" + value + "': " + problem);
  };
  std::string lower = toLower(value);
  if (startsWith(lower, "ipfs://") || startsWith(lower, "http://") ||
      startsWith(lower, "https://")) {
    COD_ASSIGN_OR_RETURN(auto parsed, parseInputs({value}));
    models::InputSource in = std::move(parsed.front());
    bool ipfs = startsWith(lower, "ipfs://");
    // A download lands in a folder, under the URL's file name; a CID is the file itself.
    in.target = ipfs ? default_target : kUrlTarget;
    std::string path = ipfs ? default_target : std::string(kUrlTarget) + "/" + urlFileName(value);
    return Module{path, std::move(in)};
  }
  if (lower.find("://") != std::string::npos) {
    return fail(
        "a module comes from a local file, ipfs://CID or an http(s) URL; for other sources add it "
        "with -i (e.g. -i s3://bucket/m.wasm,dst=/wasm) and name its path here");
  }
  if (providedBy(inputs, value)) return Module{value, std::nullopt};
  std::string file = value;
  std::string target = default_target;
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    size_t colon = value.rfind(':');
    if (colon == std::string::npos || colon == 0 || !fs::exists(value.substr(0, colon), ec)) {
      return fail("no such file on this machine, and no -i input provides that path");
    }
    file = value.substr(0, colon);
    target = value.substr(colon + 1);
    if (target.empty()) return fail("the target after ':' is empty");
  }
  if (!fs::is_regular_file(file, ec)) return fail("is not a file");
  uint64_t size = fs::file_size(file, ec);
  if (size > kInlineMaxBytes) {
    return fail("is " + std::to_string(size) + " bytes, more than the " +
                std::to_string(kInlineMaxBytes / (size_t{1024} * 1024)) +
                " MiB that can travel inside a job; put it on IPFS or a web server and give "
                "that URL instead");
  }
  std::ifstream in(file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.compare(0, 4, std::string("\0asm", 4)) != 0) {
    return fail("is not a WebAssembly module (it does not start with \\0asm)");
  }
  models::InputSource source;
  source.source.type = "inline";
  // A single file, never a tar.gz: the inline source unpacks only application/gzip.
  source.source.params["URL"] = "data:application/wasm;base64," + base64Encode(bytes);
  source.target = target;
  return Module{target, std::move(source)};
}

}  // namespace

Result<models::Job> buildWasmJob(const WasmRunFlags& flags) {
  const auto& args = flags.module_and_args;
  if (args.empty() || trim(args.front()).empty()) {
    return invalidArgument("wasm run needs a MODULE: cod wasm run [flags] MODULE [ARG...]");
  }
  if (startsWith(args.front(), "-")) {
    return invalidArgument("unknown flag '" + args.front() + "' before the module");
  }
  std::vector<std::string> parameters(args.begin() + 1, args.end());
  if (!parameters.empty() && parameters.front() == "--") parameters.erase(parameters.begin());

  models::SpecConfig engine;
  engine.type = models::kWasmEngine;
  COD_ASSIGN_OR_RETURN(models::Job job, buildJob(flags.job, engine));
  models::Task& task = job.task();
  COD_ASSIGN_OR_RETURN(task.env, parseEnvFlags(flags.env));

  std::vector<Module> modules;
  COD_ASSIGN_OR_RETURN(Module entry,
                       resolveModule("MODULE", args.front(), kEntryTarget, task.input_sources));
  modules.push_back(std::move(entry));
  for (const std::string& item : splitCommaList(flags.import_modules)) {
    COD_ASSIGN_OR_RETURN(Module m,
                         resolveModule("--import-modules", item, fs::path(item).filename().string(),
                                       task.input_sources));
    modules.push_back(std::move(m));
  }
  bj::array imports;
  for (size_t i = 0; i < modules.size(); ++i) {
    if (i > 0) imports.emplace_back(modules[i].path);
    if (modules[i].source) task.input_sources.push_back(std::move(*modules[i].source));
  }
  task.engine.params["EntryModule"] = modules.front().path;
  task.engine.params["Entrypoint"] = flags.entry_point.empty() ? "_start" : flags.entry_point;
  bj::array params;
  for (const auto& p : parameters) params.emplace_back(p);
  task.engine.params["Parameters"] = std::move(params);
  task.engine.params["ImportModules"] = std::move(imports);
  return job;
}

void registerWasmCommands(CLI::App& root, CliContext& ctx) {
  CLI::App* wasm = root.add_subcommand("wasm", "Run WebAssembly jobs");
  auto flags = std::make_shared<WasmRunFlags>();
  CLI::App* run = wasm->add_subcommand(
      "run",
      "Run a WASI module as a job: cod wasm run [flags] MODULE [ARG...]\n"
      "MODULE is a local file (sent with the job; path:target to name where it goes), ipfs://CID,\n"
      "an http(s) URL, or a path an -i input provides. Everything after MODULE (or after --) is\n"
      "passed to the module.");
  run->positionals_at_end();
  run->add_option("MODULE", flags->module_and_args, "MODULE [ARG...]")->required();
  addJobFlags(run, &flags->job);
  addRunFlags(run, &flags->run, /*with_download=*/true);
  run->add_option("-I,--import-modules", flags->import_modules,
                  "A module whose exports the entry module imports, registered under its path "
                  "(repeatable, comma-separated; same forms as MODULE)")
      ->allow_extra_args(false)
      ->group("WebAssembly");
  run->add_option("--entry-point", flags->entry_point, "The exported function to run")
      ->capture_default_str()
      ->group("WebAssembly");
  run->add_option("-e,--env", flags->env, "Environment variable NAME=value (repeatable)")
      ->allow_extra_args(false)
      ->group("WebAssembly");
  onRun(run, ctx, [&ctx, flags]() -> Status {
    COD_ASSIGN_OR_RETURN(models::Job job, buildWasmJob(*flags));
    return submitAndFollow(ctx, job, flags->run);
  });
}

}  // namespace cod::cli
