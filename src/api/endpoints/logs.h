#pragma once

// The frames of the logs WebSocket (reference/bacalhau-api.md §3), apart from the socket so that
// they can be tested and reused:
//   {"value":{"Type":1,"Line":"hello\n"}}               one per piece of a log entry
//   {"error":"<message>","value":{"Type":0,"Line":""}}  when the log cannot be read
//
// Lines are JSON strings, and WebSocket text frames must be UTF-8: bytes that are not valid UTF-8
// are replaced by U+FFFD each (what Go's encoding/json, and so Bacalhau, does). A line longer
// than max_line_bytes (after that replacement) is cut at character boundaries into several
// frames whose Lines, concatenated, are the line; nothing is dropped.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "orchestrator/logs/log_source.h"

namespace cod::api::endpoints {

inline constexpr size_t kMaxLogFrameLineBytes = size_t{64} * 1024;

// The frames for one entry, in order; none for an empty line.
std::vector<std::string> logEntryFrames(const orchestrator::LogEntry& entry,
                                        size_t max_line_bytes = kMaxLogFrameLineBytes);

// The error frame.
std::string logErrorFrame(std::string_view message);

}  // namespace cod::api::endpoints
