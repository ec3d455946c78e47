#pragma once

// Shared plumbing for the command files: the per-invocation context (streams, clock, the API
// client built from --api-host/--api-port), output flags, and the registration functions of each
// command group.

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "api/client/api_client.h"
#include "cli/cli.h"
#include "cli/output.h"
#include "common/status.h"

namespace cod::cli {

// --api-host / --api-port, defined on the root command (usable before or after the subcommand).
struct ApiFlags {
  std::string host;  // "" = $COD_API_HOST, $BACALHAU_API_HOST, else 0.0.0.0 (→ 127.0.0.1)
  int port = 0;      // 0 = $COD_API_PORT, $BACALHAU_API_PORT, else 1234
  int timeout_secs = 30;
  bool tls = false;     // https for a bare host; also $COD_API_TLS, $BACALHAU_API_TLS
  std::string ca_file;  // "" = $COD_API_CA_FILE, $BACALHAU_API_CACERT, else the system's CAs
};

// The Authorization header the environment asks for: "Bearer <key>" from $COD_API_KEY or
// $BACALHAU_API_KEY, else "Basic …" from $COD_API_USERNAME/$COD_API_PASSWORD or
// $BACALHAU_API_USERNAME/$BACALHAU_API_PASSWORD; "" when none is set. InvalidArgument for a
// username without a password (or the reverse).
Result<std::string> authorizationFromEnvironment(
    const std::function<std::optional<std::string>(const std::string&)>& getenv);

// --output / --wide / --no-style / --hide-header.
struct OutputFlags {
  std::string format = "table";
  bool wide = false;
  bool no_style = false;
  bool hide_header = false;
};

class CliContext {
 public:
  explicit CliContext(CliEnv& env);

  std::ostream& out() const { return *out_; }
  std::ostream& err() const { return *err_; }
  std::istream& in() const { return *in_; }
  const Clock& clock() const { return *clock_; }
  void sleep(Duration d) const;
  std::optional<std::string> getenv(const std::string& name) const;
  std::vector<std::pair<std::string, std::string>> environment() const;
  const CliEnv& env() const { return env_; }

  ApiFlags& apiFlags() { return api_flags_; }
  // The client for the selected API, made on first use. Errors: InvalidArgument for a bad
  // host/port.
  Result<api::client::ApiClient*> client();

  // The table style for these flags: styled only on a terminal without --no-style/NO_COLOR.
  TableStyle tableStyle(const OutputFlags& flags) const;

  // The command chosen by the parse; run after parsing succeeds.
  void setAction(std::function<Status()> action) { action_ = std::move(action); }
  const std::function<Status()>& action() const { return action_; }

  // The exit code when the action succeeds (serve passes on the node's code).
  void setExitCode(int code) { exit_code_ = code; }
  int exitCode() const { return exit_code_; }

 private:
  CliEnv& env_;
  std::ostream* out_;
  std::ostream* err_;
  std::istream* in_;
  const Clock* clock_;
  ApiFlags api_flags_;
  std::unique_ptr<api::client::ApiClient> client_;
  std::function<Status()> action_;
  int exit_code_ = 0;
};

// Adds --output (restricted to `formats`), and, when `tabular`, --wide, --no-style and
// --hide-header.
void addOutputFlags(CLI::App* cmd, OutputFlags* flags, bool tabular,
                    const std::vector<std::string>& formats = {"table", "json", "yaml"});

// Makes `cmd` set `run` as the context's action when it is parsed.
void onRun(CLI::App* cmd, CliContext& ctx, std::function<Status()> run);

// Writes a JSON value in the chosen structured format to the context's stdout.
void printStructured(CliContext& ctx, const boost::json::value& value, OutputFormat format);

// Command groups (one file each).
void registerJobCommands(CLI::App& root, CliContext& ctx);
// `job logs` (under the `job` group registerJobCommands made) and its alias `logs`.
void registerLogsCommands(CLI::App& root, CliContext& ctx);
void registerDockerCommands(CLI::App& root, CliContext& ctx);
void registerWasmCommands(CLI::App& root, CliContext& ctx);
void registerPythonCommands(CLI::App& root, CliContext& ctx);
void registerNodeCommands(CLI::App& root, CliContext& ctx);
void registerAgentCommands(CLI::App& root, CliContext& ctx);
void registerServeCommands(CLI::App& root, CliContext& ctx);

}  // namespace cod::cli
