#include "transport/nats/subjects.h"

namespace cod::transport {

std::string natsControlSubject(std::string_view node_id) {
  return kNatsControlPrefix + std::string(node_id);
}

std::string natsToOrchestratorSubject(std::string_view node_id) {
  return kNatsToOrchestratorPrefix + std::string(node_id);
}

std::string_view natsSubjectNode(std::string_view subject, std::string_view prefix) {
  if (subject.size() <= prefix.size() || !subject.starts_with(prefix)) return {};
  return subject.substr(prefix.size());
}

std::string natsNodeInboxPrefix(std::string_view node_id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "_INBOX.cod.";
  for (char c : node_id) {
    const auto u = static_cast<unsigned char>(c);
    out += kHex[u >> 4];
    out += kHex[u & 0xf];
  }
  return out;
}

std::string natsComputeSubject(std::string_view node_id) {
  return "cod.v1.compute." + std::string(node_id) + ".messages";
}

std::string natsComputeLogsSubject(std::string_view node_id) {
  return "cod.v1.compute." + std::string(node_id) + ".logs";
}

std::string natsComputeLogAcksSubject(std::string_view node_id) {
  return "cod.v1.compute." + std::string(node_id) + ".logacks";
}

Status validateNodeIdForSubject(std::string_view node_id) {
  if (node_id.empty()) return invalidArgument("the node ID is empty");
  bool piece_empty = true;
  for (char c : node_id) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= ' ' || u == 0x7f || c == '*' || c == '>') {
      return invalidArgument("node ID \"" + std::string(node_id) +
                             "\" cannot be used on NATS: it must not contain whitespace, "
                             "control characters, '*' or '>'");
    }
    if (c == '.') {
      if (piece_empty) break;
      piece_empty = true;
    } else {
      piece_empty = false;
    }
  }
  if (piece_empty) {
    return invalidArgument("node ID \"" + std::string(node_id) +
                           "\" cannot be used on NATS: it must not start or end with '.' or "
                           "contain \"..\"");
  }
  return Status::ok();
}

}  // namespace cod::transport
