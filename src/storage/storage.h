#pragma once

// Input storage (DESIGN §7): a StorageProvider stages one InputSource of a task into the
// execution's folder on the compute node and says where it appears in the task. One subfolder per
// backend: `inline/` (RFC 2397 data URLs), `url/` (urlDownload), `s3/` (bucket prefixes),
// `local/` (allow-listed host paths), `ipfs/` (CIDs through a Kubo RPC endpoint). Every backend
// passes the conformance suite in storage_conformance.h.
//
// Contract:
// * validate() is the bid-time check (cheap, no network): params well-formed and allowed on this
//   node. Its message is what `cod job describe` shows for a refused bid.
// * prepare() is called on a run thread, once per input and execution, with `dir` an empty folder
//   that belongs to this input alone; the caller removes `dir` afterwards, whatever happened, so a
//   provider that stages into it needs no cleanup of its own. A provider that mounts something
//   outside `dir` (local paths) must never create or change anything there but what the input
//   asks for (CreateAs).
// * Errors: InvalidArgument/FailedPrecondition/NotFound/PermissionDenied when a retry elsewhere
//   would fail the same way (bad params, a missing object, a path outside the allow-list);
//   Unavailable for what may pass later or on another node (network errors); Cancelled when
//   `cancel` fires; ResourceExhausted past a size limit.
// * Thread-safe: several prepare() calls may run at once.

#include <cstdint>
#include <string>
#include <vector>

#include "common/cancel.h"
#include "common/status.h"
#include "models/job.h"
#include "models/mount.h"

namespace cod::storage {

using models::Mount;

// Which share of a partitioned input an execution stages: partition `index` of `count` (the job's
// Count). Only sources that can be split (s3 with Params.Partition) look at it.
struct Partition {
  int64_t index = 0;
  int64_t count = 1;
};

class StorageProvider {
 public:
  virtual ~StorageProvider() = default;
  // Source.Type this provider serves ("inline", "urlDownload", "local"; compared without case).
  virtual std::string name() const = 0;
  // Other Source.Type spellings it answers to ("localDirectory").
  virtual std::vector<std::string> aliases() const { return {}; }
  // Whether it works on this node (a node advertises only what does).
  virtual bool isInstalled() { return true; }
  virtual Status validate(const models::InputSource& input) = 0;
  // Bytes the input will take on this node's disk, when that is known without fetching it
  // (0 = unknown). Used at bid time against the node's free disk.
  virtual uint64_t estimateSize(const models::InputSource& /*input*/) { return 0; }
  virtual Result<Mount> prepare(const models::InputSource& input, const Partition& partition,
                                const std::string& dir, CancelToken& cancel) = 0;
};

// Params helpers shared by the backends: a string param (case-insensitive key), "" when absent.
std::string stringParam(const models::InputSource& input, std::string_view key);
// A boolean param that may also be the string "true"/"false"; false when absent.
Result<bool> boolParam(const models::InputSource& input, std::string_view key);

}  // namespace cod::storage
