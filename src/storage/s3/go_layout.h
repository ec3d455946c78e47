#pragma once

// Go time layouts ("2006-01-02", "2006/01/02T15:04:05Z07:00"), as Bacalhau's S3 date partitioning
// takes them in Partition.DateFormat: the part of a key that parses as the layout, formatted back
// with it, is what is hashed (so "jan" and "Jan" fall together, as in Go).
//
// Supported elements: 2006 06 01 1 Jan January 02 2 _2 15 03 3 04 4 05 5 PM pm, a fixed fraction
// (.000), and zones Z07:00 Z0700 -07:00 -0700; anything else is literal text, as in Go. The
// elements cod does not implement (Mon, Monday, MST, 002, -07, Z07, .999, -070000 …) are refused
// by validateGoLayout, rather than read as literal text and partitioning differently from Go.

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace cod::storage {

// InvalidArgument for an empty layout or one with an element cod does not implement.
Status validateGoLayout(std::string_view layout);

// Parses all of `text` with `layout` (Go's time.Parse rules: fixed-width elements need their
// digits, days are checked against the month) and formats the result back with the layout;
// nullopt when `text` does not parse.
std::optional<std::string> reformatGoTime(std::string_view layout, std::string_view text);

}  // namespace cod::storage
