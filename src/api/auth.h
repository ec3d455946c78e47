#pragma once

// Who may call the API (reference/bacalhau-api.md §4): the users of Bacalhau's `API.Auth.Users`
// config, each known by an API key (`Authorization: Bearer <key>`) or a username and password
// (`Authorization: Basic base64(user:password)`), each holding capabilities — actions such as
// "read:job", "write:job", "read:node", "write:node", "read:agent", "write:agent", or the
// wildcards "read:*", "write:*" and "*".
//
// A request needs the capability of the resource its path names and of its method: GET and HEAD
// read, anything else writes. /api/v1/orchestrator/jobs… is "job", …/nodes… "node", /api/v1/agent…
// "agent"; the auth endpoints, /api/v1/agent/{alive,version,authconfig} and the redirects to them
// are open to everyone, as in Bacalhau. A path no resource claims needs a known user only (it then
// gets its 404). Without users the API lets every request through and ignores Authorization.
//
// Keys and passwords are compared through their SHA-256 digests with CRYPTO_memcmp: the time a
// check takes says nothing about how much of a guess was right.
//
// Thread-safety: immutable after construction; authorize() may run concurrently.

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.h"
#include "common/status.h"

namespace cod::api {

struct ApiUser {
  std::string alias;     // how logs and errors name the user ("" = the username, or "API key")
  std::string username;  // with password: Basic auth
  std::string password;
  std::string api_key;  // Bearer auth
  std::vector<std::string> actions;
};

struct AuthConfig {
  std::vector<ApiUser> users;
  bool enabled() const { return !users.empty(); }
};

// InvalidArgument naming the user and field for a user with neither an API key nor a username
// and password, a username without a password (or the reverse), an unknown action, or a key or
// username that two users share.
Status validateAuthConfig(const AuthConfig& config);

// The capability a request needs ("" = none: the path is open). Exposed for tests.
std::string requiredCapability(std::string_view method, std::string_view path);
// Whether `actions` grant `capability` (Bacalhau's rules: exact match, "*", "read:*" for a read,
// "write:*" for anything else).
bool grants(const std::vector<std::string>& actions, std::string_view capability);

class Authorizer {
 public:
  explicit Authorizer(const AuthConfig& config);

  bool enabled() const { return !users_.empty(); }

  struct Decision {
    int status = 200;  // 200 = let through; 401 = who are you; 403 = not allowed
    std::string code;  // "Unauthorized" / "Forbidden"
    std::string message;
    std::string hint;
    std::string user;  // who the request came from, when known
  };
  Decision authorize(const HttpRequest& req) const;

 private:
  using Digest = std::array<unsigned char, 32>;
  struct User {
    std::string name;
    bool has_key = false;
    Digest key{};
    bool has_password = false;
    Digest username{};
    Digest password{};
    std::vector<std::string> actions;
  };
  const User* findByKey(std::string_view key) const;
  const User* findByPassword(std::string_view username, std::string_view password) const;

  std::vector<User> users_;
};

}  // namespace cod::api
