#include "models/wasm_params.h"

#include "common/paths.h"
#include "common/strings.h"
#include "models/json.h"

namespace cod::models {
namespace {

namespace bj = boost::json;

constexpr size_t kMaxEntrypoint = 256;
constexpr const char* kParams = "Engine.Params.";

Status readStrings(const bj::object& params, std::string_view key, std::vector<std::string>* out) {
  const bj::value* v = findKey(params, key);
  if (v == nullptr || v->is_null()) return Status::ok();
  std::string field = kParams + std::string(key);
  if (!v->is_array()) return invalidArgument(field + ": expected a list of strings");
  for (size_t i = 0; i < v->as_array().size(); ++i) {
    const bj::value& item = v->as_array()[i];
    if (!item.is_string()) {
      return invalidArgument(field + "[" + std::to_string(i) + "]: expected a string");
    }
    if (item.as_string().find('\0') != bj::string::npos) {
      return invalidArgument(field + "[" + std::to_string(i) + "]: must not contain a NUL");
    }
    out->emplace_back(item.as_string());
  }
  return Status::ok();
}

// A module's (or program's) path: a plain guest path that an input provides.
Result<std::string> modulePath(const Task& task, const std::string& field, std::string_view value) {
  if (trim(value).empty()) {
    return invalidArgument(field +
                           ": must name a path, the Target of an InputSource "
                           "(like \"main.wasm\")");
  }
  std::string guest = guestPath(value);
  if (std::string problem = containerPathProblem(guest); !problem.empty()) {
    return invalidArgument(field + ": " + quoted(value) + " " + problem);
  }
  for (const InputSource& in : task.input_sources) {
    if (!in.target.empty() && isWithin(guest, guestPath(in.target))) return guest;
  }
  return invalidArgument(field + ": " + quoted(value) +
                         " is not provided by any InputSource; add an input whose Target is " +
                         quoted(value) +
                         " (cod wasm run and cod run python do this for local "
                         "files)");
}

bool isExportName(std::string_view name) {
  if (name.empty() || name.size() > kMaxEntrypoint) return false;
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

bool engineAcceptsRelativePaths(std::string_view engine_type) {
  return equalsIgnoreCase(trim(engine_type), kWasmEngine) ||
         equalsIgnoreCase(trim(engine_type), kPythonEngine);
}

std::string guestPath(std::string_view path) {
  std::string out;
  for (const std::string& segment : split(path, '/')) {
    if (!segment.empty()) out += "/" + segment;
  }
  return out.empty() ? "/" : out;
}

Result<WasmParams> parseWasmParams(const Task& task) {
  const bj::object& params = task.engine.params;
  WasmParams p;
  const bj::value* entry = findKey(params, "EntryModule");
  if (entry == nullptr || entry->is_null()) {
    return invalidArgument(std::string(kParams) +
                           "EntryModule: is required; name the module's path (the Target of an "
                           "InputSource holding it, like \"main.wasm\")");
  }
  if (!entry->is_string()) {
    return invalidArgument(std::string(kParams) + "EntryModule: expected a path, got " +
                           (entry->is_object() ? "an object (the legacy format, rewritten only "
                                                 "at submit)"
                                               : "another kind of value"));
  }
  COD_ASSIGN_OR_RETURN(p.entry_module, modulePath(task, std::string(kParams) + "EntryModule",
                                                  std::string(entry->as_string())));
  if (const bj::value* e = findKey(params, "Entrypoint"); e != nullptr && !e->is_null()) {
    if (!e->is_string())
      return invalidArgument(std::string(kParams) + "Entrypoint: expected a string");
    std::string name(e->as_string());
    if (!name.empty()) {
      if (!isExportName(name)) {
        return invalidArgument(std::string(kParams) + "Entrypoint: " + quoted(name) +
                               " is not an export name (1 to 256 printable characters)");
      }
      p.entrypoint = name;
    }
  }
  COD_RETURN_IF_ERROR(readStrings(params, "Parameters", &p.parameters));
  std::vector<std::string> imports;
  COD_RETURN_IF_ERROR(readStrings(params, "ImportModules", &imports));
  for (size_t i = 0; i < imports.size(); ++i) {
    COD_ASSIGN_OR_RETURN(
        std::string guest,
        modulePath(task, std::string(kParams) + "ImportModules[" + std::to_string(i) + "]",
                   imports[i]));
    p.import_modules.push_back(std::move(guest));
  }
  return p;
}

Result<PythonParams> parsePythonParams(const Task& task) {
  const bj::object& params = task.engine.params;
  PythonParams p;
  auto string_param = [&params](std::string_view key, std::string* out) -> Status {
    const bj::value* v = findKey(params, key);
    if (v == nullptr || v->is_null()) return Status::ok();
    if (!v->is_string()) return invalidArgument(kParams + std::string(key) + ": expected a string");
    if (v->as_string().find('\0') != bj::string::npos) {
      return invalidArgument(kParams + std::string(key) + ": must not contain a NUL");
    }
    *out = std::string(v->as_string());
    return Status::ok();
  };
  std::string program;
  std::string requirements;
  std::string working_directory;
  COD_RETURN_IF_ERROR(string_param("Command", &p.command));
  COD_RETURN_IF_ERROR(string_param("Program", &program));
  COD_RETURN_IF_ERROR(string_param("Requirements", &requirements));
  COD_RETURN_IF_ERROR(string_param("WorkingDirectory", &working_directory));
  COD_RETURN_IF_ERROR(readStrings(params, "Parameters", &p.parameters));
  if (p.command.empty() == program.empty()) {
    return invalidArgument(std::string(kParams) +
                           "Command and Program: give exactly one, the code to run (like "
                           "python -c) or the path of a .py file an InputSource provides");
  }
  if (!program.empty()) {
    COD_ASSIGN_OR_RETURN(p.program, modulePath(task, std::string(kParams) + "Program", program));
  }
  if (!requirements.empty()) {
    COD_ASSIGN_OR_RETURN(p.requirements,
                         modulePath(task, std::string(kParams) + "Requirements", requirements));
  }
  if (!working_directory.empty()) {
    p.working_directory = guestPath(working_directory);
    if (std::string problem = containerPathProblem(p.working_directory); !problem.empty()) {
      return invalidArgument(std::string(kParams) +
                             "WorkingDirectory: " + quoted(working_directory) + " " + problem);
    }
  }
  return p;
}

Status rewriteLegacyWasmParams(Task& task) {
  if (!equalsIgnoreCase(trim(task.engine.type), kWasmEngine)) return Status::ok();
  bj::object& params = task.engine.params;
  const bj::value* entry = findKey(params, "EntryModule");
  const bj::value* imports = findKey(params, "ImportModules");
  bool legacy_imports = imports != nullptr && imports->is_array() &&
                        std::any_of(imports->as_array().begin(), imports->as_array().end(),
                                    [](const bj::value& v) { return v.is_object(); });
  if ((entry == nullptr || !entry->is_object()) && !legacy_imports) return Status::ok();

  bj::object rewritten;
  if (entry != nullptr && entry->is_object()) {
    COD_ASSIGN_OR_RETURN(InputSource in, inputSourceFromJson(*entry));
    if (in.target.empty()) in.target = "/wasm/entry.wasm";
    rewritten["EntryModule"] = in.target;
    task.input_sources.push_back(std::move(in));
  } else if (entry != nullptr) {
    rewritten["EntryModule"] = *entry;
  }
  bj::array import_paths;
  if (imports != nullptr && imports->is_array()) {
    for (size_t i = 0; i < imports->as_array().size(); ++i) {
      const bj::value& v = imports->as_array()[i];
      if (!v.is_object()) {
        import_paths.push_back(v);
        continue;
      }
      COD_ASSIGN_OR_RETURN(InputSource in, inputSourceFromJson(v));
      if (in.target.empty()) in.target = "/wasm/imports/module_" + std::to_string(i) + ".wasm";
      import_paths.emplace_back(in.target);
      task.input_sources.push_back(std::move(in));
    }
  }
  rewritten["ImportModules"] = std::move(import_paths);
  // Keys match case-insensitively: this is the legacy EntryPoint too.
  const bj::value* entrypoint = findKey(params, "Entrypoint");
  rewritten["Entrypoint"] = entrypoint != nullptr && !entrypoint->is_null()
                                ? *entrypoint
                                : bj::value(kWasmDefaultEntrypoint);
  if (const bj::value* p = findKey(params, "Parameters"); p != nullptr)
    rewritten["Parameters"] = *p;
  // The legacy format's EnvironmentVariables ["K=V", …] are Task.Env in the current one.
  if (const bj::value* env = findKey(params, "EnvironmentVariables"); env && env->is_array()) {
    for (const bj::value& kv : env->as_array()) {
      if (!kv.is_string()) continue;
      std::string_view text = kv.as_string();
      size_t eq = text.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        return invalidArgument("Engine.Params.EnvironmentVariables: " + quoted(text) +
                               " is not of the form NAME=value");
      }
      task.env.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
    }
  }
  params = std::move(rewritten);
  return Status::ok();
}

}  // namespace cod::models
