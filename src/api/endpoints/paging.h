#pragma once

// Paging tokens and query-parameter parsing shared by the endpoints.
//
// Job list and history tokens (reference/bacalhau-api.md §2.3, §2.7) are base64url without
// padding of "<order_by>:<Y|N>:<limit>:<offset>"; history tokens leave order_by empty. Execution
// lists use the same form (Bacalhau never pages them). Clients treat them as opaque.

#include <cstdint>
#include <string>
#include <string_view>

#include "api/http.h"
#include "common/status.h"

namespace cod::api::endpoints {

struct PageToken {
  std::string order_by;
  bool reverse = false;
  uint64_t limit = 0;
  uint64_t offset = 0;
};

// The most items one list response holds. Bacalhau returns everything for limit 0 (or absent);
// cod returns at most this many and a NextToken for the rest, so that no request can make an I/O
// thread encode the whole store (5,000 jobs took 4.3 s). Nodes allow more: the web UI asks for
// limit=10000 and pages no further.
inline constexpr uint64_t kMaxJobsPerPage = 1000;
inline constexpr uint64_t kMaxNodesPerPage = 10000;
// A job's executions (a Count of 10,000 makes as many): the same bound as jobs.
inline constexpr uint64_t kMaxExecutionsPerPage = 1000;
// `asked` (0 = everything) bounded by `max`.
inline uint64_t pageLimit(uint64_t asked, uint64_t max) {
  return asked == 0 || asked > max ? max : asked;
}

std::string encodePageToken(const PageToken& token);
// InvalidArgument "invalid next_token …" for anything that is not a token we issued.
Result<PageToken> decodePageToken(std::string_view text);

// What a list request asks for: its next_token when it has one (the order and page size it was
// issued for), else its order_by, reverse and limit; `limit` is asked-for, before pageLimit.
// InvalidArgument for a bad token or parameter.
Result<PageToken> pageRequest(const HttpRequest& req);

// Query parameters. Absent or empty → fallback; a malformed value → InvalidArgument naming the
// parameter.
Result<uint64_t> queryUint(const HttpRequest& req, std::string_view key, uint64_t fallback = 0);
// Accepts Go's strconv.ParseBool forms: 1 t T TRUE true True 0 f F FALSE false False.
Result<bool> queryBool(const HttpRequest& req, std::string_view key, bool fallback = false);

}  // namespace cod::api::endpoints
