#include "node/config.h"

#include <map>

#include <yaml-cpp/yaml.h>

#include "common/strings.h"
#include "common/units.h"
#include "orchestrator/scheduler/retry_policy.h"

namespace cod::node {

namespace {

// One supported key: its path, the flag that overrides it, and how to store it.
struct Key {
  const char* path;
  const char* flag;
  std::function<void(const YAML::Node&, ServeOptions*)> apply;
};

std::vector<std::string> strings(const YAML::Node& n) {
  if (n.IsSequence()) return n.as<std::vector<std::string>>();
  std::vector<std::string> out;
  for (const std::string& s : split(n.as<std::string>(), ',')) {
    if (!trim(s).empty()) out.emplace_back(trim(s));
  }
  return out;
}

// A duration value ("30m", "168h"); a YAML::Exception saying what is wrong otherwise.
enum class Sign { kAny, kNotNegative, kPositive };
Duration duration(const YAML::Node& n, Sign sign) {
  auto d = parseDuration(n.as<std::string>());
  if (!d.isOk()) throw YAML::Exception(n.Mark(), d.status().message());
  if (sign == Sign::kNotNegative && d->count() < 0) {
    throw YAML::Exception(n.Mark(), "must not be negative");
  }
  if (sign == Sign::kPositive && d->count() <= 0)
    throw YAML::Exception(n.Mark(), "must be positive");
  return *d;
}

// A map's value under `name`, matched without case (a null node when absent).
YAML::Node field(const YAML::Node& map, const char* name) {
  for (const auto& kv : map) {
    if (equalsIgnoreCase(kv.first.as<std::string>(), name)) return kv.second;
  }
  return YAML::Node();
}

// API.Auth.Users, Bacalhau's shape:
//   - {Alias: ci, APIKey: "…", Capabilities: [{Actions: [read:job, write:job]}]}
//   - {Username: alice, Password: "…", Capabilities: [{Actions: ["*"]}]}
std::vector<api::ApiUser> users(const YAML::Node& n) {
  if (!n.IsSequence()) throw YAML::Exception(n.Mark(), "expected a list of users");
  std::vector<api::ApiUser> out;
  for (const YAML::Node& u : n) {
    if (!u.IsMap()) throw YAML::Exception(u.Mark(), "expected a map for each user");
    for (const auto& kv : u) {
      auto key = kv.first.as<std::string>();
      bool known = false;
      for (const char* k : {"Alias", "Username", "Password", "APIKey", "Capabilities"}) {
        known = known || equalsIgnoreCase(key, k);
      }
      if (!known) {
        throw YAML::Exception(kv.first.Mark(),
                              "unknown user field '" + key +
                                  "' (use Alias, Username, Password, APIKey, Capabilities)");
      }
    }
    api::ApiUser user;
    auto text = [&](const char* name) {
      YAML::Node v = field(u, name);
      return v && !v.IsNull() ? v.as<std::string>() : std::string();
    };
    user.alias = text("Alias");
    user.username = text("Username");
    user.password = text("Password");
    user.api_key = text("APIKey");
    YAML::Node caps = field(u, "Capabilities");
    if (caps && !caps.IsNull()) {
      if (!caps.IsSequence()) throw YAML::Exception(caps.Mark(), "Capabilities must be a list");
      for (const YAML::Node& c : caps) {
        YAML::Node actions = c.IsMap() ? field(c, "Actions") : YAML::Node();
        if (!actions || !actions.IsSequence()) {
          throw YAML::Exception(c.Mark(), "each capability is {Actions: [read:job, …]}");
        }
        for (const YAML::Node& a : actions) user.actions.push_back(a.as<std::string>());
      }
    }
    out.push_back(std::move(user));
  }
  Status valid = api::validateAuthConfig(api::AuthConfig{out});
  if (!valid.isOk()) throw YAML::Exception(n.Mark(), valid.message());
  return out;
}

const std::vector<Key>& keys() {
  static const std::vector<Key> kKeys = {
      {"DataDir", "--data-dir",
       [](const YAML::Node& n, ServeOptions* o) { o->data_dir = n.as<std::string>(); }},
      {"API.Host", "--api-host",
       [](const YAML::Node& n, ServeOptions* o) { o->api_host = n.as<std::string>(); }},
      {"API.Port", "--api-port",
       [](const YAML::Node& n, ServeOptions* o) { o->api_port = n.as<int>(); }},
      {"API.RateLimit", "--api-rate-limit",
       [](const YAML::Node& n, ServeOptions* o) { o->api_rate_limit = n.as<double>(); }},
      {"API.MaxConnectionsPerClient", "--api-max-connections-per-client",
       [](const YAML::Node& n, ServeOptions* o) {
         o->api_max_connections_per_client = n.as<int>();
       }},
      {"API.Auth.Users", "", [](const YAML::Node& n, ServeOptions* o) { o->api_users = users(n); }},
      {"API.TLS.CertFile", "--api-tls-cert-file",
       [](const YAML::Node& n, ServeOptions* o) { o->api_tls_cert_file = n.as<std::string>(); }},
      {"API.TLS.KeyFile", "--api-tls-key-file",
       [](const YAML::Node& n, ServeOptions* o) { o->api_tls_key_file = n.as<std::string>(); }},
      {"API.AllowedOrigins", "--allowed-origins",
       [](const YAML::Node& n, ServeOptions* o) { o->allowed_origins = strings(n); }},
      {"Orchestrator.Enabled", "--orchestrator",
       [](const YAML::Node& n, ServeOptions* o) { o->orchestrator = n.as<bool>(); }},
      {"Orchestrator.Host", "--nats-host",
       [](const YAML::Node& n, ServeOptions* o) { o->nats_host = n.as<std::string>(); }},
      {"Orchestrator.Port", "--nats-port",
       [](const YAML::Node& n, ServeOptions* o) { o->nats_port = n.as<int>(); }},
      {"Orchestrator.JobRetention", "--job-retention",
       [](const YAML::Node& n, ServeOptions* o) {
         o->job_retention = duration(n, Sign::kNotNegative);
       }},
      {"Orchestrator.NodeManager.ManualApproval", "--require-approval",
       [](const YAML::Node& n, ServeOptions* o) { o->require_approval = n.as<bool>(); }},
      {"Orchestrator.MaxJobCount", "--max-job-count",
       [](const YAML::Node& n, ServeOptions* o) { o->max_job_count = n.as<int64_t>(); }},
      {"Compute.Enabled", "--compute",
       [](const YAML::Node& n, ServeOptions* o) { o->compute = n.as<bool>(); }},
      {"Compute.Orchestrators", "--orchestrators",
       [](const YAML::Node& n, ServeOptions* o) { o->orchestrators = join(strings(n), ","); }},
      {"Compute.AllowListedLocalPaths", "--allow-listed-local-paths",
       [](const YAML::Node& n, ServeOptions* o) { o->allow_listed_local_paths = strings(n); }},
      {"InputSources.Types.IPFS.Endpoint", "--ipfs-connect",
       [](const YAML::Node& n, ServeOptions* o) { o->ipfs_connect = n.as<std::string>(); }},
      {"Publishers.Types.IPFS.Endpoint", "--ipfs-connect",
       [](const YAML::Node& n, ServeOptions* o) { o->ipfs_connect = n.as<std::string>(); }},
      {"InputSources.Cache.Size", "--input-cache-size",
       [](const YAML::Node& n, ServeOptions* o) { o->input_cache_size = n.as<std::string>(); }},
      {"Publishers.Types.Local.Address", "--publisher-host",
       [](const YAML::Node& n, ServeOptions* o) { o->publisher_host = n.as<std::string>(); }},
      {"Publishers.Types.Local.Port", "--publisher-port",
       [](const YAML::Node& n, ServeOptions* o) { o->publisher_port = n.as<int>(); }},
      {"Publishers.Types.Local.URLExpiration", "",
       [](const YAML::Node& n, ServeOptions* o) {
         o->result_url_expiration = duration(n, Sign::kPositive);
       }},
      {"Publishers.Types.S3.PreSignedURLDisabled", "",
       [](const YAML::Node& n, ServeOptions* o) { o->s3_presigned_url_disabled = n.as<bool>(); }},
      {"Publishers.Types.S3.PreSignedURLExpiration", "",
       [](const YAML::Node& n, ServeOptions* o) {
         o->s3_presigned_url_expiration = duration(n, Sign::kAny);
       }},
      {"Publishers.Types.S3Managed.Bucket", "",
       [](const YAML::Node& n, ServeOptions* o) { o->s3_managed.bucket = n.as<std::string>(); }},
      {"Publishers.Types.S3Managed.Key", "",
       [](const YAML::Node& n, ServeOptions* o) { o->s3_managed.key = n.as<std::string>(); }},
      {"Publishers.Types.S3Managed.Region", "",
       [](const YAML::Node& n, ServeOptions* o) { o->s3_managed.region = n.as<std::string>(); }},
      {"Publishers.Types.S3Managed.Endpoint", "",
       [](const YAML::Node& n, ServeOptions* o) { o->s3_managed.endpoint = n.as<std::string>(); }},
      {"Publishers.Types.S3Managed.PreSignedURLExpiration", "",
       [](const YAML::Node& n, ServeOptions* o) {
         o->s3_managed.expiration = duration(n, Sign::kAny);
       }},
      {"Engines.Types.Docker.Capabilities", "--docker-capabilities",
       [](const YAML::Node& n, ServeOptions* o) { o->docker_capabilities = strings(n); }},
      {"Engines.Types.Docker.ReadOnlyRootFilesystem", "--docker-read-only-root",
       [](const YAML::Node& n, ServeOptions* o) { o->docker_read_only_root = n.as<bool>(); }},
      {"Engines.Types.Docker.User", "--docker-user",
       [](const YAML::Node& n, ServeOptions* o) { o->docker_user = n.as<std::string>(); }},
      {"Engines.Types.Docker.RequireUserNamespace", "--docker-require-userns-remap",
       [](const YAML::Node& n, ServeOptions* o) { o->docker_require_userns_remap = n.as<bool>(); }},
      {"Compute.AllowHostNetwork", "--allow-host-network",
       [](const YAML::Node& n, ServeOptions* o) { o->allow_host_network = n.as<bool>(); }},
      {"Compute.AdvertiseAddress", "--advertise-address",
       [](const YAML::Node& n, ServeOptions* o) { o->advertise_address = n.as<std::string>(); }},
      {"JobAdmissionControl.AcceptNetworkedJobs", "--allow-networked-jobs",
       [](const YAML::Node& n, ServeOptions* o) { o->allow_networked_jobs = n.as<bool>(); }},
      {"Engines.Disabled", "--disable-engines",
       [](const YAML::Node& n, ServeOptions* o) { o->disabled_engines = strings(n); }},
      {"InputSources.Disabled", "--disable-input-sources",
       [](const YAML::Node& n, ServeOptions* o) { o->disabled_input_sources = strings(n); }},
      {"Publishers.Disabled", "--disable-publishers",
       [](const YAML::Node& n, ServeOptions* o) { o->disabled_publishers = strings(n); }},
      {"Labels", "--labels",
       [](const YAML::Node& n, ServeOptions* o) {
         for (const auto& kv : n)
           o->labels[kv.first.as<std::string>()] = kv.second.as<std::string>();
       }},
  };
  static const std::vector<Key> kAll = [] {
    std::vector<Key> all = kKeys;
    // Orchestrator.Scheduler.Retry.<Type>.<Field>: strings kept as the path, so the key's
    // lifetime is the program's.
    static std::vector<std::string> paths;
    const std::pair<const char*, const char*> fields[] = {
        {"Limit", orchestrator::kMetaRetryLimit},
        {"Delay", orchestrator::kMetaRetryDelay},
        {"Factor", orchestrator::kMetaRetryFactor},
        {"MaxDelay", orchestrator::kMetaRetryMaxDelay}};
    const std::pair<const char*, const char*> types[] = {{"Batch", models::kJobTypeBatch},
                                                         {"Service", models::kJobTypeService},
                                                         {"Daemon", models::kJobTypeDaemon}};
    paths.reserve(std::size(fields) * std::size(types));
    for (const auto& [type_key, type] : types) {
      for (const auto& [field, meta_key] : fields) {
        paths.push_back(std::string("Orchestrator.Scheduler.Retry.") + type_key + "." + field);
        std::string type_name = type;
        std::string meta = meta_key;
        all.push_back(
            {paths.back().c_str(), "", [type_name, meta](const YAML::Node& n, ServeOptions* o) {
               models::Job probe;
               probe.meta[meta] = n.as<std::string>();
               auto policy = orchestrator::retryPolicyFor(probe, orchestrator::RetryPolicy{});
               if (!policy.isOk()) {
                 throw YAML::Exception(n.Mark(), policy.status().message());
               }
               o->retry_defaults[type_name][meta] = n.as<std::string>();
             }});
      }
    }
    return all;
  }();
  return kAll;
}

// Every leaf's dotted path in a YAML map (a key holding a sequence or a map listed in `whole` is a
// leaf).
void leaves(const YAML::Node& n, const std::string& prefix, std::vector<std::string>* out) {
  if (!n.IsMap()) {
    out->push_back(prefix);
    return;
  }
  for (const auto& kv : n) {
    std::string path =
        prefix.empty() ? kv.first.as<std::string>() : prefix + "." + kv.first.as<std::string>();
    if (path == "Labels") {
      out->push_back(path);
    } else {
      leaves(kv.second, path, out);
    }
  }
}

YAML::Node find(const YAML::Node& root, const std::string& path) {
  YAML::Node n = YAML::Clone(root);
  for (const std::string& part : split(path, '.')) {
    if (!n.IsMap()) return YAML::Node();
    YAML::Node next;
    for (const auto& kv : n) {
      if (equalsIgnoreCase(kv.first.as<std::string>(), part)) next = kv.second;
    }
    if (!next) return YAML::Node();
    n = next;
  }
  return n;
}

}  // namespace

Result<std::vector<std::string>> applyConfigFile(
    const std::string& path, ServeOptions* options,
    const std::function<bool(const std::string& flag)>& flag_given) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return invalidArgument("config file " + path + ": " + e.what());
  }
  if (!root || root.IsNull()) return std::vector<std::string>{};
  if (!root.IsMap())
    return invalidArgument("config file " + path + ": expected a YAML map of keys");
  std::vector<std::string> present;
  leaves(root, "", &present);
  std::vector<std::string> ignored;
  for (const std::string& p : present) {
    bool known = false;
    for (const Key& k : keys()) known = known || equalsIgnoreCase(k.path, p);
    if (!known) ignored.push_back(p);
  }
  for (const Key& k : keys()) {
    YAML::Node value = find(root, k.path);
    if (!value || value.IsNull() || flag_given(k.flag)) continue;
    try {
      k.apply(value, options);
    } catch (const YAML::Exception& e) {
      return invalidArgument("config file " + path + ": " + k.path +
                             " has the wrong kind of value (" + e.what() + ")");
    }
  }
  return ignored;
}

}  // namespace cod::node
