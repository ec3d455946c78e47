#include "publisher/ipfs/ipfs_publisher.h"

#include "ipfs/ipfs_client.h"

namespace cod::publisher {

bool IpfsPublisher::isInstalled() {
  return !endpoint_.empty() && ipfs::rpcBaseUrl(endpoint_).isOk();
}

Status IpfsPublisher::validate(const models::SpecConfig&) {
  if (!isInstalled()) {
    return failedPrecondition(
        "this node has no IPFS node to publish to (start it with --ipfs-connect)");
  }
  return Status::ok();
}

Result<models::SpecConfig> IpfsPublisher::publish(const std::string&, const models::Job& job,
                                                  const std::string& results_dir,
                                                  CancelToken& cancel) {
  COD_RETURN_IF_ERROR(validate(job.task().publisher));
  ipfs::IpfsClientConfig config;
  config.endpoint = endpoint_;
  COD_ASSIGN_OR_RETURN(ipfs::IpfsClient client, ipfs::IpfsClient::create(config));
  auto cid = client.addDirectory(results_dir, &cancel);
  if (!cid.isOk()) return std::move(cid).error().prepend("publishing results to IPFS");
  models::SpecConfig out;
  out.type = "ipfs";
  out.params["CID"] = *cid;
  return out;
}

}  // namespace cod::publisher
