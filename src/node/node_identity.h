#pragma once

#include <string>

#include "common/status.h"

namespace cod::node {

// The node ID kept in `<dir>/node_id`: created (n-<uuid>, or `name` when given) on first use and
// read back afterwards, so a restarted node keeps its identity. Creates `dir` if needed.
Result<std::string> loadOrCreateNodeId(const std::string& dir, const std::string& name);

}  // namespace cod::node
