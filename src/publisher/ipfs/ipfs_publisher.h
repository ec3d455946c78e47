#pragma once

// The `ipfs` publisher (reference §5.7): the result folder is added, pinned, to the IPFS node the
// compute node is configured with (--ipfs-connect) as one UnixFS directory (stdout, stderr,
// exitCode, one folder per ResultPath; symlinks left out), and the PublishedResult is
// {"Type":"ipfs","Params":{"CID":…}}, which `cod job get` fetches through its own IPFS node.

#include <string>

#include "publisher/publisher.h"

namespace cod::publisher {

class IpfsPublisher final : public Publisher {
 public:
  explicit IpfsPublisher(std::string endpoint) : endpoint_(std::move(endpoint)) {}
  std::string name() const override { return "ipfs"; }
  // Only with an IPFS endpoint configured.
  bool isInstalled() override;
  Status validate(const models::SpecConfig& spec) override;
  Result<models::SpecConfig> publish(const std::string& execution_id, const models::Job& job,
                                     const std::string& results_dir, CancelToken& cancel) override;

 private:
  std::string endpoint_;
};

}  // namespace cod::publisher
