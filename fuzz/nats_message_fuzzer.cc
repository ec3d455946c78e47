// What arrives over NATS: the first byte picks the decoder the receiving side would run on the
// rest (compute and orchestrator envelopes, the control requests and responses, log streams).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "transport/messages_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  namespace t = cod::transport;
  switch (data[0] % 16) {
    case 0: (void)t::decodeToCompute(text); break;
    case 1: (void)t::decodeToOrchestrator(text); break;
    case 2: (void)t::decodeHandshakeRequest(text); break;
    case 3: (void)t::decodeHandshakeResponse(text); break;
    case 4: (void)t::decodeHeartbeatRequest(text); break;
    case 5: (void)t::decodeHeartbeatResponse(text); break;
    case 6: (void)t::decodeUpdateNodeInfoRequest(text); break;
    case 7: (void)t::decodeUpdateNodeInfoResponse(text); break;
    case 8: (void)t::decodePresignUploadRequest(text); break;
    case 9: (void)t::decodePresignUploadResponse(text); break;
    case 10: (void)t::decodeReconcileRequest(text); break;
    case 11: (void)t::decodeReconcileResponse(text); break;
    case 12: (void)t::decodeLogStreamOpen(text); break;
    case 13: (void)t::decodeLogStreamChunk(text); break;
    case 14: (void)t::decodeLogStreamAck(text); break;
    default: (void)t::envelopeType(text); break;
  }
  return 0;
}
