#pragma once

// `ipfs` inputs (reference §5.5): Params.CID, a file or a directory, fetched through the Kubo RPC
// API of the IPFS node the compute node is configured with (--ipfs-connect; ipfs/ipfs_client.h) and
// mounted at Target — the file itself, or the directory's tree. A CID the node cannot find within
// the timeout fails the execution as not found instead of hanging it. A node with no IPFS
// endpoint does not offer `ipfs` inputs.

#include <chrono>
#include <string>

#include "storage/cache/input_cache.h"
#include "storage/storage.h"

namespace cod::storage {

struct IpfsStorageConfig {
  std::string endpoint;  // "" = no IPFS node: the source is not installed
  std::chrono::milliseconds get_timeout{std::chrono::minutes(5)};
  // CIDs are kept here (null = no cache): a CID names its bytes.
  InputCache* cache = nullptr;
};

class IpfsStorage final : public StorageProvider {
 public:
  explicit IpfsStorage(IpfsStorageConfig config) : config_(std::move(config)) {}
  std::string name() const override { return "ipfs"; }
  bool isInstalled() override;
  Status validate(const models::InputSource& input) override;
  Result<Mount> prepare(const models::InputSource& input, const Partition& partition,
                        const std::string& dir, CancelToken& cancel) override;

 private:
  IpfsStorageConfig config_;
};

}  // namespace cod::storage
