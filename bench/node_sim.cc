// Many compute nodes, simulated: --nodes node IDs join an orchestrator over NATS (handshake with a
// full NodeInfo, as a real node sends) through --connections NATS connections, and heartbeat at
// the interval the orchestrator asks for (at most --interval-ms), spread evenly. After --seconds,
// --silence of them fall silent while the rest go on, and the tool reports how long the
// orchestrator took to mark them disconnected (read through the API), and the latency of
// `GET /nodes` pages (--page nodes each) while all of them are connected. The orchestrator's CPU
// and memory are the calling script's to read (bench/node_scale.sh). Not a test: it measures.
// An orchestrator whose nats-server gives nodes credentials of their own lets one connection
// speak for only one node, so the tool then connects as the orchestrator's own NATS user
// (--password-file: <data dir>/orchestrator/nats/orchestrator-password).
//
//   node_sim --nats nats://127.0.0.1:4222 --token T --api-port 1234 --nodes 10000

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "api/client/api_client.h"
#include "bench_util.h"
#include "common/strings.h"
#include "transport/messages.h"
#include "transport/nats/nats_transport.h"
#include "transport/nats/subjects.h"

using namespace cod;
using cod::bench::percentile;
using cod::bench::stringFlag;
using Steady = std::chrono::steady_clock;

namespace {

// The simulated nodes take no work: messages to them are dropped.
class IdleNodes final : public transport::ComputeHandler {
 public:
  void onMessage(const transport::ToComputeMessage&) override {}
  void onConnectionChanged(bool) override {}
};

}  // namespace

