#include "transport/messages.h"

namespace cod::transport {

std::string executionIdOf(const ToComputeMessage& m) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, AskForBid>) {
          return v.execution.id;
        } else {
          return v.execution_id;
        }
      },
      m);
}

std::string executionIdOf(const ToOrchestratorMessage& m) {
  return std::visit([](const auto& v) { return v.execution_id; }, m);
}

std::string messageTypeName(const ToComputeMessage& m) {
  static constexpr const char* kNames[] = {"AskForBid", "BidAccepted", "BidRejected",
                                           "CancelExecution"};
  return kNames[m.index()];
}

std::string messageTypeName(const ToOrchestratorMessage& m) {
  static constexpr const char* kNames[] = {"BidResult", "RunResult", "ComputeError"};
  return kNames[m.index()];
}

}  // namespace cod::transport
