// Open-loop load: requests arrive at fixed rates whatever the server's pace (closed-loop clients
// slow down with the server and hide its queueing). Submits noop batch jobs at --rate per second,
// describes a random job already submitted at --describe-rate, and lists the first 100 jobs at
// --list-rate, for --seconds; then waits until every submitted job has ended. Each latency runs
// from the request's scheduled arrival, so time spent waiting for a free worker counts
// (no coordinated omission). Not a test: it measures, it does not judge.
//
//   open_loop --port 1234 --rate 500 --describe-rate 500 --list-rate 10 --seconds 60

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "api/client/api_client.h"
#include "bench_util.h"

using namespace cod;
using cod::bench::noopJob;
using cod::bench::percentile;
using Steady = std::chrono::steady_clock;

namespace {

enum Kind { kSubmit = 0, kDescribe = 1, kList = 2 };
constexpr const char* kKindNames[] = {"submit", "describe", "list"};

struct Arrival {
  Kind kind;
  Steady::time_point due;
};

// What the workers measured, per kind.
struct Measured {
  std::mutex mu;
  std::vector<double> latency_ms[3];
  size_t errors[3] = {0, 0, 0};
  std::vector<std::string> ids;  // submitted jobs, for describes and the final wait
};

}  // namespace

int main(int argc, char** argv) {
  int port = static_cast<int>(bench::numberFlag(argc, argv, "--port", 1234));
  double rates[3] = {bench::numberFlag(argc, argv, "--rate", 500),
                     bench::numberFlag(argc, argv, "--describe-rate", 500),
                     bench::numberFlag(argc, argv, "--list-rate", 10)};
  double seconds = bench::numberFlag(argc, argv, "--seconds", 60);
  int workers = static_cast<int>(bench::numberFlag(argc, argv, "--workers", 64));

  api::client::ClientOptions options;
  options.port = port;
  options.timeout = std::chrono::seconds(30);

  std::mutex queue_mu;
  std::condition_variable queue_cv;
  std::deque<Arrival> queue;
  bool done = false;
  size_t most_waiting = 0;
  Measured m;

  std::vector<std::thread> pool;
  for (int w = 0; w < workers; ++w) {
    pool.emplace_back([&, w] {
      auto client = api::client::ApiClient::create(options);
      if (!client.isOk()) return;
      std::mt19937_64 rng(static_cast<uint64_t>(w) * 7919 + 1);
      models::Job job = noopJob();
      api::client::ListJobsOptions list;
      list.limit = 100;
      while (true) {
        Arrival a;
        {
          std::unique_lock lock(queue_mu);
          queue_cv.wait(lock, [&] { return done || !queue.empty(); });
          if (queue.empty()) return;
          a = queue.front();
          queue.pop_front();
        }
        bool ok = false;
        std::string id;
        if (a.kind == kSubmit) {
          auto r = client->submitJob(job);
          ok = r.isOk();
          if (ok) id = r->job_id;
        } else if (a.kind == kDescribe) {
          std::string target;
          {
            std::lock_guard lock(m.mu);
            if (!m.ids.empty()) target = m.ids[rng() % m.ids.size()];
          }
          if (target.empty()) continue;  // nothing submitted yet
          ok = client->getJob(target).isOk();
        } else {
          ok = client->listJobs(list).isOk();
        }
        double ms = std::chrono::duration<double, std::milli>(Steady::now() - a.due).count();
        std::lock_guard lock(m.mu);
        if (!ok) {
          m.errors[a.kind]++;
          continue;
        }
        m.latency_ms[a.kind].push_back(ms);
        if (!id.empty()) m.ids.push_back(std::move(id));
      }
    });
  }

  // The arrivals: each kind on its own fixed schedule, merged in time order.
  auto start = Steady::now();
  auto end =
      start + std::chrono::duration_cast<Steady::duration>(std::chrono::duration<double>(seconds));
  Steady::time_point next[3];
  Steady::duration period[3];
  for (int k = 0; k < 3; ++k) {
    period[k] = rates[k] > 0 ? std::chrono::duration_cast<Steady::duration>(
                                   std::chrono::duration<double>(1.0 / rates[k]))
                             : Steady::duration::max();
    next[k] = rates[k] > 0 ? start : Steady::time_point::max();
  }
  size_t scheduled[3] = {0, 0, 0};
  while (true) {
    int k = static_cast<int>(std::min_element(next, next + 3) - next);
    if (next[k] >= end) break;
    std::this_thread::sleep_until(next[k]);
    {
      std::lock_guard lock(queue_mu);
      queue.push_back({static_cast<Kind>(k), next[k]});
      most_waiting = std::max(most_waiting, queue.size());
    }
    queue_cv.notify_one();
    scheduled[k]++;
    next[k] += period[k];
  }
  {
    std::lock_guard lock(queue_mu);
    done = true;
  }
  queue_cv.notify_all();
  for (auto& t : pool) t.join();
  double run_s = std::chrono::duration<double>(Steady::now() - start).count();

  // Nothing dropped: every submitted job ends, and completes.
  auto client = std::move(api::client::ApiClient::create(options)).value();
  size_t completed = 0, failed = 0, index = 0;
  auto deadline = Steady::now() + std::chrono::minutes(10);
  while (index < m.ids.size() && Steady::now() < deadline) {
    auto j = client.getJob(m.ids[index]);
    auto s = j.isOk() ? j->job.state.state_type : models::JobStateType::kUndefined;
    if (!models::isTerminal(s)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    (s == models::JobStateType::kCompleted ? completed : failed)++;
    index++;
  }
  size_t unfinished = m.ids.size() - index;

  std::printf("open loop for %.1f s (target %.0f s), %d workers, at most %zu arrivals waiting\n",
              run_s, seconds, workers, most_waiting);
  for (int k = 0; k < 3; ++k) {
    if (rates[k] <= 0) continue;
    const auto& v = m.latency_ms[k];
    std::printf(
        "%-8s target %.0f/s  scheduled %zu  done %zu  errors %zu  latency ms p50 %.2f  p99 "
        "%.2f  max %.2f\n",
        kKindNames[k], rates[k], scheduled[k], v.size(), m.errors[k], percentile(v, 0.5),
        percentile(v, 0.99), percentile(v, 1.0));
  }
  std::printf("jobs: submitted %zu  completed %zu  failed %zu  unfinished %zu\n", m.ids.size(),
              completed, failed, unfinished);
  bool clean = unfinished == 0 && failed == 0 && m.errors[kSubmit] == 0 &&
               m.ids.size() == scheduled[kSubmit];
  return clean ? 0 : 1;
}
