#pragma once

// Runs and supervises a `nats-server` child process for `cod serve --orchestrator` (DESIGN §5), so
// that a single machine needs no NATS set-up of its own. Its files live in <data dir>/nats/:
//   token            the authorization token, generated once (0600) and reused across restarts;
//                    with per-node credentials, the join user's password
//   orchestrator-password, nodes
//                    with per-node credentials: the orchestrator's own password, and each admitted
//                    node's ID and secret, one per line (0600)
//   nats-server.conf written at every start (0600; carries the token, so it is not on the command
//                    line for `ps` to show)
//   nats-server.log  the server's stdout and stderr
//   nats-server.pid, nats-server_<pid>.ports, store/
// The child is in its own process group (a terminal's Ctrl-C goes to cod, which stops it) and gets
// SIGTERM if cod dies.

#include <sys/types.h>

#include <condition_variable>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace cod::transport {

struct NatsServerOptions {
  // Required: the node's data dir; the server's files go in its "nats" subfolder.
  std::filesystem::path data_dir;
  // The nats-server binary: a path, or a name looked up in PATH (then /usr/sbin, /usr/local/bin).
  std::string binary = "nats-server";
  // Listen address and port. Port 0 lets the server pick a free one at the first start; restarts
  // reuse it, so clients reconnect to the same URL.
  std::string host = "0.0.0.0";
  int port = 4222;
  // Empty: generated once and kept in <data dir>/nats/token.
  std::string token;
  // TLS: with a certificate and its key (PEM files), the server accepts only TLS connections and
  // url() says tls://. Both or neither.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Mutual TLS: with a CA file (PEM), every client must present a certificate it trusts. Needs the
  // certificate and key above.
  std::string tls_client_ca_file;
  // Largest message the server accepts. An AskForBid carries the job spec, inline inputs included.
  int64_t max_payload_bytes = int64_t{8} * 1024 * 1024;
  // Per-node credentials: instead of one token for everyone, the server knows three kinds of users
  // (subjects.h): the orchestrator (kNatsOrchestratorUser, every subject), the join user
  // (kNatsJoinUser, password: the token), who may only ask to join, and one user per admitted node
  // (admitNode), who may publish only as that node and read only what is sent to it.
  bool node_credentials = false;
  bool jetstream = false;
  Duration start_timeout = std::chrono::seconds(10);
  // How long stop() waits after SIGTERM before SIGKILL.
  Duration stop_grace = std::chrono::seconds(5);
  // Restart delays after the server dies: doubling from min to max; back to min once it has run
  // for a minute.
  Duration restart_backoff_min = std::chrono::milliseconds(100);
  Duration restart_backoff_max = std::chrono::seconds(10);
};

// A secret kept in `file` (the token, the orchestrator's password, a node's own secret): 48 hex
// digits generated (0600) the first time, reused after. Written whole or not at all; an empty
// file (left by a crash) is generated again.
Result<std::string> loadOrCreateSecret(const std::filesystem::path& file);

class NatsServerProcess {
 public:
  explicit NatsServerProcess(NatsServerOptions options);
  ~NatsServerProcess();  // stop()
  NatsServerProcess(const NatsServerProcess&) = delete;
  NatsServerProcess& operator=(const NatsServerProcess&) = delete;

  // Starts the server and returns once it accepts connections; from then on a monitor thread
  // restarts it (same port, with backoff) whenever it dies. Errors: FailedPrecondition when the
  // binary is missing, InvalidArgument for an unusable TLS certificate or key file, Unavailable
  // when the server exits or does not get ready in time (the message ends with the tail of its
  // output, e.g. "address already in use"), Internal for file errors. Called at most once.
  Status start();
  // Stops supervising, SIGTERMs the server (SIGKILL after stop_grace) and reaps it. Idempotent.
  void stop();

  // What a client on this machine dials: "nats://127.0.0.1:4222", or tls:// with TLS (a wildcard
  // host becomes 127.0.0.1). Valid after start().
  std::string url() const;
  const std::string& token() const { return token_; }
  // With node_credentials: the password of kNatsOrchestratorUser. Valid after start().
  const std::string& orchestratorPassword() const { return orchestrator_password_; }

  // With node_credentials: lets node `node_id` connect as itself with `secret`, from now on and
  // after restarts, and returns once the running server has taken it. Idempotent for the same
  // secret. FailedPrecondition when the ID is taken by a node with another secret (a node cannot
  // take over another's identity) or node credentials are off; InvalidArgument for an ID or secret
  // the server configuration cannot hold; Unavailable when the server did not reload in time.
  // Thread-safe.
  Status admitNode(const std::string& node_id, const std::string& secret);
  // Withdraws a node's credentials; the server drops its connection. Unknown IDs are no error.
  Status removeNode(const std::string& node_id);
  // The admitted nodes' IDs.
  std::vector<std::string> admittedNodes() const;
  // An admitted node's secret (what keys its result URLs); nullopt for any other ID.
  std::optional<std::string> nodeSecret(const std::string& node_id) const;
  int port() const;
  // The running child's pid, or -1 while there is none (between a death and its restart).
  pid_t pid() const;
  // How many times the server was restarted after dying.
  int restarts() const;

 private:
  Status prepareFiles();
  // The configuration for the current users (node_credentials) or the token.
  std::string configText() const;
  // Rewrites the nodes file and the configuration, then has the server reload it.
  Status applyNodes();
  // Forks and execs the server; on success pid_ is set (under mu_).
  Status spawn();
  // Waits until the freshly spawned child listens. On failure no child is left running, except
  // when stop() interrupted the wait (the caller then reaps it).
  Status waitReady(std::unique_lock<std::mutex>& lock);
  // Blocks until the child exits, then reaps it under mu_; returns its wait status.
  int waitExit();
  void monitor(std::promise<Status> started);
  std::string outputTail() const;

  NatsServerOptions options_;
  std::filesystem::path dir_;
  std::string binary_path_;
  std::string token_;
  std::string orchestrator_password_;
  std::string tls_block_;                     // the configuration's tls block, "" without TLS
  std::mutex admit_mu_;                       // one admission or removal at a time
  mutable std::mutex nodes_mu_;               // guards nodes_ (mu_ is the child process's)
  std::map<std::string, std::string> nodes_;  // node ID → secret

  mutable std::mutex mu_;
  std::condition_variable cv_;
  pid_t pid_ = -1;      // the child while it has not been reaped
  int port_ = 0;        // the port it listens on once known
  bool ready_ = false;  // the current child accepts connections (and handles SIGHUP)
  int restarts_ = 0;
  bool stopping_ = false;
  bool exited_ = false;       // the monitor thread is done and no child is left
  uintmax_t log_offset_ = 0;  // where the current child's output starts in the log
  std::thread monitor_;
};

}  // namespace cod::transport
