#include "cli/input_flags.h"

#include <filesystem>
#include <fstream>

#include "common/archive.h"
#include "common/ids.h"
#include "common/strings.h"

namespace cod::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kDefaultTarget = "/inputs";

Status flagError(const std::string& value, const std::string& problem) {
  return invalidArgument("--input '" + value + "': " + problem);
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A file or folder on this machine as an inline source.
Result<models::InputSource> inlineLocalPath(const std::string& value, const std::string& path,
                                            std::string target) {
  std::error_code ec;
  fs::path p = fs::absolute(path, ec);
  if (ec || !fs::exists(p, ec)) {
    return flagError(value,
                     "no such file or folder on this machine (to mount a path of the "
                     "compute node, write file://" +
                         path + ")");
  }
  std::string name = p.filename().string();
  if (name.empty()) name = p.parent_path().filename().string();
  models::InputSource in;
  in.source.type = "inline";
  if (fs::is_regular_file(p) && fs::file_size(p, ec) <= kInlineRawLimit) {
    in.source.params["URL"] = "data:application/octet-stream;base64," + base64Encode(readFile(p));
    in.target = target.empty() ? std::string(kDefaultTarget) + "/" + name : std::move(target);
    return in;
  }
  // A folder, or a larger file, travels as a tar.gz of what the task should see under Target.
  fs::path tmp = fs::temp_directory_path() / ("cod-inline-" + newUuid());
  fs::path tree = tmp / "tree";
  fs::create_directories(tree, ec);
  if (fs::is_regular_file(p)) {
    fs::copy_file(p, tree / name, ec);
  } else {
    fs::copy(p, tree, fs::copy_options::recursive, ec);
  }
  if (ec) {
    fs::remove_all(tmp, ec);
    return flagError(value, "cannot read it: " + ec.message());
  }
  auto packed = createTarGz(tree.string(), (tmp / "in.tar.gz").string());
  std::string archive = packed.isOk() ? readFile(tmp / "in.tar.gz") : "";
  fs::remove_all(tmp, ec);
  if (!packed.isOk()) return flagError(value, packed.status().message());
  if (archive.size() > kInlineMaxBytes) {
    return flagError(value, "is " + std::to_string(archive.size()) +
                                " bytes compressed, more than the " +
                                std::to_string(kInlineMaxBytes / (size_t{1024} * 1024)) +
                                " MiB that can travel inside a job; put it in S3, IPFS or on a "
                                "web server and give that URL instead");
  }
  in.source.params["URL"] = "data:application/gzip;base64," + base64Encode(archive);
  in.target = target.empty() ? std::string(kDefaultTarget) : std::move(target);
  return in;
}

Result<models::InputSource> fromUri(const std::string& value, const std::string& uri,
                                    const std::vector<std::pair<std::string, std::string>>& opts,
                                    std::string target) {
  std::string lower = toLower(uri);
  models::InputSource in;
  in.target = target.empty() ? kDefaultTarget : std::move(target);
  auto& params = in.source.params;
  auto no_opts = [&]() -> Status {
    if (!opts.empty()) return flagError(value, "this kind of input takes no opt=");
    return Status::ok();
  };
  if (startsWith(lower, "ipfs://")) {
    COD_RETURN_IF_ERROR(no_opts());
    in.source.type = "ipfs";
    params["CID"] = uri.substr(7);
  } else if (startsWith(lower, "http://") || startsWith(lower, "https://")) {
    COD_RETURN_IF_ERROR(no_opts());
    in.source.type = "urlDownload";
    params["URL"] = uri;
  } else if (startsWith(lower, "data:")) {
    COD_RETURN_IF_ERROR(no_opts());
    in.source.type = "inline";
    params["URL"] = uri;
  } else if (startsWith(lower, "s3://")) {
    in.source.type = "s3";
    std::string rest = uri.substr(5);
    size_t slash = rest.find('/');
    params["Bucket"] = rest.substr(0, slash);
    params["Key"] = slash == std::string::npos ? "" : rest.substr(slash + 1);
    for (const auto& [k, v] : opts) {
      std::string key = toLower(k);
      if (key == "region")
        params["Region"] = v;
      else if (key == "endpoint")
        params["Endpoint"] = v;
      else if (key == "version-id" || key == "versionid")
        params["VersionID"] = v;
      else if (key == "checksum-256" || key == "checksumsha256")
        params["ChecksumSHA256"] = v;
      else if (key == "filter")
        params["Filter"] = v;
      else
        return flagError(value, "unknown s3 opt '" + k +
                                    "' (region, endpoint, version-id, "
                                    "checksum-256, filter)");
    }
  } else if (startsWith(lower, "file://")) {
    in.source.type = "local";
    params["SourcePath"] = uri.substr(7);
    for (const auto& [k, v] : opts) {
      if (toLower(k) != "rw") return flagError(value, "unknown file opt '" + k + "' (rw)");
      params["ReadWrite"] = toLower(v) == "true" || v.empty();
    }
  } else {
    return flagError(value,
                     "unknown input scheme; use ipfs://, http(s)://, s3://, file://, data: "
                     "or a path on this machine");
  }
  return in;
}

}  // namespace

Result<std::vector<models::InputSource>> parseInputs(const std::vector<std::string>& values) {
  std::vector<models::InputSource> out;
  for (const std::string& value : values) {
    std::string src;
    std::string dst;
    std::vector<std::pair<std::string, std::string>> opts;
    if (startsWith(value, "src=") || value.find(",dst=") != std::string::npos ||
        startsWith(value, "dst=")) {
      for (const std::string& field : split(value, ',')) {
        size_t eq = field.find('=');
        std::string key = toLower(trim(field.substr(0, eq)));
        std::string v = eq == std::string::npos ? "" : std::string(trim(field.substr(eq + 1)));
        if (key == "src" || key == "source") {
          src = v;
        } else if (key == "dst" || key == "destination" || key == "target") {
          dst = v;
        } else if (key == "opt" || key == "option") {
          size_t oeq = v.find('=');
          opts.emplace_back(v.substr(0, oeq), oeq == std::string::npos ? "" : v.substr(oeq + 1));
        } else {
          return flagError(value, "unknown field '" + key + "' (src, dst, opt)");
        }
      }
    } else {
      src = value;
    }
    if (src.empty()) return flagError(value, "says nothing to read (src=…)");
    if (!dst.empty() && dst[0] != '/') return flagError(value, "dst must be an absolute path");
    bool has_scheme = src.find("://") != std::string::npos || startsWith(toLower(src), "data:");
    Result<models::InputSource> in =
        has_scheme ? fromUri(value, src, opts, dst) : inlineLocalPath(value, src, dst);
    if (!in.isOk()) return in.status();
    out.push_back(std::move(in).value());
  }
  return out;
}

}  // namespace cod::cli
