#pragma once

// Download URLs for the `local` publisher's archives that only the orchestrator hands out
// (GET /jobs/:id/results): `http://node:6001/<execution-id>.tar.gz?expires=<unix
// s>&signature=<hex>`, the signature an HMAC-SHA256 over the file name and the expiry, keyed by a
// secret derived from the cluster's NATS token, which the orchestrator and its compute nodes share.
// The result server answers 403 for a missing, wrong or expired signature. A cluster without a
// token has no secret: its URLs are not signed and its result servers check nothing (cod serve
// warns).

#include <string>

#include "common/clock.h"
#include "common/status.h"

namespace cod::node {

// The signing secret for a cluster token ("" for no token).
std::string resultUrlKey(const std::string& token);

// `url` with expires and signature query parameters added (valid until `expires`), when it names
// `<execution_id>.tar.gz` at the root of an http URL without a query; otherwise
// InvalidArgument (the orchestrator signs only the archive of the execution it reports).
Result<std::string> signResultUrl(const std::string& url, const std::string& execution_id,
                                  const std::string& key, Time expires);

// "" when `query` (the decoded `expires` and `signature` values) lets `file` be served at
// `now`, else why not.
std::string resultUrlRefusal(const std::string& file, const std::string& expires,
                             const std::string& signature, const std::string& key, Time now);

}  // namespace cod::node
