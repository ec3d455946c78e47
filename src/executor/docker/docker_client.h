#pragma once

// A small client for the Docker Engine API (v1.41) over its unix socket, on libcurl. Only what the
// executor needs. Every call is synchronous and thread-safe (one curl handle per call).

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "common/status.h"

namespace cod::executor {

struct ContainerState {
  bool running = false;
  int64_t exit_code = 0;
  bool oom_killed = false;
  std::string error;
};

// What the executor needs from GET /info.
struct DaemonInfo {
  // The daemon runs containers in a user namespace (dockerd --userns-remap): its SecurityOptions
  // hold "name=userns".
  bool userns_remap = false;
  // The host uid and gid the containers' root maps to, read from DockerRootDir, which a remapping
  // daemon names <data-root>/<uid>.<gid>; -1 when the daemon does not remap or says otherwise.
  int64_t remap_uid = -1;
  int64_t remap_gid = -1;
};

// Reads DaemonInfo from a GET /info body.
Result<DaemonInfo> parseDaemonInfo(std::string_view body);

class DockerClient {
 public:
  // `socket` is a path ("/var/run/docker.sock"); "" = $DOCKER_HOST (unix://…) or the default.
  explicit DockerClient(std::string socket = "");

  const std::string& socketPath() const { return socket_; }

  Status ping() const;
  Result<DaemonInfo> info() const;
  // OK when present; NotFound when not.
  Status inspectImage(const std::string& image) const;
  // Pulls `image` ("busybox", "busybox:1.37", "reg:5000/x/y@sha256:…"). The registry's message
  // is in the error.
  Status pullImage(const std::string& image) const;
  // Returns the new container's ID. NotFound when the image is missing; AlreadyExists when the
  // name is taken.
  Result<std::string> createContainer(const boost::json::value& spec,
                                      const std::string& name) const;
  Status startContainer(const std::string& id) const;
  // Blocks until the container stops, up to `timeout_ms` (0 = no limit): DeadlineExceeded then.
  Result<int64_t> waitContainer(const std::string& id, int64_t timeout_ms) const;
  Result<ContainerState> inspectContainer(const std::string& id) const;
  Status killContainer(const std::string& id) const;
  // Force-removes the container and its anonymous volumes; OK when it is already gone.
  Status removeContainer(const std::string& id) const;
  // The demultiplexed output of a container (Tty=false), read from its stdio rather than its log
  // file: `sink(stream, bytes)` gets stream 1 for stdout, 2 for stderr, in order, in chunks, the
  // bytes exactly as the task wrote them. Call it before starting the container: `on_attached` runs
  // once the daemon has attached (start the container then), and the call returns when the
  // container stops. Following the log instead lost a last line without a newline (dockerd 20.10,
  // moby/moby#43860).
  // When `abort` becomes true the request is given up within about a second (Cancelled).
  Status attachContainer(const std::string& id,
                         const std::function<void(int stream, std::string_view data)>& sink,
                         const std::function<void()>& on_attached,
                         const std::atomic<bool>* abort = nullptr) const;
  // IDs of containers (running or not) with every given label.
  Result<std::vector<std::string>> listContainers(
      const std::map<std::string, std::string>& labels) const;

 private:
  struct Response {
    long status = 0;
    std::string body;
  };
  // One request. `on_data`, when set, receives the body as it streams instead of `body`;
  // `on_headers` gets the status once the answer's headers are in.
  Result<Response> request(const std::string& method, const std::string& path,
                           const std::string& body, int64_t timeout_ms,
                           const std::function<void(std::string_view)>& on_data = {},
                           const std::atomic<bool>* abort = nullptr,
                           const std::function<void(long)>& on_headers = {}) const;
  // The daemon's {"message": …} text of a failed response.
  static std::string errorMessage(const Response& r);

  std::string socket_;
};

}  // namespace cod::executor
