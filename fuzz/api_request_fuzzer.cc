// The API's request path without sockets: a request read from the input ("METHOD TARGET" line,
// header lines, a blank line, the body) through the middleware, the router and every endpoint,
// over a JobService, MemoryJobStore, EvaluationBroker and NodeManager on a ManualClock. A request
// with an Authorization header goes through a middleware whose API has users (Bearer fuzz-key
// may do anything, Basic fuzz:pw read), so the authorizer parses what the fuzzer sends; one
// without, through an open API. The whole world is rebuilt every 1,000 inputs, so that jobs the
// fuzzer submits do not pile up.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "api/api_server.h"
#include "api/endpoints/endpoints.h"
#include "api/middleware.h"
#include "api/router.h"
#include "common/clock.h"
#include "orchestrator/broker/evaluation_broker.h"
#include "orchestrator/job_service.h"
#include "orchestrator/nodes/node_manager.h"
#include "store/memory/memory_job_store.h"

namespace {

using namespace cod;

class DeterministicRandom final : public Random {
 public:
  uint64_t uniform(uint64_t bound) override {
    return (state_ = state_ * 6364136223846793005ULL + 1) % bound;
  }
  void fill(uint8_t* out, size_t n) override {
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(uniform(256));
  }

 private:
  uint64_t state_ = 42;
};

struct World {
  World() {
    broker = std::make_unique<orchestrator::EvaluationBroker>(&clock, orchestrator::BrokerConfig{});
    orchestrator::JobService::Deps jdeps;
    jdeps.store = &store;
    jdeps.broker = broker.get();
    jdeps.clock = &clock;
    jdeps.random = &random;
    jdeps.orchestrator_id = "n-fuzz";
    jobs = std::make_unique<orchestrator::JobService>(jdeps, orchestrator::JobDefaults{});
    nodes = std::make_unique<orchestrator::NodeManager>(&store, &clock,
                                                        orchestrator::NodeManagerConfig{});
    models::NodeInfo self;
    self.node_id = "n-fuzz";
    self.node_type = models::kNodeTypeRequester;
    (void)nodes->start(self);
    deps.jobs = jobs.get();
    deps.store = &store;
    deps.nodes = nodes.get();
    deps.node_info = [self] { return self; };
    api::endpoints::registerAgentRoutes(router, deps, config);
    api::endpoints::registerAuthRoutes(router, deps, config);
    api::endpoints::registerJobRoutes(router, deps);
    api::endpoints::registerNodeRoutes(router, deps);
    api::endpoints::registerLogRoutes(router, deps);
    middleware = std::make_unique<api::Middleware>(
        &router, api::ServerHeaders{"v1.7.0", "c", "d", "linux", "amd64"});
    api::ApiUser admin;
    admin.api_key = "fuzz-key";
    admin.actions = {"*"};
    api::ApiUser reader;
    reader.username = "fuzz";
    reader.password = "pw";
    reader.actions = {"read:*"};
    authorizer = std::make_unique<api::Authorizer>(api::AuthConfig{{admin, reader}});
    guarded = std::make_unique<api::Middleware>(
        &router, api::ServerHeaders{"v1.7.0", "c", "d", "linux", "amd64"}, api::CorsConfig{},
        authorizer.get());
  }

  ManualClock clock;
  DeterministicRandom random;
  store::MemoryJobStore store;
  std::unique_ptr<orchestrator::EvaluationBroker> broker;
  std::unique_ptr<orchestrator::JobService> jobs;
  std::unique_ptr<orchestrator::NodeManager> nodes;
  api::ApiDeps deps;
  api::ApiConfig config;
  api::Router router;
  std::unique_ptr<api::Middleware> middleware;
  std::unique_ptr<api::Authorizer> authorizer;
  std::unique_ptr<api::Middleware> guarded;
};

// Next line of `text` (without its "\r\n" or "\n"), consuming it.
std::string_view nextLine(std::string_view* text) {
  size_t end = text->find('\n');
  std::string_view line = text->substr(0, end);
  *text = end == std::string_view::npos ? std::string_view() : text->substr(end + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::unique_ptr<World> world;
  static int served = 0;
  // The middleware logs every request at info: millions of lines slow the fuzzer and fill its log.
  static const bool quiet = [] {
    spdlog::set_level(spdlog::level::off);
    return true;
  }();
  (void)quiet;
  if (!world || ++served % 1000 == 0) world = std::make_unique<World>();

  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string_view request_line = nextLine(&text);
  size_t space = request_line.find(' ');
  if (space == std::string_view::npos) return 0;
  api::HttpRequest req;
  req.method = std::string(request_line.substr(0, space));
  req.target = std::string(request_line.substr(space + 1));
  api::parseTarget(req.target, &req.path, &req.query);
  while (!text.empty()) {
    std::string_view line = nextLine(&text);
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    req.headers.add(std::string(line.substr(0, colon)), std::string(value));
  }
  req.body = std::string(text);
  req.remote_address = "127.0.0.1:40000";
  api::Middleware& middleware =
      req.headers.find("Authorization") != nullptr ? *world->guarded : *world->middleware;
  (void)middleware.handle(req);
  return 0;
}
