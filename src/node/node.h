#pragma once

// Starting cod: `cod serve` (orchestrator, compute, or both in one process) and `cod devstack`
// (one orchestrator and N compute nodes). This is the one component that knows every
// implementation and wires them from configuration.

#include <map>
#include <string>
#include <vector>

#include "common/clock.h"

namespace cod::node {

struct ServeOptions {
  std::string data_dir;  // "" = $COD_DIR or ~/.cod
  std::string api_host = "0.0.0.0";
  int api_port = 1234;   // 0 = pick a free port (printed on start)
  bool orchestrator = false;
  bool compute = false;  // neither flag = orchestrator only, like Bacalhau
  std::string name;      // node name; "" = a persistent generated n-<uuid>
  std::map<std::string, std::string> labels;
  std::string log_level = "info";
  // Orchestrator: how long a silent compute node stays connected.
  Duration node_disconnect_timeout = std::chrono::seconds(20);
  // Orchestrator: re-check queued jobs this often.
  Duration queue_backoff = std::chrono::seconds(5);
  // Compute: heartbeat period.
  Duration heartbeat_interval = std::chrono::seconds(5);
  // Extra YAML config files (-c), applied in order.
  std::vector<std::string> config_files;
};

struct DevstackOptions {
  int computes = 3;
  ServeOptions base;  // data_dir, api_host/port, log level, timeouts
};

// Runs until SIGINT or SIGTERM; returns the process exit code. Prints one line saying where the
// API listens, then logs.
int runServe(const ServeOptions& options);
int runDevstack(const DevstackOptions& options);

// The data dir a command uses: the option, else $COD_DIR, else ~/.cod.
std::string resolveDataDir(const std::string& option);

}  // namespace cod::node
