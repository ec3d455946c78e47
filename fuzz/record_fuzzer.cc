// Stored records as the SQLite stores read them back (store/record_codec.h): any text decodes as
// each kind of record or fails with a Status; whatever decodes is written again and must read back
// equal, so the encoding never loses or changes what it accepted. A difference is a finding
// (abort).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "store/record_codec.h"

namespace {

template <typename Decode>
void roundTrip(std::string_view text, Decode decode) {
  auto first = decode(text);
  if (!first.isOk()) return;
  auto second = decode(cod::store::records::encode(*first));
  if (!second.isOk() || !(*second == *first)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace records = cod::store::records;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  roundTrip(text, records::decodeJob);
  roundTrip(text, records::decodeExecution);
  roundTrip(text, records::decodeEvaluation);
  roundTrip(text, records::decodeHistory);
  roundTrip(text, records::decodeNode);
  roundTrip(text, records::decodeLocalExecution);
  return 0;
}
