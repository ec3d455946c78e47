// /api/v1/orchestrator/nodes… (reference/bacalhau-api.md §2 rows 12–14, §2.11–§2.12).

#include <algorithm>
#include <functional>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/endpoints/endpoints.h"
#include "api/endpoints/paging.h"
#include "common/strings.h"
#include "models/json.h"
#include "models/label_selector.h"
#include "orchestrator/nodes/node_manager.h"

namespace cod::api::endpoints {

namespace {

namespace json = boost::json;

using NodeLess = std::function<bool(const models::NodeState&, const models::NodeState&)>;

// Ties are broken by node ID so that every order is total and stable across calls.
Result<NodeLess> nodeOrder(const std::string& order_by) {
  auto by_id = [](const models::NodeState& a, const models::NodeState& b) {
    return a.info.node_id < b.info.node_id;
  };
  auto then_id = [](auto key) -> NodeLess {
    return [key](const models::NodeState& a, const models::NodeState& b) {
      auto ka = key(a);
      auto kb = key(b);
      return ka != kb ? ka < kb : a.info.node_id < b.info.node_id;
    };
  };
  // Available capacity sorts descending: the roomiest node first.
  auto capacity_desc = [](auto field) -> NodeLess {
    return [field](const models::NodeState& a, const models::NodeState& b) {
      auto fa = field(a.info.compute_node_info.available_capacity);
      auto fb = field(b.info.compute_node_info.available_capacity);
      return fa != fb ? fa > fb : a.info.node_id < b.info.node_id;
    };
  };
  std::string key = toLower(order_by);
  if (key.empty() || key == "id") return NodeLess(by_id);
  if (key == "type") return then_id([](const models::NodeState& n) { return n.info.node_type; });
  if (key == "approval") return then_id([](const models::NodeState& n) { return n.membership; });
  // Bacalhau sorts "status" by membership too (a quirk); cod sorts by connection status.
  if (key == "status") {
    return then_id([](const models::NodeState& n) { return n.connection_state.status; });
  }
  if (key == "available_cpu")
    return capacity_desc([](const models::Resources& r) { return r.cpu; });
  if (key == "available_memory") {
    return capacity_desc([](const models::Resources& r) { return r.memory; });
  }
  if (key == "available_disk") {
    return capacity_desc([](const models::Resources& r) { return r.disk; });
  }
  if (key == "available_gpu")
    return capacity_desc([](const models::Resources& r) { return r.gpu; });
  return invalidArgument("invalid order_by '" + order_by +
                         "': use id, type, approval, status, available_cpu, available_memory, "
                         "available_disk or available_gpu");
}

// The node ID from the path, or from the body's NodeID (POST /nodes, the Python client).
Result<std::string> nodeIdFor(const HttpRequest& req, const json::object& body) {
  std::string id = req.pathParam("id");
  std::string body_id;
  COD_RETURN_IF_ERROR(optionalString(body, "NodeID", &body_id));
  if (id.empty()) id = body_id;
  if (id.empty()) return invalidArgument("NodeID: a node ID is required");
  return id;
}

class NodeRoutes {
 public:
  explicit NodeRoutes(const ApiDeps& deps) : deps_(deps) {}

