#pragma once

// What the benchmark programs share: flag reading, the noop job they submit, percentiles.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "models/job.h"
#include "models/node.h"

namespace cod::bench {

// "--name value" from the command line, or `fallback` when absent.
inline std::string stringFlag(int argc, char** argv, const char* name,
                              const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == name) return argv[i + 1];
  }
  return fallback;
}

inline double numberFlag(int argc, char** argv, const char* name, double fallback) {
  std::string v = stringFlag(argc, argv, name, "");
  return v.empty() ? fallback : std::atof(v.c_str());
}

// A one-partition noop batch job.
inline models::Job noopJob() {
  models::Job j;
  j.type = models::kJobTypeBatch;
  j.count = 1;
  models::Task t;
  t.name = "main";
  t.engine.type = "noop";
  j.tasks.push_back(t);
  return j;
}

// The ID of simulated node i: "n-sim-000042".
inline std::string simulatedNodeId(long i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "n-sim-%06ld", i);
  return buf;
}

// What a real compute node sends at handshake: engines, sources, publishers, capacity, labels.
inline models::NodeInfo simulatedNodeInfo(const std::string& id) {
  models::NodeInfo info;
  info.node_id = id;
  info.node_type = models::kNodeTypeCompute;
  info.labels = {{"os_type", "linux"},
                 {"os_arch", "amd64"},
                 {"name", id},
                 {"hostname", id},
                 {"zone", "zone-" + id.substr(id.size() - 1)}};
  info.supported_protocols = {"cod/v1"};
  auto& ci = info.compute_node_info;
  ci.execution_engines = {"docker", "noop", "wasm", "python"};
  ci.storage_sources = {"inline", "urlDownload", "s3", "ipfs", "localDirectory"};
  ci.publishers = {"local", "noop", "s3", "ipfs"};
  ci.max_capacity.cpu = 8;
  ci.max_capacity.memory = 32'000'000'000;
  ci.max_capacity.disk = 500'000'000'000;
  ci.max_job_requirements = ci.max_capacity;
  ci.available_capacity = ci.max_capacity;
  ci.address = "10.0.0.1";
  return info;
}

// The value at fraction `p` (0..1) of the sorted samples; 0 when there are none.
inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t idx = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return v[idx];
}

}  // namespace cod::bench
