#include "storage/local/local_storage.h"

#include <filesystem>
#include <fstream>

#include "common/paths.h"
#include "common/strings.h"

namespace cod::storage {

namespace fs = std::filesystem;

Result<AllowedPath> parseAllowedPath(const std::string& entry) {
  AllowedPath out;
  std::string path = entry;
  if (endsWith(path, ":rw")) {
    out.read_write = true;
    path.resize(path.size() - 3);
  } else if (endsWith(path, ":ro")) {
    path.resize(path.size() - 3);
  }
  if (path.empty() || path[0] != '/') {
    return invalidArgument("allow-listed local path \"" + entry +
                           "\" must be absolute (like /data or /data:rw)");
  }
  out.path = path;
  return out;
}

namespace {

// `path` resolved through every symlink of the part that exists; the rest appended as given.
Result<fs::path> resolveExisting(const fs::path& path, bool* exists) {
  std::error_code ec;
  fs::path existing = path;
  fs::path rest;
  while (!fs::exists(fs::symlink_status(existing, ec)) && existing.has_relative_path()) {
    rest = rest.empty() ? existing.filename() : existing.filename() / rest;
    existing = existing.parent_path();
  }
  *exists = rest.empty();
  fs::path real = fs::canonical(existing, ec);
  if (ec) return failedPrecondition("cannot resolve " + existing.string() + ": " + ec.message());
  return rest.empty() ? real : real / rest;
}

bool isWithin(const fs::path& path, const fs::path& root) {
  auto p = path.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++p) {
    if (r->empty()) continue;  // a trailing slash
    if (p == path.end() || *p != *r) return false;
  }
  return true;
}

}  // namespace

Result<LocalStorage::Resolved> LocalStorage::resolve(const models::InputSource& input) const {
  std::string source = stringParam(input, "SourcePath");
  if (source.empty()) return invalidArgument("local Source.Params.SourcePath is required");
  if (std::string problem = containerPathProblem(source); !problem.empty()) {
    return invalidArgument("local Source.Params.SourcePath must be a plain absolute path, but \"" +
                           source + "\" " + problem);
  }
  Resolved r;
  COD_ASSIGN_OR_RETURN(bool rw, boolParam(input, "ReadWrite"));
  r.create_as = toLower(trim(stringParam(input, "CreateAs")));
  if (r.create_as.empty()) r.create_as = "nocreate";
  if (r.create_as != "nocreate" && r.create_as != "dir" && r.create_as != "file") {
    return invalidArgument("local Source.Params.CreateAs must be noCreate, dir or file, got \"" +
                           stringParam(input, "CreateAs") + "\"");
  }
  COD_ASSIGN_OR_RETURN(fs::path real, resolveExisting(source, &r.exists));
  std::vector<std::string> listed;
  const AllowedPath* match = nullptr;
  for (const AllowedPath& a : allowed_) {
    listed.push_back(a.path + (a.read_write ? ":rw" : ""));
    bool root_exists = false;
    auto root = resolveExisting(a.path, &root_exists);
    if (!root.isOk() || !root_exists) continue;
    if (isWithin(real, *root) && (match == nullptr || (a.read_write && !match->read_write))) {
      match = &a;
    }
  }
  if (match == nullptr) {
    return Status(StatusCode::kPermissionDenied,
                  "local path " + source + " is not below a path this node allows (" +
                      (listed.empty() ? std::string("none are allowed") : join(listed, ", ")) + ")")
        .withHint("start the compute node with --allow-listed-local-paths naming it");
  }
  if (rw && !match->read_write) {
    return Status(StatusCode::kPermissionDenied, "local path " + source +
                                                     " may only be mounted read-only here (" +
                                                     match->path + " is allowed without :rw)");
  }
  if (!r.exists && r.create_as == "nocreate") {
    return notFound("local path " + source +
                    " does not exist on this node (CreateAs dir or file makes it)");
  }
  r.path = real.string();
  r.read_write = rw;
  return r;
}

Status LocalStorage::validate(const models::InputSource& input) { return resolve(input).status(); }

Result<Mount> LocalStorage::prepare(const models::InputSource& input, const Partition&,
                                    const std::string&, CancelToken& cancel) {
  if (cancel.cancelled()) return cancelled("staging cancelled");
  COD_ASSIGN_OR_RETURN(Resolved r, resolve(input));
  if (!r.exists) {
    std::error_code ec;
    if (r.create_as == "dir") {
      fs::create_directories(r.path, ec);
    } else {
      fs::create_directories(fs::path(r.path).parent_path(), ec);
      if (!ec) std::ofstream(r.path, std::ios::app);
    }
    if (ec || !fs::exists(r.path)) {
      return internalError("cannot create " + r.path + (ec ? ": " + ec.message() : ""));
    }
    // What was just made must still be inside the allow-list (a symlink may have appeared).
    COD_ASSIGN_OR_RETURN(r, resolve(input));
  }
  return Mount{r.path, input.target, !r.read_write};
}

}  // namespace cod::storage
