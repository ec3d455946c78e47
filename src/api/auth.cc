#include "api/auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <set>

#include "common/strings.h"

namespace cod::api {

namespace {

constexpr const char* kResources[] = {"job", "node", "agent"};

// Paths anyone may call, whatever the method (exact paths, then prefixes).
constexpr const char* kOpenPaths[] = {"/",
                                      "/version",
                                      "/livez",
                                      "/api/v1/auth",
                                      "/api/v1/agent/alive",
                                      "/api/v1/agent/version",
                                      "/api/v1/agent/authconfig"};
constexpr const char* kOpenPrefixes[] = {"/api/v1/auth/"};

bool isKnownAction(std::string_view action) {
  if (action == "*" || action == "read:*" || action == "write:*") return true;
  for (const char* verb : {"read:", "write:"}) {
    if (!startsWith(action, verb)) continue;
    std::string_view resource = action.substr(std::string_view(verb).size());
    return std::any_of(std::begin(kResources), std::end(kResources),
                       [&](const char* r) { return resource == r; });
  }
  return false;
}

// The path's resource ("" = none claims it); `open` when anyone may call it.
std::string_view resourceOf(std::string_view path, bool* open) {
  *open = false;
  for (const char* p : kOpenPaths) {
    if (path == p) *open = true;
  }
  for (const char* p : kOpenPrefixes) {
    if (startsWith(path, p)) *open = true;
  }
  if (*open) return "";
  auto under = [&](std::string_view prefix) {
    return path == prefix || (startsWith(path, prefix) && path[prefix.size()] == '/');
  };
  if (under("/api/v1/orchestrator/jobs")) return "job";
  if (under("/api/v1/orchestrator/nodes")) return "node";
  if (under("/api/v1/agent")) return "agent";
  return "";
}

std::string describe(std::string_view capability) {
  // "write:job" → "write jobs"
  size_t colon = capability.find(':');
  if (colon == std::string_view::npos) return std::string(capability);
  return std::string(capability.substr(0, colon)) + " " +
         std::string(capability.substr(colon + 1)) + "s";
}

}  // namespace

Status validateAuthConfig(const AuthConfig& config) {
  std::set<std::string> keys;
  std::set<std::string> usernames;
  for (size_t i = 0; i < config.users.size(); ++i) {
    const ApiUser& u = config.users[i];
    std::string who = "API.Auth.Users[" + std::to_string(i) + "]" +
                      (u.alias.empty() ? std::string() : " (" + u.alias + ")");
    if (u.api_key.empty() && u.username.empty()) {
      return invalidArgument(who + ": a user needs an APIKey, or a Username and Password");
    }
    if (u.username.empty() != u.password.empty()) {
      return invalidArgument(who + ": Username and Password go together");
    }
    if (!u.api_key.empty() && !keys.insert(u.api_key).second) {
      return invalidArgument(who + ": another user has the same APIKey");
    }
    if (!u.username.empty() && !usernames.insert(u.username).second) {
      return invalidArgument(who + ": another user is named " + u.username);
    }
    if (u.username.find(':') != std::string::npos) {
      return invalidArgument(who + ": a Username cannot hold ':' (Basic auth splits on it)");
    }
    for (const std::string& action : u.actions) {
      if (!isKnownAction(action)) {
        return invalidArgument(who + ": unknown capability action '" + action +
                               "'; use read:job, write:job, read:node, write:node, read:agent, "
                               "write:agent, read:*, write:* or *");
      }
    }
  }
  return Status::ok();
}

namespace {

// The capability for a path's resource ("" when none claims it).
std::string capabilityFor(std::string_view method, std::string_view resource) {
  if (resource.empty()) return "";
  bool read = method == "GET" || method == "HEAD";
  return std::string(read ? "read:" : "write:") + std::string(resource);
}

}  // namespace

std::string requiredCapability(std::string_view method, std::string_view path) {
  bool open = false;
  std::string_view resource = resourceOf(path, &open);
  return open ? "" : capabilityFor(method, resource);
}

bool grants(const std::vector<std::string>& actions, std::string_view capability) {
  if (capability.empty()) return false;
  bool read = startsWith(capability, "read:");
  return std::any_of(actions.begin(), actions.end(), [&](const std::string& a) {
    return a == "*" || a == capability || (read && a == "read:*") || (!read && a == "write:*");
  });
}

namespace {

std::array<unsigned char, 32> digest(std::string_view text) {
  std::array<unsigned char, 32> out{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out.data());
  return out;
}

bool sameDigest(const std::array<unsigned char, 32>& a, const std::array<unsigned char, 32>& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

Authorizer::Authorizer(const AuthConfig& config) {
  for (const ApiUser& u : config.users) {
    User user;
    user.name = !u.alias.empty() ? u.alias : (!u.username.empty() ? u.username : "API key user");
    if (!u.api_key.empty()) {
      user.has_key = true;
      user.key = digest(u.api_key);
    }
    if (!u.username.empty()) {
      user.has_password = true;
      user.username = digest(u.username);
      user.password = digest(u.password);
    }
    user.actions = u.actions;
    users_.push_back(std::move(user));
  }
}

const Authorizer::User* Authorizer::findByKey(std::string_view key) const {
  Digest d = digest(key);
  const User* found = nullptr;
  for (const User& u : users_) {
    // Every user is compared, so the time taken does not say which one matched.
    if (u.has_key && sameDigest(u.key, d) && found == nullptr) found = &u;
  }
  return found;
}

const Authorizer::User* Authorizer::findByPassword(std::string_view username,
                                                   std::string_view password) const {
  Digest name = digest(username);
  Digest pass = digest(password);
  const User* found = nullptr;
  for (const User& u : users_) {
    if (!u.has_password) continue;
    bool same_name = sameDigest(u.username, name);
    bool same_pass = sameDigest(u.password, pass);
    if (same_name && same_pass && found == nullptr) found = &u;
  }
  return found;
}

Authorizer::Decision Authorizer::authorize(const HttpRequest& req) const {
  Decision d;
  if (!enabled()) return d;
  bool open = false;
  std::string_view resource = resourceOf(req.path, &open);
  if (open) return d;
  std::string needed = capabilityFor(req.method, resource);

  auto unauthorized = [&](std::string message) {
    d.status = 401;
    d.code = "Unauthorized";
    d.message = std::move(message);
    d.hint =
        "set COD_API_KEY (or BACALHAU_API_KEY) to an API key, or BACALHAU_API_USERNAME and "
        "BACALHAU_API_PASSWORD, as the orchestrator's operator configured them (API.Auth.Users)";
    return d;
  };
  const std::string* header = req.headers.find("Authorization");
  if (header == nullptr || trim(*header).empty()) {
    return unauthorized(
        "this API needs credentials: send Authorization: Bearer <API key> or "
        "Basic <base64 of user:password>");
  }
  std::string_view value = trim(*header);
  size_t space = value.find(' ');
  std::string_view scheme = value.substr(0, space);
  std::string_view credentials =
      space == std::string_view::npos ? std::string_view() : trim(value.substr(space + 1));
  const User* user = nullptr;
  if (equalsIgnoreCase(scheme, "Bearer")) {
    if (!credentials.empty()) user = findByKey(credentials);
    if (user == nullptr) return unauthorized("the API key is not valid");
  } else if (equalsIgnoreCase(scheme, "Basic")) {
    std::string decoded;
    size_t colon = std::string::npos;
    if (base64Decode(credentials, &decoded)) colon = decoded.find(':');
    if (colon == std::string::npos) {
      return unauthorized("Basic credentials must be base64 of user:password");
    }
    user = findByPassword(std::string_view(decoded).substr(0, colon),
                          std::string_view(decoded).substr(colon + 1));
    if (user == nullptr) return unauthorized("the username or password is not valid");
  } else {
    return unauthorized("unsupported Authorization scheme '" + std::string(scheme) +
                        "': use Bearer or Basic");
  }
  d.user = user->name;
  if (needed.empty() || grants(user->actions, needed)) return d;
  d.status = 403;
  d.code = "Forbidden";
  d.message = "user " + user->name + " may not " + describe(needed) + " (needs " + needed + ")";
  d.hint = "ask the operator to add " + needed + " to the user's Capabilities";
  return d;
}

}  // namespace cod::api
