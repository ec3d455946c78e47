// `cod serve` and `cod devstack`: flags → node::ServeOptions / DevstackOptions.

#include <memory>

#include "cli/context.h"
#include "cli/job_flags.h"
#include "common/strings.h"
#include "common/units.h"
#include "node/config.h"
#include "node/node.h"

namespace cod::cli {

namespace {

// Flags shared by serve and devstack, as typed (durations and labels parsed in finish()).
struct ServeFlags {
  node::ServeOptions options;
  std::vector<std::string> labels;
  std::string node_disconnect_timeout;
  std::string job_retention;
};

void addServeFlags(CLI::App* cmd, ServeFlags* f, bool with_roles) {
  node::ServeOptions& o = f->options;
  cmd->add_option("--data-dir", o.data_dir, "Data directory (default $COD_DIR or ~/.cod)");
  // Shadows the root --api-host/--api-port: here they say where to listen.
  cmd->add_option("--api-host", o.api_host,
                  "Address the API listens on (default 127.0.0.1 while no API users are "
                  "configured, 0.0.0.0 once they are: config API.Auth.Users)");
  cmd->add_option("--api-tls-cert-file", o.api_tls_cert_file,
                  "Serve the API over HTTPS with this certificate (chain), a PEM file");
  cmd->add_option("--api-tls-key-file", o.api_tls_key_file,
                  "The private key of --api-tls-cert-file, a PEM file");
  cmd->add_option("--api-port", o.api_port, "Port the API listens on (0 = pick a free one)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  if (with_roles) {
    cmd->add_flag("--orchestrator", o.orchestrator, "Run the orchestrator");
    cmd->add_flag("--compute", o.compute, "Run a compute node");
    cmd->add_option("--name", o.name, "Node name (default: a persistent n-<uuid>)");
  }
  cmd->add_option("-l,--labels", f->labels, "Node labels, k=v (repeatable, comma-separated)");
  cmd->add_option("--log-level", o.log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}, CLI::ignore_case))
      ->capture_default_str();
  cmd->add_option("--node-disconnect-timeout", f->node_disconnect_timeout,
                  "How long a silent compute node stays connected, e.g. 20s (default " +
                      formatDuration(o.node_disconnect_timeout) + ")");
  cmd->add_option("--job-retention", f->job_retention,
                  "Remove jobs this long after they ended, with their executions, history and the "
                  "results compute nodes keep, e.g. 168h (default 0: keep every job)");
  cmd->add_option("-c,--config", o.config_files, "Extra YAML config file (repeatable)");
  cmd->add_option("--allowed-origins", o.allowed_origins,
                  "Web origins (like https://ui.example.com) whose pages may call the API from a "
                  "browser (repeatable, comma-separated; default: none but the API's own)")
      ->delimiter(',');
  cmd->add_option("--api-rate-limit", o.api_rate_limit,
                  "Requests per second one client address may make; past it the API answers 429 "
                  "with Retry-After (0 = no limit)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--api-max-connections-per-client", o.api_max_connections_per_client,
                  "Connections one client address may hold open to the API (0 = no limit)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_flag("--require-approval", o.require_approval,
                "New compute nodes get no work until 'cod node approve' (orchestrator)");
  cmd->add_option("--max-job-count", o.max_job_count, "Most partitions (Count) one job may ask for")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}))
      ->capture_default_str();

  // Orchestrator: messaging.
  cmd->add_option("--nats-url", o.nats_url,
                  "Use this NATS server or cluster instead of starting nats-server");
  cmd->add_option("--nats-host", o.nats_host, "Address the nats-server child listens on")
      ->capture_default_str();
  cmd->add_option("--nats-port", o.nats_port, "Port of the nats-server child (0 = a free one)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--token", o.token,
                  "Token shared by orchestrator and compute nodes (orchestrator: default is "
                  "generated once and kept in the data dir)");
  cmd->add_option("--nats-tls-cert-file", o.nats_tls_cert_file,
                  "Serve the nats-server child over TLS only, with this certificate (PEM)");
  cmd->add_option("--nats-tls-key-file", o.nats_tls_key_file,
                  "The private key of --nats-tls-cert-file (PEM)");
  cmd->add_option("--nats-tls-client-ca-file", o.nats_tls_client_ca_file,
                  "Mutual TLS: the nats-server child admits only clients whose certificate this "
                  "CA file (PEM) trusts; it must trust --nats-tls-cert-file too, which the "
                  "orchestrator presents as its own");
  cmd->add_option("--tls-ca-file", o.tls_ca_file,
                  "CA certificate that verifies the NATS server's (tls:// URLs)");
  cmd->add_option("--tls-cert-file", o.tls_cert_file, "Client certificate for NATS (mutual TLS)");
  cmd->add_option("--tls-key-file", o.tls_key_file, "Client key for NATS (mutual TLS)");
  // Compute.
  if (with_roles) {
    cmd->add_option("--orchestrators", o.orchestrators,
                    "NATS URL(s) of the orchestrator to join (comma-separated)")
        ->capture_default_str();
  }
  cmd->add_option("--advertise-address", o.advertise_address,
                  "Address other hosts use to reach this node's results")
      ->capture_default_str();
  cmd->add_option("--publisher-host", o.publisher_host,
                  "Address the result server listens on (default: the --advertise-address)");
  cmd->add_option("--publisher-port", o.publisher_port,
                  "Port serving the local publisher's results (0 = a free one)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--docker-socket", o.docker_socket,
                  "Docker Engine socket (default $DOCKER_HOST or /var/run/docker.sock)");
  cmd->add_option("--docker-capabilities", o.docker_capabilities,
                  "Linux capabilities Docker containers keep, all others dropped "
                  "(comma-separated; default CHOWN,FOWNER,FSETID,KILL,NET_BIND_SERVICE; none = "
                  "no capability)")
      ->delimiter(',');
  cmd->add_flag("--docker-read-only-root", o.docker_read_only_root,
                "Mount Docker containers' root file system read-only (/tmp is a tmpfs; result "
                "paths and inputs stay as they are)");
  cmd->add_option("--docker-user", o.docker_user,
                  "Run every Docker container as this numeric uid:gid, whatever the image's USER; "
                  "result folders are handed to it");
  cmd->add_flag("--docker-require-userns-remap", o.docker_require_userns_remap,
                "Decline Docker jobs unless dockerd runs containers in a user namespace "
                "(dockerd --userns-remap)");
  cmd->add_option("--disable-engines", o.disabled_engines,
                  "Engines this compute node must not offer (comma-separated), e.g. docker")
      ->delimiter(',');
  cmd->add_option(
         "--disable-input-sources", o.disabled_input_sources,
         "Input sources this node must not serve (comma-separated), e.g. urlDownload,local")
      ->delimiter(',');
  cmd->add_option("--disable-publishers", o.disabled_publishers,
                  "Publishers this node must not offer (comma-separated), e.g. s3")
      ->delimiter(',');
  cmd->add_option("--ipfs-connect", o.ipfs_connect,
                  "The IPFS node (Kubo RPC API) for ipfs inputs and the ipfs publisher, as a "
                  "multiaddr, e.g. /ip4/127.0.0.1/tcp/5001");
  cmd->add_option("--pyodide-dir", o.pyodide_dir,
                  "Where scripts/install-pyodide.sh installed Pyodide, for the python engine "
                  "(default $COD_PYODIDE_DIR or /usr/local/lib/cod/pyodide)");
  cmd->add_option("--input-cache-size", o.input_cache_size,
                  "Keep downloaded S3 objects and CIDs on this node's disk up to this size, so "
                  "repeated jobs stage from disk (0 = no cache)")
      ->capture_default_str();
  cmd->add_option("--allow-listed-local-paths", o.allow_listed_local_paths,
                  "Host paths that local inputs may mount (comma-separated; a :rw suffix allows "
                  "ReadWrite), e.g. /data,/scratch:rw")
      ->delimiter(',');
  cmd->add_flag("--allow-networked-jobs", o.allow_networked_jobs,
                "Run jobs that ask for network access (Network Full, Bridge or HTTP); without it "
                "only Network None runs");
  cmd->add_flag("--allow-host-network", o.allow_host_network,
                "Also run jobs with Network Host, which share this machine's network and reach "
                "every service on its loopback (the cod API among them)");
  cmd->add_option("--capacity-cpu", o.capacity_cpu,
                  "CPU cores offered to jobs (default 80% of the machine)");
  cmd->add_option("--capacity-memory", o.capacity_memory,
                  "Memory offered to jobs, e.g. 8gb (default 80% of the machine)");
  cmd->add_option("--capacity-disk", o.capacity_disk,
                  "Disk offered to jobs, e.g. 100gb (default 80% of the free space)");
}

