// `cod agent alive|version|node` and `cod version`.

#include <memory>

#include <boost/json/object.hpp>

#include "cli/context.h"
#include "cli/output.h"
#include "common/version.h"
#include "models/json.h"

namespace cod::cli {

namespace {

namespace bj = boost::json;

struct AgentOptions {
  OutputFlags output{"yaml"};
};

struct VersionOptions {
  bool client_only = false;
  OutputFlags output;
};

models::BuildVersionInfo clientVersion() {
  models::BuildVersionInfo v;
  v.git_version = gitVersion();
  v.goos = "linux";
#if defined(__x86_64__)
  v.goarch = "amd64";
#elif defined(__aarch64__)
  v.goarch = "arm64";
#else
  v.goarch = "unknown";
#endif
  return v;
}

// Runs `fetch` (→ a JSON value) and prints it as YAML or JSON.
template <typename Fetch>
Status printAgent(CliContext& ctx, const AgentOptions& o, Fetch fetch) {
  COD_ASSIGN_OR_RETURN(OutputFormat format, parseOutputFormat(o.output.format));
  COD_ASSIGN_OR_RETURN(api::client::ApiClient * client, ctx.client());
  COD_ASSIGN_OR_RETURN(bj::value value, fetch(*client));
  printStructured(ctx, value, format == OutputFormat::kTable ? OutputFormat::kYaml : format);
  return Status::ok();
}

Status runVersion(CliContext& ctx, const VersionOptions& o) {
  COD_ASSIGN_OR_RETURN(OutputFormat format, parseOutputFormat(o.output.format));
  models::BuildVersionInfo client_version = clientVersion();
  std::optional<models::BuildVersionInfo> server_version;
  Status server_error;
  if (!o.client_only) {
    COD_ASSIGN_OR_RETURN(api::client::ApiClient * client, ctx.client());
    auto v = client->agentVersion();
    if (v.isOk()) {
      server_version = *v;
    } else {
      server_error = v.error();
    }
  }
  if (format != OutputFormat::kTable) {
    bj::object obj;
    obj["ClientVersion"] = models::toJson(client_version);
    if (server_version) obj["ServerVersion"] = models::toJson(*server_version);
    printStructured(ctx, obj, format);
  } else {
    TableStyle style = ctx.tableStyle(o.output);
    bool show_server = server_version.has_value();
    Table table(show_server ? std::vector<Column>{{"CLIENT"}, {"SERVER"}}
                            : std::vector<Column>{{"CLIENT"}});
    if (show_server) {
      table.addRow({client_version.git_version, server_version->git_version});
    } else {
      table.addRow({client_version.git_version});
    }
    ctx.out() << table.render(style);
  }
  if (!server_error.isOk()) {
    ctx.err() << "Server: " << server_error.message() << "\n";
  }
  return Status::ok();
}

}  // namespace

void registerAgentCommands(CLI::App& root, CliContext& ctx) {
  CLI::App* agent = root.add_subcommand("agent", "Ask the node serving the API about itself");
  {
    auto o = std::make_shared<AgentOptions>();
    CLI::App* cmd = agent->add_subcommand("alive", "Is the agent alive?");
    addOutputFlags(cmd, &o->output, /*tabular=*/false, {"yaml", "json"});
    onRun(cmd, ctx, [&ctx, o] {
      return printAgent(ctx, *o, [](api::client::ApiClient& c) -> Result<bj::value> {
        COD_ASSIGN_OR_RETURN(std::string status, c.agentAlive());
        bj::object obj;
        obj["Status"] = status;
        return bj::value(std::move(obj));
      });
    });
  }
  {
    auto o = std::make_shared<AgentOptions>();
    CLI::App* cmd = agent->add_subcommand("version", "The agent's build version");
    addOutputFlags(cmd, &o->output, /*tabular=*/false, {"yaml", "json"});
    onRun(cmd, ctx, [&ctx, o] {
      return printAgent(ctx, *o, [](api::client::ApiClient& c) -> Result<bj::value> {
        COD_ASSIGN_OR_RETURN(models::BuildVersionInfo v, c.agentVersion());
        return models::toJson(v);
      });
    });
  }
  {
    auto o = std::make_shared<AgentOptions>();
    CLI::App* cmd = agent->add_subcommand("node", "The agent's node info");
    addOutputFlags(cmd, &o->output, /*tabular=*/false, {"yaml", "json"});
    onRun(cmd, ctx, [&ctx, o] {
      return printAgent(ctx, *o, [](api::client::ApiClient& c) -> Result<bj::value> {
        COD_ASSIGN_OR_RETURN(models::NodeInfo info, c.agentNode());
        return models::toJson(info);
      });
    });
  }
  {
    auto o = std::make_shared<VersionOptions>();
    CLI::App* cmd = root.add_subcommand("version", "Print the client and server versions");
    cmd->add_flag("--client", o->client_only, "Only the client version; do not ask the server");
    addOutputFlags(cmd, &o->output, /*tabular=*/true);
    onRun(cmd, ctx, [&ctx, o] { return runVersion(ctx, *o); });
  }
}

}  // namespace cod::cli
