// Control-plane benchmark: N clients submit noop batch jobs concurrently to a running cod and
// the run ends when every job has completed. Reports submit latency percentiles and completed
// jobs per second. Not a test: it measures, it does not judge.
//
//   submit_bench --port 1234 --jobs 2000 --clients 8

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

using namespace cod;
using cod::bench::noopJob;
using cod::bench::percentile;
using Steady = std::chrono::steady_clock;

int main(int argc, char** argv) {
  int port = static_cast<int>(bench::numberFlag(argc, argv, "--port", 1234));
  int jobs = static_cast<int>(bench::numberFlag(argc, argv, "--jobs", 2000));
  int clients = static_cast<int>(bench::numberFlag(argc, argv, "--clients", 8));

  api::client::ClientOptions options;
  options.port = port;
  std::vector<std::vector<double>> latencies(clients);
  std::vector<std::vector<std::string>> ids(clients);
  std::atomic<int> next{0};
  std::atomic<int> errors{0};
  auto start = Steady::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto client = api::client::ApiClient::create(options);
      if (!client.isOk()) {
        errors++;
        return;
      }
      models::Job job = noopJob();
      while (next.fetch_add(1) < jobs) {
        auto t0 = Steady::now();
        auto r = client->submitJob(job);
        auto t1 = Steady::now();
        if (!r.isOk()) {
          errors++;
          std::fprintf(stderr, "submit failed: %s\n", r.status().message().c_str());
          continue;
        }
        latencies[c].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        ids[c].push_back(r->job_id);
      }
    });
  }
  for (auto& t : threads) t.join();
  auto submitted = Steady::now();

  // Wait for every job to finish: walk the jobs in submission order, waiting at the first one
  // that is still running.
  auto client = std::move(api::client::ApiClient::create(options)).value();
  std::vector<std::string> order;
  for (auto& v : ids) order.insert(order.end(), v.begin(), v.end());
  size_t completed = 0, failed = 0, index = 0;
  auto deadline = Steady::now() + std::chrono::minutes(10);
  while (index < order.size() && Steady::now() < deadline) {
    auto j = client.getJob(order[index]);
    auto s = j.isOk() ? j->job.state.state_type : models::JobStateType::kUndefined;
    if (!models::isTerminal(s)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    (s == models::JobStateType::kCompleted ? completed : failed)++;
    index++;
  }
  size_t unfinished = order.size() - index;
  auto finished = Steady::now();

  std::vector<double> all;
  for (auto& v : latencies) all.insert(all.end(), v.begin(), v.end());
  double total_s = std::chrono::duration<double>(finished - start).count();
  double submit_s = std::chrono::duration<double>(submitted - start).count();
  std::printf(
      "jobs=%d clients=%d submitted=%zu submit_errors=%d completed=%zu failed=%zu "
      "unfinished=%zu\n",
      jobs, clients, all.size(), errors.load(), completed, failed, unfinished);
  std::printf("submit_latency_ms p50=%.2f p90=%.2f p99=%.2f max=%.2f\n", percentile(all, 0.5),
              percentile(all, 0.9), percentile(all, 0.99), percentile(all, 1.0));
  std::printf(
      "submit_rate=%.0f jobs/s  completed_rate=%.0f jobs/s  (all submitted after %.2f s, "
      "all completed after %.2f s)\n",
      static_cast<double>(all.size()) / submit_s, static_cast<double>(completed) / total_s,
      submit_s, total_s);
  return unfinished == 0 && failed == 0 && errors == 0 ? 0 : 1;
}
