#pragma once

// Checks for strings from a job spec that end up in a path: a file name on a compute node's disk
// (ResultPaths[].Name, execution and job IDs) or a mount point inside a task (Targets and Paths).
// Every spec string is hostile until one of these says otherwise; the orchestrator checks at
// submit and the compute node checks again before it touches the disk (it never trusts the
// orchestrator's validation).
//
// Each *Problem function returns "" for an acceptable value, otherwise what is wrong with it as
// a phrase that follows the value in an error message ("\"/etc\" has a '/' …").

#include <string>
#include <string_view>

#include "common/status.h"

namespace cod {

// Longest file name Linux accepts (NAME_MAX).
inline constexpr size_t kMaxPathSegment = 255;
// Longest path inside a task (PATH_MAX).
inline constexpr size_t kMaxContainerPath = 4096;
// Longest ID (job, execution, node) that is used as a file name.
inline constexpr size_t kMaxIdLength = 128;

// One plain path segment: a file or folder name with no '/', not "." or "..", no NUL or other
// control characters, at most kMaxPathSegment bytes.
std::string pathSegmentProblem(std::string_view name);

// An ID that may name a file: 1–kMaxIdLength characters from [A-Za-z0-9._-], starting with a
// letter or digit.
std::string idProblem(std::string_view id);

// An absolute path inside a task's sandbox: starts with '/', no "." or ".." segments, no NUL or
// control characters, and no ':' or ',' (they would split a Docker bind specification).
std::string containerPathProblem(std::string_view path);

// Paths a task may not mount over: "/" and the kernel's file systems (/proc, /sys, /dev and below).
bool isReservedContainerPath(std::string_view path);
// Whether the clean absolute path `path` is `dir` or lies below it ("/a/b" is within "/a", "/ab"
// is not; everything is within "/").
bool isWithin(std::string_view path, std::string_view dir);

// base/segment, or InvalidArgument when `segment` is not one plain path segment. The only way the
// compute node turns a spec string into a host path.
Result<std::string> childPath(std::string_view base, std::string_view segment);

}  // namespace cod
