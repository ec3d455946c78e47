#pragma once

// Starting cod: `cod serve` (orchestrator, compute, or both in one process) and `cod devstack`
// (one orchestrator and N compute processes). This is the one component that knows every
// implementation and wires them from configuration.

#include <map>
#include <string>
#include <vector>

#include "api/auth.h"
#include "common/clock.h"

namespace cod::node {

// $COD_PYODIDE_DIR, else /usr/local/lib/cod/pyodide (scripts/install-pyodide.sh's default).
std::string defaultPyodideDir();

struct ServeOptions {
  std::string data_dir;  // "" = $COD_DIR or ~/.cod
  // Where the API listens; "" = 127.0.0.1 while no users are configured (an open API reaches only
  // this machine), 0.0.0.0 once they are (apiListenHost).
  std::string api_host;
  int api_port = 1234;  // 0 = pick a free port (printed on start)
  // Who may call the API (config API.Auth.Users; api/auth.h); none = everyone who reaches it.
  std::vector<api::ApiUser> api_users;
  // HTTPS: the API's certificate (chain) and private key, PEM files; both or neither.
  std::string api_tls_cert_file;
  std::string api_tls_key_file;
  bool orchestrator = false;
  bool compute = false;  // neither flag = orchestrator only, like Bacalhau
  std::string name;      // node name; "" = a persistent generated n-<uuid>
  std::map<std::string, std::string> labels;
  std::string log_level = "info";
  // Origins whose browser pages may call the API (CORS); empty = none but the API's own.
  std::vector<std::string> allowed_origins;
  // Requests per second one client address may make (429 with Retry-After past it; Bacalhau's
  // limit; 0 = none), and how many connections it may hold open.
  double api_rate_limit = 1000;
  int api_max_connections_per_client = 256;
  // Extra YAML config files (-c), applied in order.
  std::vector<std::string> config_files;

  // ---- orchestrator ----
  // How long a silent compute node stays connected.
  Duration node_disconnect_timeout = std::chrono::seconds(20);
  // New compute nodes join PENDING and get no work until `cod node approve` (Bacalhau's
  // Orchestrator.NodeManager.ManualApproval).
  bool require_approval = false;
  // Remove jobs this long after they ended, with their records and the results compute nodes
  // keep (zero = keep every job).
  Duration job_retention{0};
  // Re-check queued jobs this often.
  Duration queue_backoff = std::chrono::seconds(5);
  // Most partitions (Count) one job may ask for (models::JobLimits).
  int64_t max_job_count = 10000;
  // Retry defaults per job type ("batch", "service", "daemon"), as the cod.retry.* Meta keys a job
  // could set (config Orchestrator.Scheduler.Retry.<Type>.{Limit,Delay,Factor,MaxDelay}); a job's
  // own Meta still wins.
  std::map<std::string, std::map<std::string, std::string>> retry_defaults;
  // An existing NATS server or cluster to use instead of starting a nats-server child.
  std::string nats_url;
  // Where the nats-server child listens (port 0 = a free one).
  std::string nats_host = "0.0.0.0";
  int nats_port = 4222;
  // TLS for the nats-server child: its certificate and key (PEM). Compute nodes then join with
  // tls:// and a CA file that verifies the certificate.
  std::string nats_tls_cert_file;
  std::string nats_tls_key_file;
  // Mutual TLS: clients of the nats-server child must present a certificate this CA file trusts.
  // The orchestrator presents nats_tls_cert_file itself, so the file must trust that one too.
  std::string nats_tls_client_ca_file;

