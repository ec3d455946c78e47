// `cod node list|describe|approve|reject|delete|drain|undrain`.

#include <cstdio>
#include <memory>

#include <boost/json/array.hpp>

#include "cli/context.h"
#include "cli/output.h"
#include "common/strings.h"
#include "common/units.h"
#include "models/json.h"

namespace cod::cli {

namespace {

namespace bj = boost::json;

struct NodeListOptions {
  std::vector<std::string> labels;
  std::string filter_approval;
  std::string filter_status;
  std::string order_by;
  bool reversed = false;
  uint64_t limit = 0;
  OutputFlags output;
};

struct NodeDescribeOptions {
  std::string id;
  OutputFlags output{"yaml"};
};

struct NodeActionOptions {
  std::string id;
  std::string message;
};

// "6.4", "0.5", "8".
std::string formatCpu(double cpu) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", cpu);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::string capacityCell(const std::string& available, const std::string& max) {
  return available + " / " + max;
}

// "CONNECTED", or "CONNECTED,DRAINING" for a node drained with `cod node drain`.
std::string statusCell(const models::NodeState& n) {
  return n.isDraining() ? n.connection_state.status + ",DRAINING" : n.connection_state.status;
}

Status runNodeList(CliContext& ctx, const NodeListOptions& o) {
  COD_ASSIGN_OR_RETURN(OutputFormat format, parseOutputFormat(o.output.format));
  COD_ASSIGN_OR_RETURN(api::client::ApiClient * client, ctx.client());
  api::client::ListNodesOptions request;
  request.labels = o.labels;
  request.filter_approval = toLower(o.filter_approval);
  request.filter_status = toLower(o.filter_status);
  request.order_by = o.order_by;
  request.reverse = o.reversed;
  request.limit = o.limit;
  COD_ASSIGN_OR_RETURN(std::vector<models::NodeState> nodes, client->listNodes(request));
  if (format != OutputFormat::kTable) {
    bj::array items;
    for (const auto& n : nodes) items.push_back(models::toJson(n));
    printStructured(ctx, items, format);
    return Status::ok();
  }
  TableStyle style = ctx.tableStyle(o.output);
  Table table({{"ID"},
               {"TYPE"},
               {"APPROVAL"},
               {"STATUS"},
               {"LABELS", 50},
               {"CPU"},
               {"MEMORY"},
               {"DISK"},
               {"GPU"}});
  for (const auto& n : nodes) {
    const models::ComputeNodeInfo& c = n.info.compute_node_info;
    const models::Resources& avail = c.available_capacity;
    const models::Resources& max = c.max_capacity;
    bool has_capacity = !max.isZero();
    table.addRow({
        displayId(n.info.node_id, style.wide),
        n.info.node_type,
        n.membership,
        statusCell(n),
        formatLabels(n.info.labels),
        has_capacity ? capacityCell(formatCpu(avail.cpu), formatCpu(max.cpu)) : "",
        has_capacity ? capacityCell(formatBytes(avail.memory), formatBytes(max.memory)) : "",
        has_capacity ? capacityCell(formatBytes(avail.disk), formatBytes(max.disk)) : "",
        // Free / all GPUs, only for nodes that have any: most have none.
        max.gpu > 0 ? capacityCell(std::to_string(avail.gpu), std::to_string(max.gpu)) : "",
    });
  }
  ctx.out() << table.render(style);
  return Status::ok();
}

Status runNodeDescribe(CliContext& ctx, const NodeDescribeOptions& o) {
  COD_ASSIGN_OR_RETURN(OutputFormat format, parseOutputFormat(o.output.format));
  COD_ASSIGN_OR_RETURN(api::client::ApiClient * client, ctx.client());
  COD_ASSIGN_OR_RETURN(models::NodeState node, client->getNode(o.id));
  printStructured(ctx, models::toJson(node),
                  format == OutputFormat::kTable ? OutputFormat::kYaml : format);
  return Status::ok();
}

Status runNodeAction(CliContext& ctx, const std::string& action, const NodeActionOptions& o) {
  COD_ASSIGN_OR_RETURN(api::client::ApiClient * client, ctx.client());
  COD_RETURN_IF_ERROR(client->nodeAction(o.id, action, o.message));
  ctx.out() << "Ok\n";
  return Status::ok();
}

}  // namespace

void registerNodeCommands(CLI::App& root, CliContext& ctx) {
  CLI::App* node = root.add_subcommand("node", "List, inspect and manage compute nodes");
  {
    auto o = std::make_shared<NodeListOptions>();
    CLI::App* cmd = node->add_subcommand("list", "List the nodes the orchestrator knows");
    cmd->add_option("--labels", o->labels, "Label selector, e.g. 'os_type=linux'");
    cmd->add_option("--filter-approval", o->filter_approval, "approved, pending or rejected")
        ->check(CLI::IsMember({"approved", "pending", "rejected"}, CLI::ignore_case));
    cmd->add_option("--filter-status", o->filter_status, "connected or disconnected")
        ->check(CLI::IsMember({"connected", "disconnected"}, CLI::ignore_case));
    cmd->add_option("--order-by", o->order_by,
                    "id, type, available_cpu, available_memory, available_disk, available_gpu, "
                    "approval or status");
    cmd->add_flag("--order-reversed", o->reversed, "Reverse the order");
    cmd->add_option("--limit", o->limit, "Nodes to show (default: all)");
    addOutputFlags(cmd, &o->output, /*tabular=*/true);
    onRun(cmd, ctx, [&ctx, o] { return runNodeList(ctx, *o); });
  }
  {
    auto o = std::make_shared<NodeDescribeOptions>();
    CLI::App* cmd = node->add_subcommand("describe", "Show everything about one node");
    cmd->add_option("id", o->id, "Node ID or ID prefix")->required();
    addOutputFlags(cmd, &o->output, /*tabular=*/false, {"yaml", "json"});
    onRun(cmd, ctx, [&ctx, o] { return runNodeDescribe(ctx, *o); });
  }
  struct ActionSpec {
    const char* name;
    const char* help;
  };
  for (const ActionSpec& a :
       {ActionSpec{"approve", "Approve a node so it gets work"},
        ActionSpec{"reject", "Reject a node and disconnect it"},
        ActionSpec{"delete", "Forget a node"},
        ActionSpec{"drain", "Give a node no new work; what runs on it finishes, daemon jobs stay"},
        ActionSpec{"undrain", "Give a drained node work again"}}) {
    auto o = std::make_shared<NodeActionOptions>();
    CLI::App* cmd = node->add_subcommand(a.name, a.help);
    cmd->add_option("id", o->id, "Node ID or ID prefix")->required();
    cmd->add_option("-m,--message", o->message, "Why (recorded with the action)");
    std::string action = a.name;
    onRun(cmd, ctx, [&ctx, o, action] { return runNodeAction(ctx, action, *o); });
  }
}

}  // namespace cod::cli
