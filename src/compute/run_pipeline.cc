#include "compute/run_pipeline.h"

#include <filesystem>
#include <fstream>

#include <spdlog/spdlog.h>

#include "common/strings.h"
#include "models/job_validation.h"

namespace cod::compute {

namespace fs = std::filesystem;

namespace {

// Removes a folder when it goes out of scope, however the scope is left.
class ScopedFolder {
 public:
  explicit ScopedFolder(std::string path) : path_(std::move(path)) {}
  ~ScopedFolder() {
    if (path_.empty()) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
    if (ec) spdlog::warn("could not remove {}: {}", path_, ec.message());
  }
  ScopedFolder(const ScopedFolder&) = delete;
  ScopedFolder& operator=(const ScopedFolder&) = delete;

 private:
  std::string path_;
};

}  // namespace

Result<std::vector<models::Mount>> RunPipeline::stageInputs(const models::Task& task,
                                                            const storage::Partition& partition,
                                                            const std::string& staging_dir,
                                                            CancelToken& cancel) const {
  std::vector<models::Mount> mounts;
  for (size_t i = 0; i < task.input_sources.size(); ++i) {
    const models::InputSource& in = task.input_sources[i];
    storage::StorageProvider* provider = plugins_->storage(in.source.type);
    if (provider == nullptr) {
      return failedPrecondition("input source \"" + in.source.type +
                                "\" is not supported on this node");
    }
    std::string dir = (fs::path(staging_dir) / std::to_string(i)).string();
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return internalError("cannot create " + dir + ": " + ec.message());
    auto mount = provider->prepare(in, partition, dir, cancel);
    if (!mount.isOk()) {
      return Status(mount.status())
          .prepend("staging input " + std::to_string(i) + " (" + in.source.type + " for " +
                   in.target + ")")
          .withComponent("Storage");
    }
    mounts.push_back(std::move(mount).value());
  }
  return mounts;
}

Result<models::SpecConfig> RunPipeline::publish(const executor::ExecutionRequest& request,
                                                const models::RunCommandResult& result,
                                                CancelToken& cancel) const {
  // The result folder is complete: the task's exit code goes in with it.
  std::ofstream(fs::path(request.results_dir) / "exitCode") << result.exit_code;
  const std::string type(trim(request.job->task().publisher.type));
  if (type.empty()) return models::SpecConfig{};
  publisher::Publisher* pub = plugins_->publisher(type);
  if (pub == nullptr) return failedPrecondition("publisher \"" + type + "\" is not available");
  auto published = pub->publish(request.execution_id, *request.job, request.results_dir, cancel);
  if (!published.isOk()) return Status(published.status()).withComponent("Publisher");
  return published;
}

RunPipeline::Outcome RunPipeline::run(executor::ExecutionRequest request,
                                      const std::string& staging_dir, CancelToken& cancel) const {
  Outcome out;
  const models::Task& task = request.job->task();
  // The node refused unsafe specs at bid time; this is the last check before the disk.
  if (std::string unsafe = models::unsafePathReason(*request.job, request.execution_id);
      !unsafe.empty()) {
    out.result = invalidArgument("refused an unsafe job spec: " + unsafe);
    return out;
  }
  executor::Executor* ex = plugins_->executor(task.engine.type);
  if (ex == nullptr) {
    out.result = failedPrecondition("engine \"" + task.engine.type + "\" is not installed");
    return out;
  }
  if (!request.results_dir.empty()) {
    std::error_code ec;
    fs::remove_all(request.results_dir, ec);
    fs::create_directories(request.results_dir, ec);
    if (ec) {
      out.result = internalError("cannot create " + request.results_dir + ": " + ec.message());
      return out;
    }
  }
  ScopedFolder staged(task.input_sources.empty() ? "" : staging_dir);
  storage::Partition partition{request.partition_index, std::max<int64_t>(1, request.job->count)};
  auto mounts = stageInputs(task, partition, staging_dir, cancel);
  if (!mounts.isOk()) {
    out.result = mounts.status();
    return out;
  }
  request.inputs = std::move(mounts).value();
  out.result = ex->run(request, cancel);
  if (out.result.isOk() && !request.results_dir.empty()) {
    auto published = publish(request, *out.result, cancel);
    if (published.isOk()) {
      out.published = std::move(published).value();
    } else {
      out.result = published.status();
    }
  }
  return out;
}

}  // namespace cod::compute
