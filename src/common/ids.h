#pragma once

#include <string>
#include <string_view>

#include "common/clock.h"

namespace cod {

// A random (version 4) UUID in its canonical text form.
std::string newUuid(Random& random = SystemRandom::instance());
// A time-ordered (version 7, RFC 9562) UUID: its first 48 bits are `now` in Unix milliseconds, the
// rest random, so IDs made later sort later as text. Stores keyed by such IDs append instead of
// writing to a random B-tree page.
std::string newTimeOrderedUuid(Time now, Random& random = SystemRandom::instance());
// The text every time-ordered UUID made before `t` sorts below, and none made at or after it.
std::string timeOrderedUuidBound(Time t);

// Bacalhau-style IDs: "j-<uuid>", "e-<uuid>", "n-<uuid>". Evaluations created by a submit, stop or
// execution update are bare UUIDs (as in Bacalhau), time-ordered: several are written per job, and
// nobody types them (the short IDs of jobs and executions keep their random first digits).
std::string newJobId(Random& random = SystemRandom::instance());
std::string newExecutionId(Random& random = SystemRandom::instance());
std::string newNodeId(Random& random = SystemRandom::instance());
std::string newEvaluationId(Time now, Random& random = SystemRandom::instance());

// The short form shown by CLIs: the prefix plus the first 8 hex digits ("j-3514ff75").
// IDs without a recognised prefix are cut to 8 characters.
std::string shortId(std::string_view id);

// Whether `cid` is a well-formed IPFS CID: v0 ("Qm" + 44 base58btc characters) or v1 in a multibase
// text form (base32, base36, base58btc, hex), so without characters a URL or path treats
// specially. Syntax only.
bool isCid(std::string_view cid);

// Whether a name is safe where S3 puts it into a host name (bucket.s3.region.amazonaws.com):
// a bucket of letters, digits, '-', '.', '_'; a region of lower-case letters, digits, '-'.
bool isS3BucketName(std::string_view bucket);
bool isS3RegionName(std::string_view region);

}  // namespace cod