  Result<HttpResponse> list(const HttpRequest& req) const {
    std::string approval = toUpper(req.queryValue("filter-approval"));
    if (!approval.empty() && approval != models::kMembershipApproved &&
        approval != models::kMembershipPending && approval != models::kMembershipRejected) {
      return invalidArgument("filter-approval: '" + req.queryValue("filter-approval") +
                             "' is not one of approved, pending, rejected");
    }
    std::string status = toUpper(req.queryValue("filter-status"));
    if (!status.empty() && status != models::kConnectionConnected &&
        status != models::kConnectionDisconnected) {
      return invalidArgument("filter-status: '" + req.queryValue("filter-status") +
                             "' is not one of connected, disconnected");
    }
    std::optional<models::LabelSelector> selector;
    if (std::vector<std::string> texts = req.queryValues("labels"); !texts.empty()) {
      Result<models::LabelSelector> parsed = models::LabelSelector::parseAll(texts);
      if (!parsed.isOk()) return invalidArgument("labels: " + parsed.error().message());
      selector = std::move(parsed).value();
    }
    // A token carries the order and page size it was issued for; the filters come from each
    // request, so a client sends the same ones again with it (as Bacalhau's clients do).
    COD_ASSIGN_OR_RETURN(PageToken page, pageRequest(req));
    std::string order_by = page.order_by;
    bool reverse = page.reverse;
    uint64_t offset = page.offset;
    uint64_t limit = pageLimit(page.limit, kMaxNodesPerPage);
    COD_ASSIGN_OR_RETURN(NodeLess less, nodeOrder(order_by));
    NodeLess ordered = less;
    if (reverse) ordered = [less](const auto& a, const auto& b) { return less(b, a); };
    auto keep = [&](const models::NodeState& n) {
      if (!approval.empty() && n.membership != approval) return false;
      if (!status.empty() && n.connection_state.status != status) return false;
      return !selector || selector->matches(n.info.labels);
    };
    bool has_more = false;
    std::vector<models::NodeState> nodes =
        deps_.nodes->listPage(keep, ordered, offset, limit, &has_more);
    json::array items;
    for (const models::NodeState& n : nodes) items.push_back(models::toJson(n));
    json::object out;
    out["NextToken"] =
        has_more ? encodePageToken({order_by, reverse, limit, offset + nodes.size()}) : "";
    out["Nodes"] = std::move(items);
    return jsonOk(out);
  }

  Result<HttpResponse> get(const HttpRequest& req) const {
    COD_ASSIGN_OR_RETURN(models::NodeState node, deps_.nodes->get(req.pathParam("id")));
    return jsonOk(json::object{{"Node", models::toJson(node)}});
  }

  // PUT /nodes/:id and POST /nodes: {"Action":"approve|reject|delete|drain|undrain","Message",
  // "NodeID"}; drain and undrain are cod's own.
  Result<HttpResponse> update(const HttpRequest& req) const {
    COD_ASSIGN_OR_RETURN(json::object body, bodyObject(req, /*allow_empty=*/false));
    COD_ASSIGN_OR_RETURN(std::string id, nodeIdFor(req, body));
    std::string action;
    std::string message;
    COD_RETURN_IF_ERROR(optionalString(body, "Action", &action));
    COD_RETURN_IF_ERROR(optionalString(body, "Message", &message));
    std::string verb = toLower(trim(action));
    if (verb == "approve") {
      COD_RETURN_IF_ERROR(deps_.nodes->approve(id));
    } else if (verb == "reject") {
      COD_RETURN_IF_ERROR(deps_.nodes->reject(id, message));
    } else if (verb == "delete") {
      COD_RETURN_IF_ERROR(deps_.nodes->remove(id));
    } else if (verb == "drain") {  // cod's own: no new work for the node
      COD_RETURN_IF_ERROR(deps_.nodes->drain(id, message));
    } else if (verb == "undrain") {
      COD_RETURN_IF_ERROR(deps_.nodes->undrain(id));
    } else {
      // Bacalhau answers 500 here; an unsupported action is the client's mistake.
      return invalidArgument("unsupported action '" + action +
                             "': use approve, reject, delete, drain or undrain");
    }
    return jsonOk(json::object{{"Success", true}});
  }

 private:
  const ApiDeps& deps_;
};

}  // namespace

void registerNodeRoutes(Router& router, const ApiDeps& deps) {
  auto routes = std::make_shared<NodeRoutes>(deps);
  auto bind = [&](const char* method, const char* pattern,
                  Result<HttpResponse> (NodeRoutes::*fn)(const HttpRequest&) const) {
    router.add(method, pattern,
               [routes, fn, &deps](const HttpRequest& req) -> Result<HttpResponse> {
                 if (deps.nodes == nullptr) return notAnOrchestrator(req);
                 return ((*routes).*fn)(req);
               });
  };
  bind("GET", "/api/v1/orchestrator/nodes", &NodeRoutes::list);
  bind("POST", "/api/v1/orchestrator/nodes", &NodeRoutes::update);
  bind("GET", "/api/v1/orchestrator/nodes/:id", &NodeRoutes::get);
  bind("PUT", "/api/v1/orchestrator/nodes/:id", &NodeRoutes::update);
}

}  // namespace cod::api::endpoints
