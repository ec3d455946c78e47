#pragma once

// The `s3` publisher (reference §5.7): Bucket, Key (placeholders {jobID}, {executionID}, {nodeID},
// {date} = YYYYMMDD, {time} = HHMMSS, in UTC), Endpoint, Region, Encoding: `gzip` (the default)
// uploads the result folder as one `<key>.tar.gz` object, `plain` uploads its files under `<key>/`.
// The PublishedResult is an `s3` source that `cod job get` reads back. Credentials as for S3
// inputs (s3/s3_client.h); objects past 64 MiB go up as multipart uploads.

#include "common/clock.h"
#include "publisher/publisher.h"

namespace cod::publisher {

class S3Publisher final : public Publisher {
 public:
  explicit S3Publisher(std::string node_id, const Clock* clock = &SystemClock::instance())
      : node_id_(std::move(node_id)), clock_(clock) {}
  std::string name() const override { return "s3"; }
  bool isInstalled() override { return true; }
  Status validate(const models::SpecConfig& spec) override;
  Result<models::SpecConfig> publish(const std::string& execution_id, const models::Job& job,
                                     const std::string& results_dir, CancelToken& cancel) override;

 private:
  std::string node_id_;
  const Clock* clock_;
};

// Key with its placeholders filled.
std::string expandKey(const std::string& key, const std::string& job_id,
                      const std::string& execution_id, const std::string& node_id, Time now);

}  // namespace cod::publisher
