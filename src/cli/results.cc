#include "cli/results.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>

#include "common/archive.h"
#include "common/ids.h"
#include "common/paths.h"
#include "common/strings.h"
#include "common/units.h"
#include "http/http_client.h"
#include "ipfs/ipfs_client.h"
#include "models/json.h"
#include "s3/s3_client.h"

namespace cod::cli {

namespace fs = std::filesystem;

namespace {

// "Downloading result 2 of 3: 512.0 MB of 1.0 GB (50%)", redrawn on stderr at most every 200 ms,
// when stderr is a terminal and the download is larger than a few megabytes.
class ProgressLine {
 public:
  ProgressLine(CliContext& ctx, size_t index, size_t count)
      : ctx_(ctx),
        label_("Downloading result " + std::to_string(index + 1) + " of " + std::to_string(count)) {
  }
  ~ProgressLine() {
    if (drawn_) ctx_.err() << "\n";
  }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  std::function<void(uint64_t, uint64_t)> callback() {
    if (!ctx_.env().stderr_is_tty) return nullptr;
    return [this](uint64_t done, uint64_t total) { draw(done, total); };
  }

 private:
  void draw(uint64_t done, uint64_t total) {
    std::lock_guard lock(mu_);  // parallel ranged GETs report from several threads
    auto now = std::chrono::steady_clock::now();
    bool finished = total > 0 && done >= total;
    if (total < (uint64_t{4} << 20) ||
        (!finished && now - last_ < std::chrono::milliseconds(200))) {
      return;
    }
    last_ = now;
    drawn_ = true;
    ctx_.err() << "\r" << label_ << ": " << formatBytes(done) << " of " << formatBytes(total)
               << " (" << (done * 100 / total) << "%)" << std::flush;
  }

