#pragma once

// `cod serve -c FILE` / `cod devstack -c FILE`: YAML config files with Bacalhau's key names
// (reference §11) for what cod supports, plus cod's own. Files apply in order; a flag given on the
// command line wins over every file. Keys cod does not know are reported back (and ignored), so a
// Bacalhau config file works without edits.
//
//   DataDir: /var/lib/cod
//   API:
//     Host: 0.0.0.0                 # default 127.0.0.1 without Auth.Users, 0.0.0.0 with
//     Port: 1234
//     AllowedOrigins: [https://ui.example.com]
//     RateLimit: 1000               # cod's own
//     MaxConnectionsPerClient: 256  # cod's own
//     TLS: {CertFile: /etc/cod/api.pem, KeyFile: /etc/cod/api.key}
//     Auth:
//       Users:
//         - {Alias: ci, APIKey: "…", Capabilities: [{Actions: [read:job, write:job]}]}
//         - {Username: alice, Password: "…", Capabilities: [{Actions: ["*"]}]}
//   Orchestrator:
//     Enabled: true
//     Host: 0.0.0.0
//     Port: 4222
//     MaxJobCount: 10000
//     NodeManager: {ManualApproval: true}   # new compute nodes wait for `cod node approve`
//     Scheduler:   # cod's own: retry defaults per job type (Batch, Service, Daemon); a job's
//       Retry:     # Meta cod.retry.* keys still win
//         Batch: {Limit: 5, Delay: 2s, Factor: 2, MaxDelay: 1m}
//         Service: {Limit: unlimited, MaxDelay: 10m}
//   Compute:
//     Enabled: true
//     Orchestrators: [nats://10.0.0.1:4222]
//     AllowListedLocalPaths: [/data, /scratch:rw]
//     AllowHostNetwork: false
//     AdvertiseAddress: 10.0.0.7
//   JobAdmissionControl: {AcceptNetworkedJobs: true}
//   Engines:
//     Disabled: [wasm]
//     Types:     # cod's own: how Docker containers are confined
//       Docker: {Capabilities: [CHOWN, KILL], ReadOnlyRootFilesystem: true, User: "1000:1000",
//                RequireUserNamespace: true}
//   InputSources:
//     Disabled: [urlDownload]
//     Types: {IPFS: {Endpoint: /ip4/127.0.0.1/tcp/5001}}
//     Cache: {Size: 10gb}   # cod's own: the compute node's input cache
//   Publishers:
//     Disabled: [s3]
//     Types: {IPFS: {Endpoint: /ip4/127.0.0.1/tcp/5001},
//             S3: {PreSignedURLDisabled: false, PreSignedURLExpiration: 30m}}
//   Labels: {zone: eu-1}

#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "node/node.h"

namespace cod::node {

// Applies one config file to `options`. `flag_given("--api-port")` says whether the command line
// set that flag (then the file's value is skipped). Returns the dotted names of keys it ignored;
// InvalidArgument naming the file and key for a value of the wrong kind.
Result<std::vector<std::string>> applyConfigFile(
    const std::string& path, ServeOptions* options,
    const std::function<bool(const std::string& flag)>& flag_given);

}  // namespace cod::node
