#include "common/paths.h"

#include <algorithm>

#include "common/strings.h"

namespace cod {

namespace {

bool hasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

}  // namespace

std::string pathSegmentProblem(std::string_view name) {
  if (name.empty()) return "is empty";
  if (name.size() > kMaxPathSegment) {
    return "is longer than " + std::to_string(kMaxPathSegment) + " bytes";
  }
  if (name == "." || name == "..") return "is \"" + std::string(name) + "\", which names no file";
  if (name.find('/') != std::string_view::npos) return "has a '/' (it must be one path segment)";
  if (hasControl(name)) return "has a NUL or another control character";
  return "";
}

std::string idProblem(std::string_view id) {
  if (id.empty()) return "is empty";
  if (id.size() > kMaxIdLength)
    return "is longer than " + std::to_string(kMaxIdLength) + " characters";
  auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  };
  if (!std::all_of(id.begin(), id.end(), ok)) {
    return "has characters other than letters, digits, '-', '_' and '.'";
  }
  if (id[0] == '-' || id[0] == '_' || id[0] == '.') return "does not start with a letter or digit";
  return "";
}

std::string containerPathProblem(std::string_view path) {
  if (path.empty() || path[0] != '/') return "is not an absolute path";
  if (path.size() > kMaxContainerPath) {
    return "is longer than " + std::to_string(kMaxContainerPath) + " bytes";
  }
  if (hasControl(path)) return "has a NUL or another control character";
  if (path.find_first_of(":,") != std::string_view::npos) return "has a ':' or ','";
  for (const std::string& segment : split(path.substr(1), '/')) {
    if (segment == "." || segment == "..") return "has a \".\" or \"..\" segment";
  }
  return "";
}

bool isReservedContainerPath(std::string_view path) {
  // Compare without trailing or doubled slashes: "//proc/" is /proc.
  std::string clean;
  for (const std::string& segment : split(path, '/')) {
    if (!segment.empty()) clean += "/" + segment;
  }
  if (clean.empty()) return true;  // "/"
  for (std::string_view root : {"/proc", "/sys", "/dev"}) {
    if (clean == root || startsWith(clean, std::string(root) + "/")) return true;
  }
  return false;
}

bool isWithin(std::string_view path, std::string_view dir) {
  if (dir == "/") return path.starts_with('/');
  return path == dir ||
         (path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/');
}

Result<std::string> childPath(std::string_view base, std::string_view segment) {
  if (std::string problem = pathSegmentProblem(segment); !problem.empty()) {
    return invalidArgument("\"" + std::string(segment) + "\" cannot be used as a file name: it " +
                           problem);
  }
  std::string out(base);
  if (out.empty() || out.back() != '/') out += '/';
  out += segment;
  return out;
}

}  // namespace cod
