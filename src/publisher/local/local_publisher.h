#pragma once

// The `local` publisher: packs the result folder into <results_dir>/<execution-id>.tar.gz on the
// compute node, which serves that folder over HTTP (node/ starts the server); the published result
// is {"Type":"urlDownload","Params":{"URL":"http://<address>:<port>/<execution-id>.tar.gz"}}.

#include <string>

#include "publisher/publisher.h"

namespace cod::publisher {

struct LocalPublisherConfig {
  std::string results_dir;            // where archives are kept and served from
  std::string address = "127.0.0.1";  // as clients should dial it
  int port = 6001;
};

class LocalPublisher final : public Publisher {
 public:
  explicit LocalPublisher(LocalPublisherConfig config);

  std::string name() const override { return "local"; }
  bool isInstalled() override { return true; }
  Status validate(const models::SpecConfig&) override { return Status::ok(); }
  Result<models::SpecConfig> publish(const std::string& execution_id, const models::Job& job,
                                     const std::string& results_dir, CancelToken& cancel) override;

  // Archives are <execution-id>.tar.gz; their modification time is when they were written.
  std::vector<std::string> keptResultsBefore(
      Time before, size_t limit, const std::function<bool(const std::string&)>& skip) override;
  void removeKeptResults(const std::string& execution_id) override;

  // The archive of an execution, for the file server: "" when the name is not one we produce.
  std::string archivePath(const std::string& file_name) const;
  // The port clients are told (the server may have bound another when configured with 0).
  void setPort(int port) { config_.port = port; }

 private:
  LocalPublisherConfig config_;
};

}  // namespace cod::publisher
