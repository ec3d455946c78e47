#pragma once

// Data locality: a short, stable name — a locator — for what an input reads (a CID, a bucket
// prefix, a URL), the same for every job that reads it. A compute node advertises the locators of
// the inputs its cache holds (NodeInfo InputCache.Inputs) and the orchestrator's locality ranker
// prefers nodes that hold a job's. Locators are hashes: NodeInfo is readable by anyone who can
// list nodes, and must not show bucket names or URLs, which may carry presigned secrets.

#include <string>
#include <vector>

#include "models/job.h"

namespace cod::models {

// "l-" and 16 hex digits; "" for inputs with nothing to fetch (inline, local).
std::string inputLocator(const InputSource& input);

// The locators of a task's inputs that have one.
std::vector<std::string> inputLocators(const Task& task);

}  // namespace cod::models
