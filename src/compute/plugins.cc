#include "compute/plugins.h"

#include <algorithm>

#include "common/strings.h"

namespace cod::compute {

namespace {

template <typename T>
T* findInstalled(const std::vector<T*>& plugins, std::string_view type) {
  for (T* p : plugins) {
    if (equalsIgnoreCase(p->name(), trim(type)) && p->isInstalled()) return p;
  }
  return nullptr;
}

template <typename T>
std::vector<std::string> installedNames(const std::vector<T*>& plugins) {
  std::vector<std::string> out;
  for (T* p : plugins) {
    if (p->isInstalled()) out.push_back(p->name());
  }
  return out;
}

}  // namespace

executor::Executor* Plugins::executor(std::string_view type) const {
  return findInstalled(executors, type);
}

storage::StorageProvider* Plugins::storage(std::string_view type) const {
  if (auto* s = findInstalled(storages, type)) return s;
  for (auto* s : storages) {
    for (const auto& alias : s->aliases()) {
      if (equalsIgnoreCase(alias, trim(type)) && s->isInstalled()) return s;
    }
  }
  return nullptr;
}

publisher::Publisher* Plugins::publisher(std::string_view type) const {
  return findInstalled(publishers, type);
}

std::vector<std::string> Plugins::engineNames() const { return installedNames(executors); }

std::vector<std::string> Plugins::storageNames() const {
  std::vector<std::string> out;
  for (auto* s : storages) {
    if (!s->isInstalled()) continue;
    out.push_back(s->name());
    for (const auto& alias : s->aliases()) out.push_back(alias);
  }
  return out;
}

std::vector<std::string> Plugins::publisherNames() const { return installedNames(publishers); }

namespace {

bool listed(const std::vector<std::string>& names, std::string_view name) {
  return std::any_of(names.begin(), names.end(),
                     [&](const std::string& n) { return equalsIgnoreCase(trim(n), name); });
}

}  // namespace

void Plugins::disable(const std::vector<std::string>& engines,
                      const std::vector<std::string>& storage_names,
                      const std::vector<std::string>& publisher_names) {
  std::erase_if(executors, [&](executor::Executor* e) { return listed(engines, e->name()); });
  std::erase_if(storages, [&](storage::StorageProvider* s) {
    if (listed(storage_names, s->name())) return true;
    auto aliases = s->aliases();
    return std::any_of(aliases.begin(), aliases.end(),
                       [&](const std::string& a) { return listed(storage_names, a); });
  });
  std::erase_if(publishers,
                [&](publisher::Publisher* p) { return listed(publisher_names, p->name()); });
}

std::string Plugins::refusal(const models::Task& task) const {
  executor::Executor* ex = executor(task.engine.type);
  if (ex == nullptr) return "engine \"" + task.engine.type + "\" is not installed on this node";
  if (Status v = ex->validate(task); !v.isOk()) return v.message();
  for (size_t i = 0; i < task.input_sources.size(); ++i) {
    const models::InputSource& in = task.input_sources[i];
    storage::StorageProvider* s = storage(in.source.type);
    if (s == nullptr) {
      std::vector<std::string> names = storageNames();
      return "input source \"" + in.source.type + "\" is not supported on this node (supports: " +
             (names.empty() ? std::string("none") : join(names, ", ")) + ")";
    }
    if (Status v = s->validate(in); !v.isOk()) {
      return "input " + std::to_string(i) + " (" + in.target + "): " + v.message();
    }
  }
  std::string publisher_type(trim(task.publisher.type));
  if (!publisher_type.empty()) {
    publisher::Publisher* pub = publisher(publisher_type);
    if (pub == nullptr) return "publisher \"" + publisher_type + "\" is not available on this node";
    if (Status v = pub->validate(task.publisher); !v.isOk()) return v.message();
  }
  return "";
}

}  // namespace cod::compute
