#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace cod {

// CPU as a Kubernetes quantity: "500m" = 0.5, "2" = 2, "1.5" = 1.5, "2k" = 2000.
// The error message says what was wrong with `text`.
Result<double> parseCpuQuantity(std::string_view text);

// Byte sizes as Bacalhau accepts them (go-humanize + Kubernetes suffixes), case-insensitive:
// "512" bytes, "512kb"/"512k" = 512·10³, "512mb"/"512m" = 512·10⁶, "1gb", "1tb"; binary
// "1ki"/"1kib", "1mi"/"1mib", "1gi"/"1gib", "1ti"/"1tib". Fractions are allowed ("1.5gb").
Result<uint64_t> parseByteSize(std::string_view text);

// "512 MB", "1.5 GB" — decimal units, for humans.
std::string formatBytes(uint64_t bytes);

// Go duration strings: "300ms", "1.5h", "2h45m", "1m0s", plain seconds "30" also accepted.
Result<Duration> parseDuration(std::string_view text);
// Go's Duration.String(): "1m0s", "1.5s", "300ms", "0s".
std::string formatDuration(Duration d);

}  // namespace cod
