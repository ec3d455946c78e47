#include "api/middleware.h"

#include <stdexcept>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace cod::api {
namespace {

TEST(SemVerTest, ParsesAndCompares) {
  SemVer v;
  ASSERT_TRUE(parseSemVer("v1.7.0+cod.0.1.0", &v));
  EXPECT_EQ(v.major, 1u);
  EXPECT_EQ(v.minor, 7u);
  ASSERT_TRUE(parseSemVer("1.4", &v));
  EXPECT_EQ(v.patch, 0u);
  EXPECT_FALSE(parseSemVer("banana", &v));
  EXPECT_FALSE(parseSemVer("v1.2.3.4", &v));
  EXPECT_FALSE(parseSemVer("v1.x", &v));

  SemVer a;
  SemVer b;
  ASSERT_TRUE(parseSemVer("1.4.0-rc.1", &a));
  ASSERT_TRUE(parseSemVer("1.4.0", &b));
  EXPECT_LT(a.compare(b), 0);
  ASSERT_TRUE(parseSemVer("1.4.0-rc.2", &b));
  EXPECT_LT(a.compare(b), 0);
  ASSERT_TRUE(parseSemVer("1.4.0-rc.10", &a));
  EXPECT_GT(a.compare(b), 0);
}

TEST(ClientVersionTest, Verdicts) {
  EXPECT_EQ(checkClientVersion(""), ClientVersionVerdict::kAccepted);
  EXPECT_EQ(checkClientVersion("v0.0.0"), ClientVersionVerdict::kAccepted);
  EXPECT_EQ(checkClientVersion("v0.0.0-abcdef1"), ClientVersionVerdict::kAccepted);
  EXPECT_EQ(checkClientVersion("v1.4.0"), ClientVersionVerdict::kAccepted);
  EXPECT_EQ(checkClientVersion("v1.7.1"), ClientVersionVerdict::kAccepted);
  EXPECT_EQ(checkClientVersion("v1.3.2"), ClientVersionVerdict::kOutdated);
  EXPECT_EQ(checkClientVersion("not-a-version"), ClientVersionVerdict::kInvalid);
}

class MiddlewareTest : public ::testing::Test {
 protected:
  MiddlewareTest()
      : middleware_(
            &router_,
            ServerHeaders{"v1.7.0+cod.0.1.0", "abc", "2024-01-01T00:00:00Z", "linux", "amd64"},
            CorsConfig{{"http://localhost:3000"}}) {
    router_.add("GET", "/ok", [](const HttpRequest&) -> Result<HttpResponse> {
      return HttpResponse::json(200, R"({"Status":"OK"})");
    });
    router_.add("GET", "/throw", [](const HttpRequest&) -> Result<HttpResponse> {
      throw std::runtime_error("boom");
    });
    for (const char* method : {"PUT", "POST"}) {
      router_.add(method, "/api/v1/orchestrator/jobs", [](const HttpRequest&) {
        return Result<HttpResponse>(HttpResponse::json(200, R"({"JobID":"j-1"})"));
      });
    }
  }

  HttpResponse call(const std::string& method, const std::string& target,
                    const std::vector<std::pair<std::string, std::string>>& headers = {},
                    std::string body = "") {
    HttpRequest req;
    req.method = method;
    req.target = target;
    req.body = std::move(body);
    parseTarget(target, &req.path, &req.query);
    for (auto& [k, v] : headers) req.headers.add(k, v);
    return middleware_.handle(req);
  }

  Router router_;
  Middleware middleware_;
};

TEST_F(MiddlewareTest, AddsServerCorsAndRequestIdHeaders) {
  HttpResponse res = call("GET", "/ok");
  EXPECT_EQ(res.status, 200);
  EXPECT_FALSE(res.headers.has("Access-Control-Allow-Origin"));  // no Origin: not a web page
  EXPECT_EQ(res.headers.get("X-Bacalhau-Git-Version"), "v1.7.0+cod.0.1.0");
  EXPECT_EQ(res.headers.get("X-Bacalhau-Git-Commit"), "abc");
  EXPECT_EQ(res.headers.get("X-Bacalhau-Build-Date"), "2024-01-01T00:00:00Z");
  EXPECT_EQ(res.headers.get("X-Bacalhau-Build-OS"), "linux");
  EXPECT_EQ(res.headers.get("X-Bacalhau-Arch"), "amd64");
  EXPECT_EQ(res.headers.get("X-Request-ID").size(), 36u);  // a generated UUID
}

TEST_F(MiddlewareTest, EchoesRequestIdIntoHeaderAndErrorBody) {
  HttpResponse res = call("GET", "/missing", {{"x-request-id", "my-id-42"}});
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(res.headers.get("X-Request-ID"), "my-id-42");
  EXPECT_EQ(boost::json::parse(res.body).at("RequestID").as_string(), "my-id-42");
}

TEST_F(MiddlewareTest, ReplacesUnsafeRequestId) {
  HttpResponse res = call("GET", "/ok", {{"X-Request-ID", "bad id\x01"}});
  EXPECT_NE(res.headers.get("X-Request-ID"), "bad id\x01");
}

TEST_F(MiddlewareTest, AnswersPreflight) {
  HttpResponse res = call("OPTIONS", "/api/v1/orchestrator/jobs",
                          {{"Origin", "http://localhost:3000"},
                           {"Access-Control-Request-Method", "PUT"},
                           {"Access-Control-Request-Headers", "content-type"}});
  EXPECT_EQ(res.status, 204);
  EXPECT_EQ(res.headers.get("Access-Control-Allow-Origin"), "http://localhost:3000");
  EXPECT_NE(res.headers.get("Access-Control-Allow-Methods").find("PUT"), std::string::npos);
  EXPECT_EQ(res.headers.get("Access-Control-Allow-Headers"), "content-type");
  EXPECT_TRUE(res.body.empty());
}

// Any web page could submit jobs: every answer allowed every origin, and text/plain or form
// bodies (which browsers send cross-site without a preflight) were taken as JSON.
TEST_F(MiddlewareTest, WebPagesOfOtherOriginsCannotCallTheApi) {
  const std::string spec = R"({"Job":{"Type":"batch"}})";
  HttpResponse preflight =
      call("OPTIONS", "/api/v1/orchestrator/jobs",
           {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "PUT"}});
  EXPECT_EQ(preflight.status, 403);
  EXPECT_FALSE(preflight.headers.has("Access-Control-Allow-Origin"));

