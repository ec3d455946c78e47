#pragma once

// `inline` inputs: the data travels in the job spec as an RFC 2397 data URL
// ("data:[<media type>][;base64],<data>"). `application/gzip` data is a tar.gz, unpacked safely
// (common/archive.h) into a folder mounted at Target; anything else is one file mounted at Target.

#include "storage/storage.h"

namespace cod::storage {

class InlineStorage final : public StorageProvider {
 public:
  std::string name() const override { return "inline"; }
  Status validate(const models::InputSource& input) override;
  uint64_t estimateSize(const models::InputSource& input) override;
  Result<Mount> prepare(const models::InputSource& input, const Partition& partition,
                        const std::string& dir, CancelToken& cancel) override;
};

struct DataUrl {
  std::string media_type;  // lower-case, without parameters; "" when the URL names none
  std::string data;        // decoded
};
// Parses an RFC 2397 data URL; InvalidArgument naming what is wrong.
Result<DataUrl> parseDataUrl(std::string_view url);

}  // namespace cod::storage
