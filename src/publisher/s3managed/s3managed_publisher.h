#pragma once

// The `s3managed` publisher (reference §5.7): results go to the S3 bucket the orchestrator
// manages (Publishers.Types.S3Managed), through a presigned PUT URL the orchestrator hands out for
// this one execution, so compute nodes need no S3 credentials. The result folder goes up as one
// tar.gz; the PublishedResult is {"Type":"s3managed","Params":{"JobID":…,"ExecutionID":…}}, which
// GET /jobs/:id/results shows as an s3PreSigned download URL.

#include <functional>
#include <string>

#include "publisher/publisher.h"

namespace cod::publisher {

// Asks the orchestrator for an upload URL (transport::PresignUploadRequest).
using UploadUrlFn =
    std::function<Result<std::string>(const std::string& job_id, const std::string& execution_id)>;

class S3ManagedPublisher final : public Publisher {
 public:
  explicit S3ManagedPublisher(UploadUrlFn upload_url) : upload_url_(std::move(upload_url)) {}
  std::string name() const override { return "s3managed"; }
  bool isInstalled() override { return static_cast<bool>(upload_url_); }
  Status validate(const models::SpecConfig&) override { return Status::ok(); }
  Result<models::SpecConfig> publish(const std::string& execution_id, const models::Job& job,
                                     const std::string& results_dir, CancelToken& cancel) override;

 private:
  UploadUrlFn upload_url_;
};

// Where the managed bucket keeps an execution's results: "<prefix>/<jobID>/<executionID>.tar.gz".
std::string managedResultKey(const std::string& prefix, const std::string& job_id,
                             const std::string& execution_id);

}  // namespace cod::publisher
