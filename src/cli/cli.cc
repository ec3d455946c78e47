#include "cli/cli.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <thread>

#include "cli/context.h"
#include "common/strings.h"

namespace cod::cli {

namespace {

// Parses an environment port; 0 when unset.
Result<int> envPort(const CliContext& ctx) {
  for (const char* name : {"COD_API_PORT", "BACALHAU_API_PORT"}) {
    std::optional<std::string> value = ctx.getenv(name);
    if (!value || trim(*value).empty()) continue;
    int64_t port = 0;
    if (!parseInt64(trim(*value), &port) || port < 1 || port > 65535) {
      return invalidArgument(std::string(name) + "='" + *value +
                             "' is not a port number between 1 and 65535");
    }
    return static_cast<int>(port);
  }
  return 0;
}

// Turns a CLI11 parse error into our one-line form.
Status parseErrorStatus(const CLI::ParseError& e, const std::string& command_path) {
  std::string message = e.what();
  if (message.empty()) message = e.get_name();
  return invalidArgument(message).withHint("run '" + command_path + " --help' for usage");
}

// The full command path of the deepest parsed subcommand: "cod job run".
std::string parsedCommandPath(CLI::App& root) {
  std::string path = "cod";
  CLI::App* app = &root;
  while (true) {
    auto subs = app->get_subcommands();
    if (subs.empty()) break;
    app = subs.front();
    path += " " + app->get_name();
  }
  return path;
}

// The first of `names` that is set and not blank.
std::string firstEnv(const std::function<std::optional<std::string>(const std::string&)>& getenv,
                     std::initializer_list<const char*> names) {
  for (const char* name : names) {
    std::optional<std::string> v = getenv(name);
    if (v && !trim(*v).empty()) return std::string(trim(*v));
  }
  return "";
}

bool truthy(const std::string& v) {
  return equalsIgnoreCase(v, "1") || equalsIgnoreCase(v, "true") || equalsIgnoreCase(v, "yes");
}

}  // namespace

Result<std::string> authorizationFromEnvironment(
    const std::function<std::optional<std::string>(const std::string&)>& getenv) {
  std::string key = firstEnv(getenv, {"COD_API_KEY", "BACALHAU_API_KEY"});
  if (!key.empty()) {
    for (char c : key) {
      if (static_cast<unsigned char>(c) < 0x21 || c == 0x7f) {
        return invalidArgument("COD_API_KEY/BACALHAU_API_KEY holds a space or control character")
            .withHint("set it to the API key alone");
      }
    }
    return "Bearer " + key;
  }
  for (const char* prefix : {"COD_API_", "BACALHAU_API_"}) {
    std::optional<std::string> user = getenv(std::string(prefix) + "USERNAME");
    std::optional<std::string> pass = getenv(std::string(prefix) + "PASSWORD");
    bool has_user = user && !user->empty();
    bool has_pass = pass && !pass->empty();
    if (!has_user && !has_pass) continue;
    if (has_user != has_pass) {
      return invalidArgument(std::string(prefix) + "USERNAME and " + prefix +
                             "PASSWORD go together: set both");
    }
    if (user->find(':') != std::string::npos) {
      return invalidArgument(std::string(prefix) + "USERNAME cannot hold ':'");
    }
    return "Basic " + base64Encode(*user + ":" + *pass);
  }
  return std::string();
}

CliContext::CliContext(CliEnv& env)
    : env_(env),
      out_(env.out != nullptr ? env.out : &std::cout),
      err_(env.err != nullptr ? env.err : &std::cerr),
      in_(env.in != nullptr ? env.in : &std::cin),
      clock_(env.clock != nullptr ? env.clock : &SystemClock::instance()) {}

void CliContext::sleep(Duration d) const {
  if (env_.sleep) {
    env_.sleep(d);
  } else {
    std::this_thread::sleep_for(d);
  }
}

std::optional<std::string> CliContext::getenv(const std::string& name) const {
  if (env_.getenv) return env_.getenv(name);
  const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): read-only
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::vector<std::pair<std::string, std::string>> CliContext::environment() const {
  if (env_.environment) return env_.environment();
  std::vector<std::pair<std::string, std::string>> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace_back(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return out;
}

Result<api::client::ApiClient*> CliContext::client() {
  if (client_) return client_.get();
  std::string host = api_flags_.host;
  for (const char* name : {"COD_API_HOST", "BACALHAU_API_HOST"}) {
    if (!host.empty()) break;
    host = getenv(name).value_or("");
  }
  if (host.empty()) host = "0.0.0.0";
  std::optional<int> port;
  if (api_flags_.port != 0) {
    port = api_flags_.port;
  } else {
    COD_ASSIGN_OR_RETURN(int p, envPort(*this));
    if (p != 0) port = p;
  }
  auto lookup = [this](const std::string& name) { return getenv(name); };
  bool tls = api_flags_.tls || truthy(firstEnv(lookup, {"COD_API_TLS", "BACALHAU_API_TLS"}));
  std::string ca_file = api_flags_.ca_file;
  if (ca_file.empty()) ca_file = firstEnv(lookup, {"COD_API_CA_FILE", "BACALHAU_API_CACERT"});
  COD_ASSIGN_OR_RETURN(std::string base_url, api::client::resolveBaseUrl(host, port, tls));
  std::vector<std::string> headers;
  COD_ASSIGN_OR_RETURN(std::string authorization, authorizationFromEnvironment(lookup));
  if (!authorization.empty()) headers.push_back("Authorization: " + authorization);
  Duration timeout = std::chrono::seconds(std::max(1, api_flags_.timeout_secs));
  std::unique_ptr<api::client::HttpTransport> transport;
  if (env_.make_transport) {
    transport = env_.make_transport(base_url, timeout);
  } else {
    api::client::CurlTransportOptions options;
    options.base_url = base_url;
    options.timeout = timeout;
    options.headers = headers;
    options.ca_file = ca_file;
    transport = std::make_unique<api::client::CurlTransport>(std::move(options));
  }
  std::unique_ptr<api::client::WebSocketTransport> websocket;
  if (env_.make_websocket) {
    websocket = env_.make_websocket(base_url, timeout);
  } else {
    api::client::BeastWebSocketOptions options;
    options.base_url = base_url;
    options.timeout = timeout;
    options.headers = headers;
    options.ca_file = ca_file;
    websocket = api::client::makeBeastWebSocketTransport(std::move(options));
  }
  client_ = std::make_unique<api::client::ApiClient>(std::move(transport), std::move(websocket));
  client_->setRetries(3, [this](Duration d) { sleep(d); });
  return client_.get();
}

TableStyle CliContext::tableStyle(const OutputFlags& flags) const {
  TableStyle style;
  style.styled = env_.stdout_is_tty && !flags.no_style && !getenv("NO_COLOR").has_value();
  style.wide = flags.wide;
  style.hide_header = flags.hide_header;
  return style;
}

void addOutputFlags(CLI::App* cmd, OutputFlags* flags, bool tabular,
                    const std::vector<std::string>& formats) {
  cmd->add_option("--output", flags->format, "Output format: " + join(formats, ", "))
      ->check(CLI::IsMember(formats, CLI::ignore_case))
      ->capture_default_str();
  if (!tabular) return;
  cmd->add_flag("--wide", flags->wide, "Print full IDs and cells without truncation");
  cmd->add_flag("--no-style", flags->no_style, "Plain output without styling");
  cmd->add_flag("--hide-header", flags->hide_header, "Do not print the table header");
}

void onRun(CLI::App* cmd, CliContext& ctx, std::function<Status()> run) {
  cmd->callback([&ctx, run = std::move(run)] { ctx.setAction(run); });
}

void printStructured(CliContext& ctx, const boost::json::value& value, OutputFormat format) {
  ctx.out() << renderStructured(value, format);
}

int runCli(const std::vector<std::string>& args, CliEnv& env) {
  CliContext ctx(env);
  CLI::App root{"cod: run jobs where the data is (a Bacalhau-compatible orchestrator)", "cod"};
  // Options of a parent command are accepted after the subcommand ("cod job list --api-port 1").
  root.fallthrough();
  root.set_help_all_flag("--help-all", "Print help for every command");
  root.add_option("--api-host", ctx.apiFlags().host,
                  "Host or http(s)://host[:port] URL of the cod API (env COD_API_HOST; "
                  "default 0.0.0.0 = this machine)");
  root.add_option("--api-port", ctx.apiFlags().port,
                  "Port of the cod API (env COD_API_PORT; default 1234)")
      ->check(CLI::Range(1, 65535));
  root.add_flag("--api-tls", ctx.apiFlags().tls,
                "Reach the API over HTTPS (env COD_API_TLS; an https:// --api-host says so too)");
  root.add_option("--api-ca-file", ctx.apiFlags().ca_file,
                  "PEM file of the CAs the API's HTTPS certificate must chain to (env "
                  "COD_API_CA_FILE; default: the system's)");
  root.add_option("--api-timeout-secs", ctx.apiFlags().timeout_secs,
                  "Seconds to wait for each API request")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();

  registerJobCommands(root, ctx);
  registerLogsCommands(root, ctx);
  registerDockerCommands(root, ctx);
  registerWasmCommands(root, ctx);
  registerPythonCommands(root, ctx);
  registerNodeCommands(root, ctx);
  registerAgentCommands(root, ctx);
  registerServeCommands(root, ctx);

  // CLI11 wants argv order reversed in a vector.
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    root.parse(reversed);
  } catch (const CLI::CallForHelp& e) {
    root.exit(e, ctx.out(), ctx.err());
    return 0;
  } catch (const CLI::CallForAllHelp& e) {
    root.exit(e, ctx.out(), ctx.err());
    return 0;
  } catch (const CLI::CallForVersion& e) {
    root.exit(e, ctx.out(), ctx.err());
    return 0;
  } catch (const CLI::ParseError& e) {
    ctx.err() << formatError(parseErrorStatus(e, parsedCommandPath(root)));
    return 1;
  }
  if (!ctx.action()) {
    // A group without a leaf ("cod", "cod job"): show what it offers.
    CLI::App* app = &root;
    while (!app->get_subcommands().empty()) app = app->get_subcommands().front();
    ctx.out() << app->help();
    return 0;
  }
  Status status = ctx.action()();
  if (!status.isOk()) {
    ctx.err() << formatError(status);
    return 1;
  }
  return ctx.exitCode();
}

}  // namespace cod::cli
