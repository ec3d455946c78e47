#include "storage/inline/inline_storage.h"

#include <filesystem>
#include <fstream>

#include "common/archive.h"
#include "common/strings.h"

namespace cod::storage {

namespace fs = std::filesystem;

Result<DataUrl> parseDataUrl(std::string_view url) {
  if (!startsWith(toLower(url.substr(0, 5)), "data:")) {
    return invalidArgument("inline Source.Params.URL must be a data URL (\"data:…\", RFC 2397)");
  }
  size_t comma = url.find(',');
  if (comma == std::string_view::npos) {
    return invalidArgument("inline Source.Params.URL: a data URL needs a ',' before its data");
  }
  std::string_view header = url.substr(5, comma - 5);
  std::string_view payload = url.substr(comma + 1);
  DataUrl out;
  bool base64 = false;
  std::vector<std::string> parts = split(header, ';');
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string part = toLower(trim(parts[i]));
    if (i == 0) {
      out.media_type = part;
    } else if (part == "base64" && i + 1 == parts.size()) {
      base64 = true;
    }
  }
  if (base64) {
    std::string compact;
    for (char c : payload) {
      if (!std::isspace(static_cast<unsigned char>(c))) compact += c;
    }
    if (!base64Decode(compact, &out.data)) {
      return invalidArgument("inline Source.Params.URL: the data is not valid base64");
    }
  } else {
    out.data = percentDecode(payload, false);
  }
  return out;
}

namespace {

// A tar.gz in a job spec can unpack to a thousand times its size; past this the input fails
// rather than filling the node's disk (larger data belongs in S3, IPFS or a URL).
constexpr uint64_t kMaxUnpackedBytes = uint64_t{256} << 20;

bool isGzip(const DataUrl& d) {
  return d.media_type == "application/gzip" || d.media_type == "application/x-gzip";
}

}  // namespace

Status InlineStorage::validate(const models::InputSource& input) {
  return parseDataUrl(stringParam(input, "URL")).status();
}

uint64_t InlineStorage::estimateSize(const models::InputSource& input) {
  // The decoded data is at most the URL's length; a tar.gz can unpack to much more, which the
  // extraction bounds (kMaxUnpackedBytes).
  return stringParam(input, "URL").size();
}

Result<Mount> InlineStorage::prepare(const models::InputSource& input, const Partition&,
                                     const std::string& dir, CancelToken& cancel) {
  if (cancel.cancelled()) return cancelled("staging cancelled");
  COD_ASSIGN_OR_RETURN(DataUrl data, parseDataUrl(stringParam(input, "URL")));
  fs::path file = fs::path(dir) / (isGzip(data) ? "data.tar.gz" : "data");
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(data.data.data(), static_cast<std::streamsize>(data.data.size()));
    if (!out) return internalError("cannot write " + file.string());
  }
  if (!isGzip(data)) return Mount{file.string(), input.target, true};
  fs::path tree = fs::path(dir) / "data";
  auto unpacked = extractTar(file.string(), tree.string(), kMaxUnpackedBytes);
  if (!unpacked.isOk()) {
    return invalidArgument("inline input for " + input.target +
                           " is not a usable tar.gz: " + unpacked.status().message());
  }
  std::error_code ec;
  fs::remove(file, ec);
  return Mount{tree.string(), input.target, true};
}

}  // namespace cod::storage
