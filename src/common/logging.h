#pragma once

#include <string_view>

#include <spdlog/spdlog.h>

namespace cod {

// Sets up the process-wide logger: level by name (trace, debug, info, warn, error, off) and output
// to stderr. Safe to call more than once; the last call wins.
void setupLogging(std::string_view level);

}  // namespace cod
