#include "storage/ipfs/ipfs_storage.h"

#include <filesystem>

#include "common/strings.h"
#include "ipfs/ipfs_client.h"
#include "models/locality.h"

namespace cod::storage {

namespace fs = std::filesystem;

bool IpfsStorage::isInstalled() {
  return !config_.endpoint.empty() && ipfs::rpcBaseUrl(config_.endpoint).isOk();
}

Status IpfsStorage::validate(const models::InputSource& input) {
  std::string cid = stringParam(input, "CID");
  if (cid.empty()) {
    return invalidArgument("ipfs Source.Params.CID is required (e.g. Qm… or bafy…)");
  }
  if (!isCid(cid)) {
    return invalidArgument("ipfs Source.Params.CID \"" + toValidUtf8(utf8Prefix(cid, 100)) +
                           "\" is not a CID (Qm… or bafy…)");
  }
  if (!isInstalled()) {
    return failedPrecondition("this node has no IPFS node to fetch " + cid +
                              " from (start it with --ipfs-connect)");
  }
  return Status::ok();
}

Result<Mount> IpfsStorage::prepare(const models::InputSource& input, const Partition&,
                                   const std::string& dir, CancelToken& cancel) {
  COD_RETURN_IF_ERROR(validate(input));
  ipfs::IpfsClientConfig c;
  c.endpoint = config_.endpoint;
  c.get_timeout = config_.get_timeout;
  COD_ASSIGN_OR_RETURN(ipfs::IpfsClient client, ipfs::IpfsClient::create(c));
  std::string cid = stringParam(input, "CID");
  fs::path content = fs::path(dir) / "content";
  auto fetch = [&](const std::string& path) { return client.get(cid, path, &cancel); };
  if (config_.cache != nullptr) {
    COD_RETURN_IF_ERROR(
        config_.cache->stage("ipfs\n" + cid, models::inputLocator(input), content.string(), fetch)
            .status());
  } else {
    COD_RETURN_IF_ERROR(fetch(content.string()));
  }
  return Mount{content.string(), input.target, true};
}

}  // namespace cod::storage