  // ---- compute ----
  // NATS URL(s) of the orchestrator(s) to join (comma-separated); hybrid nodes use their own.
  std::string orchestrators = "nats://127.0.0.1:4222";
  // Token shared by orchestrator and compute nodes. Orchestrator: "" = generated once and kept in
  // the data dir. Compute: required to join an orchestrator with a token.
  std::string token;
  // Optional TLS for the NATS connection (client side).
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  // Address other hosts use to reach this node (result downloads).
  std::string advertise_address = "127.0.0.1";
  // Where the local publisher serves results ("" = the advertise address; port 0 = a free one).
  std::string publisher_host;
  int publisher_port = 6001;
  // Orchestrator: how long the signed download URLs of local results (GET /jobs/:id/results)
  // stay valid.
  Duration result_url_expiration = std::chrono::hours(1);
  // Plugins this compute node must not offer, by name (Bacalhau's Engines.Disabled,
  // InputSources.Disabled, Publishers.Disabled): e.g. {"docker"}, {"urlDownload", "local"}.
  std::vector<std::string> disabled_engines;
  std::vector<std::string> disabled_input_sources;
  std::vector<std::string> disabled_publishers;
  // The IPFS node's RPC API (a multiaddr like /ip4/127.0.0.1/tcp/5001, or a URL) that `ipfs`
  // inputs are fetched from and the `ipfs` publisher adds to; "" = this node offers neither.
  std::string ipfs_connect;
  // Where scripts/install-pyodide.sh put Pyodide ($COD_PYODIDE_DIR): the python engine is offered
  // when <dir>/node_modules/pyodide holds it.
  std::string pyodide_dir = defaultPyodideDir();
  // The input cache's size limit under <data>/cache (S3 objects, CIDs); "0" = no cache.
  std::string input_cache_size = "10gb";
  // GET /jobs/:id/results shows s3 results as s3PreSigned URLs valid this long, signed with the
  // orchestrator's AWS credentials (Publishers.Types.S3.PreSignedURLDisabled /
  // PreSignedURLExpiration); without credentials they stay s3 results.
  bool s3_presigned_url_disabled = false;
  Duration s3_presigned_url_expiration = std::chrono::minutes(30);
  // The bucket the orchestrator manages for the s3managed publisher (Publishers.Types.S3Managed):
  // results land at <key>/<jobID>/<executionID>.tar.gz, uploaded by compute nodes through URLs
  // the orchestrator presigns with its own AWS credentials; "" = no managed bucket.
  struct S3Managed {
    std::string bucket;
    std::string key = "cod-results";
    std::string region;
    std::string endpoint;
    Duration expiration = std::chrono::hours(1);
  } s3_managed;
  // Host paths `local` inputs may mount ("/data", or "/data:rw" to allow ReadWrite).
  std::vector<std::string> allow_listed_local_paths;
  // Jobs asking for a network: Full/Bridge/HTTP need allow_networked_jobs, Host needs
  // allow_host_network; without them a node runs only jobs with Network None.
  bool allow_networked_jobs = false;
  bool allow_host_network = false;
  // Docker Engine socket ("" = $DOCKER_HOST or /var/run/docker.sock).
  std::string docker_socket;
  // How Docker containers are confined (Engines.Types.Docker; executor::DockerSandboxOptions):
  // the capabilities they keep (empty = the executor's minimal set, {"none"} = none), a read-only
  // root file system, a numeric "uid:gid" to run as, and docker jobs only under a dockerd that
  // remaps user namespaces.
  std::vector<std::string> docker_capabilities;
  bool docker_read_only_root = false;
  std::string docker_user;
  bool docker_require_userns_remap = false;
  // Heartbeat period.
  Duration heartbeat_interval = std::chrono::seconds(5);
  // Capacity offered to jobs; zero = 80 % of the machine.
  double capacity_cpu = 0;
  std::string capacity_memory;
  std::string capacity_disk;
};

struct DevstackOptions {
  int computes = 3;
  ServeOptions base;  // data_dir, api_host/port, nats/publisher ports, log level, timeouts
};

// Runs until SIGINT or SIGTERM; returns the process exit code. Prints one line saying where the
// API listens, then logs.
int runServe(const ServeOptions& options);
// The CA file a client on this machine verifies the orchestrator's NATS certificate with:
// --tls-ca-file, else the nats-server child's own certificate (taken as self-signed), else "".
std::string localNatsCaFile(const ServeOptions& options);
int runDevstack(const DevstackOptions& options);

// The address the API listens on: --api-host, else 127.0.0.1 without API users, else 0.0.0.0.
std::string apiListenHost(const ServeOptions& options);

// The data dir a command uses: the option, else $COD_DIR, else ~/.cod.
std::string resolveDataDir(const std::string& option);

}  // namespace cod::node
