#pragma once

// An IPFS client over the Kubo RPC API (`/api/v0`, every call a POST), spoken by Kubo and by
// js-ipfs: enough for cod's `ipfs` inputs (get a CID, file or directory, with a timeout), the
// `ipfs` publisher (add a folder as a UnixFS directory, pinned) and `cod job get`. Over http/, so
// the same retries, size caps and cancellation apply.
//
// The node is named the way Bacalhau's --ipfs-connect names it, by a multiaddr
// (/ip4/127.0.0.1/tcp/5001, /dns4/ipfs.local/tcp/5001/http), or by an http:// URL.
//
// Thread-safe; blocking: call it from a worker thread.

#include <chrono>
#include <string>
#include <string_view>

#include "common/cancel.h"
#include "common/ids.h"  // isCid
#include "common/status.h"

namespace cod::ipfs {

// "http://host:port" for a multiaddr or URL; InvalidArgument naming what is wrong.
Result<std::string> rpcBaseUrl(const std::string& endpoint);

struct IpfsClientConfig {
  std::string endpoint;  // multiaddr or URL of the node's RPC API
  // How long a get may look for a CID before it is given up as not found: an absent CID never
  // fails on its own (the node keeps asking its peers).
  std::chrono::milliseconds get_timeout{std::chrono::minutes(5)};
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  // A get larger than this is refused (ResourceExhausted): a CID can name terabytes of
  // deduplicated blocks. The archive is about the size of what it unpacks to.
  uint64_t max_bytes = uint64_t{10} * 1024 * 1024 * 1024;
};

class IpfsClient {
 public:
  // InvalidArgument when the endpoint is not a multiaddr or URL cod can reach.
  static Result<IpfsClient> create(const IpfsClientConfig& config);

  // The node's version string; Unavailable when it does not answer.
  Result<std::string> version() const;

  // Fetches `cid` into `dest`, which must not exist: a file CID becomes the file `dest`, a
  // directory CID the folder `dest`. The archive the node sends is unpacked safely
  // (common/archive.h). NotFound when the CID cannot be found within get_timeout.
  Status get(const std::string& cid, const std::string& dest, CancelToken* cancel) const;

  // Adds the contents of the folder `dir` as one pinned UnixFS directory; its CID (v0). Symbolic
  // links and other special files are left out.
  Result<std::string> addDirectory(const std::string& dir, CancelToken* cancel) const;

  const std::string& endpoint() const { return config_.endpoint; }

 private:
  IpfsClient(IpfsClientConfig config, std::string base)
      : config_(std::move(config)), base_(std::move(base)) {}

  IpfsClientConfig config_;
  std::string base_;  // http://host:port
};

}  // namespace cod::ipfs