  // A "simple" cross-site POST is sent without a preflight: it is refused here, before routing.
  HttpResponse post =
      call("POST", "/api/v1/orchestrator/jobs",
           {{"Origin", "https://evil.example"}, {"Content-Type", "text/plain"}}, spec);
  EXPECT_EQ(post.status, 403);
  EXPECT_NE(post.body.find("--allowed-origins https://evil.example"), std::string::npos);
  HttpResponse put =
      call("PUT", "/api/v1/orchestrator/jobs",
           {{"Origin", "https://evil.example"}, {"Content-Type", "application/json"}}, spec);
  EXPECT_EQ(put.status, 403);

  // Reading is harmless, but the page may not see the answer.
  HttpResponse get = call("GET", "/ok", {{"Origin", "https://evil.example"}});
  EXPECT_EQ(get.status, 200);
  EXPECT_FALSE(get.headers.has("Access-Control-Allow-Origin"));

  // The configured origin and the API's own pages may.
  HttpResponse allowed =
      call("PUT", "/api/v1/orchestrator/jobs",
           {{"Origin", "http://localhost:3000"}, {"Content-Type", "application/json"}}, spec);
  EXPECT_EQ(allowed.status, 200);
  EXPECT_EQ(allowed.headers.get("Access-Control-Allow-Origin"), "http://localhost:3000");
  HttpResponse same = call("PUT", "/api/v1/orchestrator/jobs",
                           {{"Origin", "http://127.0.0.1:1234"},
                            {"Host", "127.0.0.1:1234"},
                            {"Content-Type", "application/json"}},
                           spec);
  EXPECT_EQ(same.status, 200);
}

TEST_F(MiddlewareTest, BodiesMustBeJson) {
  const std::string spec = R"({"Job":{"Type":"batch"}})";
  for (const char* type :
       {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""}) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (*type != '\0') headers.emplace_back("Content-Type", type);
    HttpResponse put = call("PUT", "/api/v1/orchestrator/jobs", headers, spec);
    EXPECT_EQ(put.status, 415) << type;
    auto body = boost::json::parse(put.body);
    EXPECT_EQ(body.at("Code").as_string(), "UnsupportedMediaType");
    EXPECT_EQ(call("POST", "/api/v1/orchestrator/jobs", headers, "").status, 415) << type;
  }
  EXPECT_EQ(call("PUT", "/api/v1/orchestrator/jobs",
                 {{"Content-Type", "Application/JSON; charset=utf-8"}}, spec)
                .status,
            200);
}

TEST_F(MiddlewareTest, ExceptionBecomes500) {
  HttpResponse res = call("GET", "/throw");
  EXPECT_EQ(res.status, 500);
  auto body = boost::json::parse(res.body);
  EXPECT_EQ(body.at("Code").as_string(), "InternalError");
  EXPECT_EQ(body.at("Status").as_int64(), 500);
}

TEST_F(MiddlewareTest, RefusesBadAndOutdatedClients) {
  HttpResponse bad = call("GET", "/ok", {{"X-Bacalhau-Git-Version", "garbage"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(boost::json::parse(bad.body).at("Error").as_string(), "Invalid client version garbage");

  HttpResponse old = call("GET", "/ok", {{"X-Bacalhau-Git-Version", "v1.3.0"}});
  EXPECT_EQ(old.status, 403);
  auto body = boost::json::parse(old.body);
  EXPECT_EQ(body.at("Error").as_string(), "Client version is outdated. Update your client");
  EXPECT_EQ(body.at("MinVersion").as_string(), "1.4.0");
  EXPECT_EQ(body.at("ClientVersion").as_string(), "v1.3.0");
  EXPECT_EQ(body.at("ServerVersion").as_string(), "v1.7.0+cod.0.1.0");

  EXPECT_EQ(call("GET", "/ok", {{"X-Bacalhau-Git-Version", "v1.6.2"}}).status, 200);
  EXPECT_EQ(call("GET", "/ok", {{"X-Bacalhau-Git-Version", "v0.0.0-1234567"}}).status, 200);
}

TEST_F(MiddlewareTest, RejectUsesTheErrorBody) {
  HttpRequest req;
  req.method = "PUT";
  req.path = "/api/v1/orchestrator/jobs";
  HttpResponse res = middleware_.reject(req, invalidArgument("malformed HTTP request"));
  EXPECT_EQ(res.status, 400);
  EXPECT_FALSE(res.headers.get("X-Request-ID").empty());
}

}  // namespace
}  // namespace cod::api