// Applies the -c config files (flags given on the command line win), then parses the typed flags
// into the options.
Status finish(ServeFlags& f, const CLI::App* cmd, CliContext& ctx) {
  auto flag_given = [cmd](const std::string& flag) {
    const CLI::Option* o = cmd->get_option_no_throw(flag);
    return o != nullptr && o->count() > 0;
  };
  for (const std::string& file : f.options.config_files) {
    COD_ASSIGN_OR_RETURN(auto ignored, node::applyConfigFile(file, &f.options, flag_given));
    if (!ignored.empty()) {
      ctx.err() << "Note: " << file << ": cod does not use " << join(ignored, ", ") << "\n";
    }
  }
  auto labels = parseLabels(f.labels);
  if (!labels.isOk()) return invalidArgument(labels.error().message());
  for (auto& [k, v] : *labels) f.options.labels[k] = v;
  if (!f.node_disconnect_timeout.empty()) {
    auto d = parseDuration(f.node_disconnect_timeout);
    if (!d.isOk()) {
      return invalidArgument("--node-disconnect-timeout: " + d.error().message());
    }
    if (d->count() <= 0) return invalidArgument("--node-disconnect-timeout must be positive");
    f.options.node_disconnect_timeout = *d;
  }
  if (!f.job_retention.empty()) {
    auto d = parseDuration(f.job_retention);
    if (!d.isOk()) return invalidArgument("--job-retention: " + d.error().message());
    if (d->count() < 0) return invalidArgument("--job-retention must not be negative");
    f.options.job_retention = *d;
  }
  f.options.log_level = toLower(f.options.log_level);
  return Status::ok();
}

}  // namespace