  CliContext& ctx_;
  std::mutex mu_;
  std::string label_;
  std::chrono::steady_clock::time_point last_{};
  bool drawn_ = false;
};

// Downloads an http(s) URL to `path`; a broken transfer resumes (http::DownloadOptions::resume).
Status download(const std::string& url, const fs::path& path, int timeout_secs,
                const std::function<void(uint64_t, uint64_t)>& progress = nullptr) {
  http::DownloadOptions options;
  options.timeout = std::chrono::seconds(timeout_secs);
  options.attempts = 3;
  options.on_progress = progress;
  auto got = http::download(url, path.string(), options);
  if (got.isOk()) return Status::ok();
  if (got.status().code() == StatusCode::kUnavailable) {
    return Status(got.status())
        .withHint("the compute node that holds these results must be reachable from here");
  }
  return got.status();
}

std::string stringParam(const models::SpecConfig& r, std::string_view key) {
  const auto* v = models::findKey(r.params, key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

// An `s3` published result, with this machine's AWS credentials: one .tar.gz object (unpacked into
// `unpacked`), or the files under a prefix (Encoding plain).
Status downloadS3(const models::SpecConfig& r, const fs::path& raw, const fs::path& unpacked,
                  const std::function<void(uint64_t, uint64_t)>& progress) {
  s3::ClientConfig config =
      s3::configFromEnvironment(stringParam(r, "Region"), stringParam(r, "Endpoint"));
  config.http.on_progress = progress;
  s3::S3Client client(config);
  const std::string bucket = stringParam(r, "Bucket");
  const std::string key = stringParam(r, "Key");
  std::error_code ec;
  if (endsWith(key, ".tar.gz")) {
    fs::path archive = raw / ("s3-" + newUuid() + ".tar.gz");
    COD_RETURN_IF_ERROR(client.getObject(bucket, key, "", archive.string(), nullptr));
    auto x = extractTar(archive.string(), unpacked.string());
    if (!x.isOk()) return std::move(x).error().prepend("unpacking s3://" + bucket + "/" + key);
    return Status::ok();
  }
  COD_ASSIGN_OR_RETURN(auto objects, client.listObjects(bucket, key, nullptr));
  fs::create_directories(unpacked, ec);
  for (const auto& o : objects) {
    std::string rel = o.key.substr(key.size());
    bool safe = !rel.empty() && rel.back() != '/';
    for (const std::string& segment : split(rel, '/'))
      safe = safe && pathSegmentProblem(segment).empty();
    if (!safe) continue;  // a folder marker, or a key that would escape the download folder
    fs::path file = unpacked / rel;
    fs::create_directories(file.parent_path(), ec);
    COD_RETURN_IF_ERROR(client.getObject(bucket, o.key, "", file.string(), nullptr));
  }
  return Status::ok();
}

// An `ipfs` published result, through the IPFS node the user names.
Status downloadIpfs(CliContext& ctx, const models::SpecConfig& r, const DownloadOptions& options,
                    const fs::path& unpacked) {
  const std::string cid = stringParam(r, "CID");
  std::string endpoint = options.ipfs_connect;
  for (const char* name : {"COD_IPFS_CONNECT", "BACALHAU_IPFS_CONNECT"}) {
    if (endpoint.empty()) endpoint = ctx.getenv(name).value_or("");
  }
  if (endpoint.empty()) {
    return failedPrecondition("a result is on IPFS (CID " + cid +
                              ") and no IPFS node is named to fetch it through")
        .withHint("pass --ipfs-connect /ip4/HOST/tcp/5001 (or set COD_IPFS_CONNECT)");
  }
  ipfs::IpfsClientConfig config;
  config.endpoint = endpoint;
  config.get_timeout = std::chrono::seconds(options.timeout_secs);
  COD_ASSIGN_OR_RETURN(ipfs::IpfsClient client, ipfs::IpfsClient::create(config));
  return client.get(cid, unpacked.string(), nullptr);
}

bool isSpecialFile(const std::string& name) {
  return name == "stdout" || name == "stderr" || name == "exitCode";
}

// Merges an unpacked result into `out`.
Status merge(const fs::path& from, const fs::path& out, bool first) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(from, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return internalError("reading " + from.string() + ": " + ec.message());
    fs::path rel = fs::relative(it->path(), from);
    fs::path target = out / rel;
    if (it->is_directory()) {
      fs::create_directories(target, ec);
      continue;
    }
    if (!it->is_regular_file()) continue;
    std::string name = rel.generic_string();
    if (isSpecialFile(name)) {
      if (first) {
        fs::copy_file(it->path(), target, fs::copy_options::overwrite_existing, ec);
      } else {
        std::ifstream in(it->path(), std::ios::binary);
        std::ofstream app(target, std::ios::binary | std::ios::app);
        if (name == "exitCode") app << "\n";
        app << in.rdbuf();
      }
      if (ec) return internalError("writing " + target.string() + ": " + ec.message());
      continue;
    }
    if (fs::exists(target)) {
      return failedPrecondition("cannot merge results: " + name +
                                " is in more than one result. Try --raw to keep them apart");
    }
    fs::create_directories(target.parent_path(), ec);
    fs::copy_file(it->path(), target, ec);
    if (ec) return internalError("writing " + target.string() + ": " + ec.message());
  }
  return Status::ok();
}

}  // namespace

DownloadOptions downloadOptions(std::string output_dir) {
  DownloadOptions o;
  o.output_dir = std::move(output_dir);
  return o;
}

Result<std::string> downloadResults(CliContext& ctx, api::client::ApiClient& client,
                                    const std::string& job_id, const DownloadOptions& options) {
  COD_ASSIGN_OR_RETURN(api::client::GetJobResponse got, client.getJob(job_id));
  const std::string& id = got.job.id;
  COD_ASSIGN_OR_RETURN(std::vector<models::SpecConfig> results, client.jobResults(id));
  if (results.empty()) {
    return notFound("no results found for job " + id)
        .withHint(
            "only completed executions with a publisher (-p local, the default for "
            "`cod docker run`) have results; see `cod job describe " +
            shortId(id) + "`");
  }
  fs::path out = options.output_dir.empty() ? fs::current_path() / ("job-" + shortId(id))
                                            : fs::path(options.output_dir);
  fs::path raw = out / "raw";
  std::error_code ec;
  fs::create_directories(raw, ec);
  if (ec) return internalError("cannot create " + raw.string() + ": " + ec.message());
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    ProgressLine progress(ctx, i, results.size());
    if (equalsIgnoreCase(r.type, "ipfs")) {
      fs::path unpacked = raw / ("result-" + std::to_string(i) + ".d");
      COD_RETURN_IF_ERROR(downloadIpfs(ctx, r, options, unpacked));
      COD_RETURN_IF_ERROR(merge(unpacked, out, i == 0));
      continue;
    }
    if (equalsIgnoreCase(r.type, "s3PreSigned")) {
      // A URL the orchestrator signed: no credentials needed here.
      const auto* url = models::findKey(r.params, "PreSignedURL");
      if (url == nullptr || !url->is_string()) {
        return failedPrecondition("an s3PreSigned result without a PreSignedURL: " +
                                  models::serialize(models::toJson(r)));
      }
      fs::path archive = raw / ("result-" + std::to_string(i) + ".tar.gz");
      COD_RETURN_IF_ERROR(download(std::string(url->as_string()), archive, options.timeout_secs,
                                   progress.callback()));
      fs::path unpacked = raw / ("result-" + std::to_string(i) + ".d");
      auto x = extractTar(archive.string(), unpacked.string());
      if (!x.isOk()) return std::move(x).error().prepend("unpacking a presigned S3 result");
      COD_RETURN_IF_ERROR(merge(unpacked, out, i == 0));
      continue;
    }
    if (equalsIgnoreCase(r.type, "s3")) {
      fs::path unpacked = raw / ("result-" + std::to_string(i) + ".d");
      COD_RETURN_IF_ERROR(downloadS3(r, raw, unpacked, progress.callback()));
      COD_RETURN_IF_ERROR(merge(unpacked, out, i == 0));
      continue;
    }
    const auto* url = models::findKey(r.params, "URL");
    if (!equalsIgnoreCase(r.type, "urlDownload") || !url || !url->is_string()) {
      return unimplemented("results of type \"" + r.type + "\" cannot be downloaded by this CLI: " +
                           models::serialize(models::toJson(r)));
    }
    std::string u(url->as_string());
    // The path's last segment names the file; a query (a signed URL's expiry and signature) or
    // fragment is not part of it.
    std::string path = u.substr(0, u.find_first_of("?#"));
    std::string file = path.substr(path.find_last_of('/') + 1);
    if (file.empty() || file.find("..") != std::string::npos) file = "result-" + std::to_string(i);
    fs::path archive = raw / file;
    COD_RETURN_IF_ERROR(download(u, archive, options.timeout_secs, progress.callback()));
    fs::path unpacked = raw / (file + ".d");
    if (endsWith(file, ".tar.gz") || endsWith(file, ".tgz") || endsWith(file, ".tar")) {
      auto x = extractTar(archive.string(), unpacked.string());
      if (!x.isOk()) return std::move(x).error().prepend("unpacking " + u);
    } else {
      fs::create_directories(unpacked, ec);
      fs::copy_file(archive, unpacked / file, ec);
    }
    COD_RETURN_IF_ERROR(merge(unpacked, out, i == 0));
  }
  if (!options.raw) fs::remove_all(raw, ec);
  ctx.out() << "Results for job " << id << " have been written to\n" << out.string() << "\n";
  return out.string();
}

CLI::App* addJobGetCommand(CLI::App* parent, CliContext& ctx, const std::string& name) {
  struct Options {
    std::string id;
    DownloadOptions download;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = parent->add_subcommand(name, "Download a job's results");
  cmd->add_option("id", o->id, "Job ID, ID prefix or name")->required();
  cmd->add_option("--output-dir", o->download.output_dir,
                  "Where to put the results (default ./job-<id>)");
  cmd->add_flag("--raw", o->download.raw, "Also keep each result as downloaded, under raw/");
  cmd->add_option("--ipfs-connect", o->download.ipfs_connect,
                  "The IPFS node to fetch ipfs results through, e.g. /ip4/127.0.0.1/tcp/5001 "
                  "(default $COD_IPFS_CONNECT)");
  cmd->add_option("--download-timeout-secs", o->download.timeout_secs,
                  "Give up on a download after this long")
      ->capture_default_str();
  onRun(cmd, ctx, [&ctx, o]() -> Status {
    COD_ASSIGN_OR_RETURN(api::client::ApiClient * client, ctx.client());
    return downloadResults(ctx, *client, o->id, o->download).status();
  });
  return cmd;
}

}  // namespace cod::cli