int main(int argc, char** argv) {
  std::string nats = stringFlag(argc, argv, "--nats", "nats://127.0.0.1:4222");
  std::string token = stringFlag(argc, argv, "--token", "");
  std::string password_file = stringFlag(argc, argv, "--password-file", "");
  std::string password;
  if (!password_file.empty()) {
    std::FILE* f = std::fopen(password_file.c_str(), "r");
    char buf[256] = {};
    if (f == nullptr || std::fgets(buf, sizeof buf, f) == nullptr) {
      std::fprintf(stderr, "cannot read %s\n", password_file.c_str());
      return 1;
    }
    std::fclose(f);
    password = std::string(trim(buf));
  }
  int api_port =
      static_cast<int>(static_cast<long>(bench::numberFlag(argc, argv, "--api-port", 1234)));
  long nodes = static_cast<long>(bench::numberFlag(argc, argv, "--nodes", 10000));
  long connections =
      std::max(1L, static_cast<long>(bench::numberFlag(argc, argv, "--connections", 8)));
  auto most_interval = std::chrono::milliseconds(
      static_cast<long>(bench::numberFlag(argc, argv, "--interval-ms", 5000)));
  long seconds = static_cast<long>(bench::numberFlag(argc, argv, "--seconds", 60));
  long silence =
      std::min(nodes, static_cast<long>(bench::numberFlag(argc, argv, "--silence", 100)));
  long page = static_cast<long>(bench::numberFlag(argc, argv, "--page", 100));

  IdleNodes idle;
  std::vector<std::unique_ptr<transport::NatsComputeTransport>> links;
  for (long c = 0; c < connections; ++c) {
    transport::NatsTransportConfig config;
    config.servers = nats;
    config.token = token;
    if (!password.empty()) {
      config.user = transport::kNatsOrchestratorUser;
      config.password = password;
    }
    config.connection_name = "node_sim " + std::to_string(c);
    auto link = std::make_unique<transport::NatsComputeTransport>(config);
    // The link subscribes as one node; requests carry any node's ID.
    Status st = link->start("n-sim-link-" + std::to_string(c), &idle);
    if (!st.isOk()) {
      std::fprintf(stderr, "connecting to %s: %s\n", nats.c_str(), st.message().c_str());
      return 1;
    }
    links.push_back(std::move(link));
  }

  // Join: every node handshakes once, the connections in parallel.
  std::atomic<long> refused{0};
  std::atomic<int64_t> advised_ms{0};
  auto join_start = Steady::now();
  {
    std::vector<std::thread> joiners;
    for (long c = 0; c < connections; ++c) {
      joiners.emplace_back([&, c] {
        for (long i = c; i < nodes; i += connections) {
          transport::HandshakeRequest req;
          req.node_info = bench::simulatedNodeInfo(bench::simulatedNodeId(i));
          req.start_time = std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
          auto r = links[c]->handshake(req);
          if (!r.isOk() || !r->accepted) {
            refused++;
            continue;
          }
          advised_ms =
              std::chrono::duration_cast<std::chrono::milliseconds>(r->heartbeat_interval).count();
        }
      });
    }
    for (auto& t : joiners) t.join();
  }
  double join_s = std::chrono::duration<double>(Steady::now() - join_start).count();
  auto interval = most_interval;
  if (advised_ms > 0) interval = std::min(interval, std::chrono::milliseconds(advised_ms.load()));
  std::printf(
      "%ld nodes joined in %.1f s over %ld connections (%ld refused); heartbeat every %lld ms\n",
      nodes - refused.load(), join_s, connections, refused.load(),
      static_cast<long long>(interval.count()));

  // Heartbeats, each node once per interval, spread over it; the last `silence` nodes stop after
  // `seconds` while the rest go on until the end.
  std::atomic<bool> stop{false};
  std::atomic<bool> silenced{false};
  std::vector<std::vector<double>> heartbeat_ms(connections);
  std::atomic<long> heartbeat_errors{0};
  std::vector<std::thread> beaters;
  for (long c = 0; c < connections; ++c) {
    beaters.emplace_back([&, c] {
      std::vector<long> mine;
      for (long i = c; i < nodes; i += connections) mine.push_back(i);
      if (mine.empty()) return;
      auto step = interval / static_cast<long>(mine.size());
      auto next = Steady::now();
      while (!stop) {
        for (long i : mine) {
          if (stop) return;
          next += step;
          std::this_thread::sleep_until(next);
          if (silenced && i >= nodes - silence) continue;
          transport::HeartbeatRequest hb;
          hb.node_id = bench::simulatedNodeId(i);
          hb.available_capacity.cpu = 8;
          hb.available_capacity.memory = 32'000'000'000;
          auto t0 = Steady::now();
          auto r = links[c]->heartbeat(hb);
          if (!r.isOk() || !r->known) {
            heartbeat_errors++;
            continue;
          }
          heartbeat_ms[c].push_back(
              std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
        }
      }
    });
  }

  // While every node is connected: page through GET /nodes.
  api::client::ClientOptions options;
  options.port = api_port;
  options.timeout = std::chrono::seconds(60);
  auto client = std::move(api::client::ApiClient::create(options)).value();
  std::vector<double> page_ms;
  auto steady_end = Steady::now() + std::chrono::seconds(seconds);
  while (Steady::now() < steady_end) {
    api::client::ListNodesOptions o;
    o.limit = static_cast<uint64_t>(page);
    auto t0 = Steady::now();
    auto listed = client.listNodes(o);
    if (listed.isOk()) {
      page_ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::vector<double> all_hb;
  for (auto& v : heartbeat_ms) all_hb.insert(all_hb.end(), v.begin(), v.end());
  std::printf("heartbeats: %zu answered (%ld errors), latency ms p50 %.2f p99 %.2f max %.2f\n",
              all_hb.size(), heartbeat_errors.load(), percentile(all_hb, 0.5),
              percentile(all_hb, 0.99), percentile(all_hb, 1.0));
  std::printf("GET /nodes?limit=%ld: %zu pages, latency ms p50 %.2f p99 %.2f max %.2f\n", page,
              page_ms.size(), percentile(page_ms, 0.5), percentile(page_ms, 0.99),
              percentile(page_ms, 1.0));
  std::fflush(stdout);

  // Disconnect detection: how long after their last heartbeat the silenced nodes are marked.
  if (silence > 0) {
    auto silent_since = Steady::now();
    silenced = true;
    std::string probe = bench::simulatedNodeId(nodes - 1);
    std::string probe_first = bench::simulatedNodeId(nodes - silence);
    double last_marked_s = -1;
    auto give_up = silent_since + std::chrono::minutes(3);
    while (Steady::now() < give_up) {
      auto a = client.getNode(probe);
      auto b = client.getNode(probe_first);
      if (a.isOk() && b.isOk() && a->connection_state.status != models::kConnectionConnected &&
          b->connection_state.status != models::kConnectionConnected) {
        last_marked_s = std::chrono::duration<double>(Steady::now() - silent_since).count();
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    // A node still heartbeating must not be lost meanwhile.
    auto alive = client.getNode(bench::simulatedNodeId(0));
    bool alive_ok = alive.isOk() && alive->connection_state.status == models::kConnectionConnected;
    std::printf(
        "%ld nodes fell silent: marked disconnected after %.1f s (of silence); a "
        "heartbeating node is %s\n",
        silence, last_marked_s, alive_ok ? "still connected" : "LOST");
  }
  stop = true;
  for (auto& t : beaters) t.join();
  for (auto& l : links) l->stop();
  return refused == 0 ? 0 : 1;
}