void registerServeCommands(CLI::App& root, CliContext& ctx) {
  {
    auto f = std::make_shared<ServeFlags>();
    CLI::App* cmd = root.add_subcommand(
        "serve", "Run a node: --orchestrator, --compute or both (neither = orchestrator)");
    addServeFlags(cmd, f.get(), /*with_roles=*/true);
    onRun(cmd, ctx, [&ctx, f, cmd]() -> Status {
      COD_RETURN_IF_ERROR(finish(*f, cmd, ctx));
      const auto& run = ctx.env().run_serve;
      int code = run ? run(f->options) : node::runServe(f->options);
      ctx.setExitCode(code);  // the node has already said why it stopped
      return Status::ok();
    });
  }
  {
    auto f = std::make_shared<ServeFlags>();
    auto computes = std::make_shared<int>(3);
    CLI::App* cmd = root.add_subcommand(
        "devstack", "Run an orchestrator and N compute node processes on this machine");
    addServeFlags(cmd, f.get(), /*with_roles=*/false);
    cmd->add_option("--computes", *computes, "Number of compute nodes")
        ->check(CLI::Range(0, 1000))
        ->capture_default_str();
    onRun(cmd, ctx, [&ctx, f, computes, cmd]() -> Status {
      COD_RETURN_IF_ERROR(finish(*f, cmd, ctx));
      node::DevstackOptions options;
      options.computes = *computes;
      options.base = f->options;
      const auto& run = ctx.env().run_devstack;
      int code = run ? run(options) : node::runDevstack(options);
      ctx.setExitCode(code);
      return Status::ok();
    });
  }
}

}  // namespace cod::cli
