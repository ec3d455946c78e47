#include "api/auth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "api/middleware.h"
#include "common/strings.h"

namespace cod::api {
namespace {

using ::testing::HasSubstr;

ApiUser keyUser(std::string alias, std::string key, std::vector<std::string> actions) {
  ApiUser u;
  u.alias = std::move(alias);
  u.api_key = std::move(key);
  u.actions = std::move(actions);
  return u;
}

ApiUser passwordUser(std::string name, std::string password, std::vector<std::string> actions) {
  ApiUser u;
  u.username = std::move(name);
  u.password = std::move(password);
  u.actions = std::move(actions);
  return u;
}

HttpRequest request(std::string method, std::string path, std::string authorization = "") {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.target = r.path;
  if (!authorization.empty()) r.headers.add("Authorization", authorization);
  return r;
}

TEST(AuthTest, EachPathNeedsItsResourcesCapability) {
  EXPECT_EQ(requiredCapability("GET", "/api/v1/orchestrator/jobs"), "read:job");
  EXPECT_EQ(requiredCapability("HEAD", "/api/v1/orchestrator/jobs/j-1/logs"), "read:job");
  EXPECT_EQ(requiredCapability("PUT", "/api/v1/orchestrator/jobs"), "write:job");
  EXPECT_EQ(requiredCapability("DELETE", "/api/v1/orchestrator/jobs/j-1"), "write:job");
  EXPECT_EQ(requiredCapability("GET", "/api/v1/orchestrator/nodes"), "read:node");
  EXPECT_EQ(requiredCapability("POST", "/api/v1/orchestrator/nodes"), "write:node");
  EXPECT_EQ(requiredCapability("GET", "/api/v1/agent/config"), "read:agent");
  EXPECT_EQ(requiredCapability("GET", "/api/v1/agent/debug"), "read:agent");
  // Open: the auth endpoints, liveness, version, and the redirects to them.
  for (const char* open : {"/api/v1/auth", "/api/v1/auth/ClientKey", "/api/v1/agent/alive",
                           "/api/v1/agent/version", "/api/v1/agent/authconfig", "/", "/livez"}) {
    EXPECT_EQ(requiredCapability("GET", open), "") << open;
  }
  // A prefix match is on whole segments.
  EXPECT_EQ(requiredCapability("GET", "/api/v1/orchestrator/jobsx"), "");
}

TEST(AuthTest, WildcardsFollowBacalhau) {
  EXPECT_TRUE(grants({"*"}, "write:node"));
  EXPECT_TRUE(grants({"read:*"}, "read:node"));
  EXPECT_FALSE(grants({"read:*"}, "write:job"));
  EXPECT_TRUE(grants({"write:*"}, "write:agent"));
  EXPECT_FALSE(grants({"write:*"}, "read:job"));  // writing does not imply reading
  EXPECT_TRUE(grants({"read:job", "write:job"}, "write:job"));
  EXPECT_FALSE(grants({"read:job"}, "read:node"));
  EXPECT_FALSE(grants({}, "read:job"));
}

TEST(AuthTest, ConfigMistakesAreNamed) {
  EXPECT_TRUE(validateAuthConfig({}).isOk());
  EXPECT_TRUE(
      validateAuthConfig({{keyUser("ci", "k1", {"read:job"}), passwordUser("alice", "pw", {"*"})}})
          .isOk());
  auto message = [](AuthConfig c) { return validateAuthConfig(c).message(); };
  EXPECT_THAT(message({{ApiUser{}}}), HasSubstr("needs an APIKey, or a Username and Password"));
  EXPECT_THAT(message({{passwordUser("bob", "", {})}}),
              HasSubstr("Username and Password go together"));
  EXPECT_THAT(message({{keyUser("a", "k", {}), keyUser("b", "k", {})}}),
              HasSubstr("API.Auth.Users[1] (b): another user has the same APIKey"));
  EXPECT_THAT(message({{passwordUser("bob", "x", {}), passwordUser("bob", "y", {})}}),
              HasSubstr("another user is named bob"));
  EXPECT_THAT(message({{keyUser("ci", "k", {"run:job"})}}),
              HasSubstr("unknown capability action 'run:job'"));
  EXPECT_THAT(message({{passwordUser("a:b", "x", {})}}), HasSubstr("cannot hold ':'"));
}

TEST(AuthTest, WithoutUsersEverythingIsLetThrough) {
  Authorizer auth(AuthConfig{});
  EXPECT_FALSE(auth.enabled());
  EXPECT_EQ(auth.authorize(request("PUT", "/api/v1/orchestrator/jobs")).status, 200);
  EXPECT_EQ(auth.authorize(request("PUT", "/api/v1/orchestrator/jobs", "Bearer junk")).status, 200);
}

TEST(AuthTest, KeysPasswordsAndCapabilities) {
  Authorizer auth(AuthConfig{{keyUser("reader", "read-key", {"read:*"}),
                              keyUser("", "submit-key", {"read:job", "write:job"}),
                              passwordUser("alice", "s3cret", {"*"})}});
  ASSERT_TRUE(auth.enabled());
  const std::string jobs = "/api/v1/orchestrator/jobs";

  Authorizer::Decision d = auth.authorize(request("GET", jobs));
  EXPECT_EQ(d.status, 401);
  EXPECT_EQ(d.code, "Unauthorized");
  EXPECT_THAT(d.message, HasSubstr("needs credentials"));
  EXPECT_THAT(d.hint, HasSubstr("COD_API_KEY"));
  EXPECT_EQ(auth.authorize(request("GET", jobs, "Bearer wrong")).status, 401);
  EXPECT_EQ(auth.authorize(request("GET", jobs, "Bearer read-key-and-more")).status, 401);
  EXPECT_EQ(auth.authorize(request("GET", jobs, "Bearer")).status, 401);
  EXPECT_THAT(auth.authorize(request("GET", jobs, "Digest x")).message,
              HasSubstr("unsupported Authorization scheme 'Digest'"));

  d = auth.authorize(request("GET", jobs, "Bearer read-key"));
  EXPECT_EQ(d.status, 200);
  EXPECT_EQ(d.user, "reader");
  EXPECT_EQ(auth.authorize(request("GET", "/api/v1/orchestrator/nodes", "bearer read-key")).status,
            200);
  d = auth.authorize(request("PUT", jobs, "Bearer read-key"));
  EXPECT_EQ(d.status, 403);
  EXPECT_EQ(d.code, "Forbidden");
  EXPECT_EQ(d.message, "user reader may not write jobs (needs write:job)");

  EXPECT_EQ(auth.authorize(request("PUT", jobs, "Bearer submit-key")).status, 200);
  d = auth.authorize(request("PUT", "/api/v1/orchestrator/nodes", "Bearer submit-key"));
  EXPECT_EQ(d.status, 403);
  EXPECT_EQ(d.user, "API key user");

  const std::string alice = "Basic " + base64Encode("alice:s3cret");
  EXPECT_EQ(auth.authorize(request("PUT", "/api/v1/orchestrator/nodes", alice)).status, 200);
  EXPECT_EQ(auth.authorize(request("GET", jobs, "Basic " + base64Encode("alice:nope"))).status,
            401);
  EXPECT_EQ(auth.authorize(request("GET", jobs, "Basic " + base64Encode("bob:s3cret"))).status,
            401);
  EXPECT_EQ(auth.authorize(request("GET", jobs, "Basic not-base64!")).status, 401);
  // A password is not an API key, nor the reverse.
  EXPECT_EQ(auth.authorize(request("GET", jobs, "Bearer s3cret")).status, 401);
  EXPECT_EQ(auth.authorize(request("GET", jobs, "Basic " + base64Encode("reader:read-key"))).status,
            401);

  // Open paths need nothing; a path no resource claims needs a known user (then it gets its 404).
  EXPECT_EQ(auth.authorize(request("GET", "/api/v1/agent/alive")).status, 200);
  EXPECT_EQ(auth.authorize(request("POST", "/api/v1/auth/ClientKey")).status, 200);
  EXPECT_EQ(auth.authorize(request("GET", "/nowhere")).status, 401);
  EXPECT_EQ(auth.authorize(request("GET", "/nowhere", "Bearer submit-key")).status, 200);
}

// The middleware answers 401/403 in the standard error body before the media-type check and the
// route, and lets through what the authorizer allows.
TEST(AuthTest, MiddlewareRefusesInTheStandardErrorBody) {
  Router router;
  int reached = 0;
  router.add("PUT", "/api/v1/orchestrator/jobs", [&](const HttpRequest&) -> Result<HttpResponse> {
    ++reached;
    return HttpResponse::json(200, R"({"JobID":"j-1"})");
  });
  Authorizer auth(AuthConfig{{keyUser("reader", "read-key", {"read:job"}),
                              keyUser("writer", "write-key", {"write:job"})}});
  Middleware middleware(&router, ServerHeaders{"v1.7.0", "", "", "", ""}, CorsConfig{}, &auth);

  HttpRequest req = request("PUT", "/api/v1/orchestrator/jobs");
  req.body = "not even json";  // 401 comes first: the 415 would tell a stranger too much
  HttpResponse res = middleware.handle(req);
  EXPECT_EQ(res.status, 401);
  EXPECT_THAT(res.headers.get("WWW-Authenticate"), HasSubstr("Bearer"));
  auto body = boost::json::parse(res.body).as_object();
  EXPECT_EQ(body.at("Code"), "Unauthorized");
  EXPECT_EQ(body.at("Status"), 401);
  EXPECT_FALSE(body.at("RequestID").as_string().empty());

  req = request("PUT", "/api/v1/orchestrator/jobs", "Bearer read-key");
  req.headers.add("Content-Type", "application/json");
  req.body = "{}";
  res = middleware.handle(req);
  EXPECT_EQ(res.status, 403);
  EXPECT_EQ(boost::json::parse(res.body).at("Code"), "Forbidden");
  EXPECT_EQ(reached, 0);

  req = request("PUT", "/api/v1/orchestrator/jobs", "Bearer write-key");
  req.headers.add("Content-Type", "application/json");
  req.body = "{}";
  EXPECT_EQ(middleware.handle(req).status, 200);
  EXPECT_EQ(reached, 1);
}

}  // namespace
}  // namespace cod::api
