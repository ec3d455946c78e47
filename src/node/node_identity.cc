#include "node/node_identity.h"

#include <filesystem>
#include <fstream>

#include "common/ids.h"
#include "common/strings.h"

namespace cod::node {

namespace fs = std::filesystem;

Result<std::string> loadOrCreateNodeId(const std::string& dir, const std::string& name) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return internalError("cannot create " + dir + ": " + ec.message());
  fs::path file = fs::path(dir) / "node_id";
  if (!name.empty()) {
    std::ofstream(file, std::ios::trunc) << name << "\n";
    return name;
  }
  std::ifstream in(file);
  std::string id;
  if (in && std::getline(in, id) && !trim(id).empty()) return std::string(trim(id));
  id = newNodeId();
  std::ofstream out(file, std::ios::trunc);
  out << id << "\n";
  out.close();
  if (!out) return internalError("cannot write " + file.string());
  return id;
}

}  // namespace cod::node
