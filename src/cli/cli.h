#pragma once

// The `cod` command tree. `runCli` parses a command line, runs the chosen command and returns the
// process exit code: 0 on success, 1 on any error (printed as one "Error: …" line, plus
// "Hint: …" when there is one, on stderr).
//
// Everything a command touches outside the process comes through CliEnv, so tests run commands
// in-process against a FakeTransport, a manual clock and string streams.

#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/client/http_transport.h"
#include "api/client/websocket_transport.h"
#include "common/clock.h"
#include "common/status.h"
#include "node/node.h"

namespace cod::cli {

struct CliEnv {
  std::ostream* out = nullptr;  // null = std::cout
  std::ostream* err = nullptr;  // null = std::cerr
  std::istream* in = nullptr;   // null = std::cin
  // Styled output (bold headers) only when stdout is a terminal.
  bool stdout_is_tty = false;
  // A progress line for long downloads only when stderr is a terminal.
  bool stderr_is_tty = false;
  // Environment lookup; null = the process environment.
  std::function<std::optional<std::string>(const std::string& name)> getenv;
  // Every environment variable, for `job run --template-envs`; null = the process environment.
  std::function<std::vector<std::pair<std::string, std::string>>()> environment;
  // Makes the HTTP transport for the API; null = libcurl.
  std::function<std::unique_ptr<api::client::HttpTransport>(const std::string& base_url,
                                                            Duration timeout)>
      make_transport;
  // Makes the WebSocket transport for the API (`job logs`, `--follow`); null = Boost.Beast.
  std::function<std::unique_ptr<api::client::WebSocketTransport>(const std::string& base_url,
                                                                 Duration timeout)>
      make_websocket;
  const Clock* clock = nullptr;                             // null = the system clock
  std::function<void(Duration)> sleep;                      // null = std::this_thread::sleep_for
  std::function<int(const node::ServeOptions&)> run_serve;  // null = node::runServe
  std::function<int(const node::DevstackOptions&)> run_devstack;  // null = node::runDevstack
};

// `args` excludes the program name.
int runCli(const std::vector<std::string>& args, CliEnv& env);

}  // namespace cod::cli
