#include "api/router.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "api/errors.h"

namespace cod::api {
namespace {

boost::json::object bodyOf(const HttpResponse& res) {
  return boost::json::parse(res.body).as_object();
}

HttpRequest makeRequest(const std::string& method, const std::string& target) {
  HttpRequest req;
  req.method = method;
  req.target = target;
  parseTarget(target, &req.path, &req.query);
  req.request_id = "rid-1";
  return req;
}

Result<HttpResponse> echo(const std::string& what, const HttpRequest& req) {
  std::string body = what;
  for (const auto& [k, v] : req.path_params) body.append(" ").append(k).append("=").append(v);
  HttpResponse res;
  res.body = body;
  return res;
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.add("GET", "/api/v1/orchestrator/jobs",
                [](const HttpRequest& r) { return echo("list", r); });
    router_.add("PUT", "/api/v1/orchestrator/jobs",
                [](const HttpRequest& r) { return echo("submit", r); });
    router_.add("PUT", "/api/v1/orchestrator/jobs/diff",
                [](const HttpRequest& r) { return echo("diff", r); });
    router_.add("GET", "/api/v1/orchestrator/jobs/:id",
                [](const HttpRequest& r) { return echo("get", r); });
    router_.add("DELETE", "/api/v1/orchestrator/jobs/:id",
                [](const HttpRequest& r) { return echo("stop", r); });
    router_.add("GET", "/api/v1/orchestrator/jobs/:id/history",
                [](const HttpRequest& r) { return echo("history", r); });
    router_.add("GET", "/api/v1/fail", [](const HttpRequest&) -> Result<HttpResponse> {
      return notFound("job not found: j-123").withComponent("JobStore");
    });
  }
  Router router_;
};

TEST_F(RouterTest, MatchesLiteralAndParamSegments) {
  HttpRequest req = makeRequest("GET", "/api/v1/orchestrator/jobs/j-123/history?limit=2");
  HttpResponse res = router_.route(req);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "history id=j-123");
  EXPECT_EQ(req.queryValue("limit"), "2");
}

TEST_F(RouterTest, LiteralWinsOverParamButParamServesOtherMethods) {
  HttpRequest put = makeRequest("PUT", "/api/v1/orchestrator/jobs/diff");
  EXPECT_EQ(router_.route(put).body, "diff");
  HttpRequest get = makeRequest("GET", "/api/v1/orchestrator/jobs/diff");
  EXPECT_EQ(router_.route(get).body, "get id=diff");
}

TEST_F(RouterTest, HeadUsesGetRoute) {
  HttpRequest req = makeRequest("HEAD", "/api/v1/orchestrator/jobs");
  EXPECT_EQ(router_.route(req).body, "list");
}

TEST_F(RouterTest, TrailingSlashAndPercentEncodingAreTolerated) {
  HttpRequest req = makeRequest("GET", "/api/v1/orchestrator/jobs/my%20job/");
  EXPECT_EQ(router_.route(req).body, "get id=my job");
}

TEST_F(RouterTest, UnknownPathIsFramework404) {
  HttpRequest req = makeRequest("GET", "/api/v1/requester/jobs");
  HttpResponse res = router_.route(req);
  EXPECT_EQ(res.status, 404);
  auto body = bodyOf(res);
  EXPECT_EQ(body.at("Status").as_int64(), 404);
  EXPECT_EQ(body.at("Code").as_string(), "NotFound");
  EXPECT_EQ(body.at("Message").as_string(), "The requested resource/URL was not found.");
  EXPECT_EQ(body.at("Component").as_string(), "APIServer");
  EXPECT_EQ(body.at("RequestID").as_string(), "rid-1");
  EXPECT_TRUE(body.contains("Hint"));
  EXPECT_TRUE(body.at("Details").as_object().contains("cli_usage"));
}

TEST_F(RouterTest, KnownPathWrongMethodIs405) {
  HttpRequest req = makeRequest("POST", "/api/v1/orchestrator/jobs/j-1/history");
  HttpResponse res = router_.route(req);
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(res.headers.get("Allow"), "GET, HEAD, OPTIONS");
  EXPECT_EQ(bodyOf(res).at("Status").as_int64(), 405);
}

TEST_F(RouterTest, HandlerErrorBecomesErrorBody) {
  HttpRequest req = makeRequest("GET", "/api/v1/fail");
  HttpResponse res = router_.route(req);
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(res.headers.get("content-type"), "application/json");
  auto body = bodyOf(res);
  EXPECT_EQ(body.at("Message").as_string(), "job not found: j-123");
  EXPECT_EQ(body.at("Component").as_string(), "JobStore");
  EXPECT_EQ(body.at("Code").as_string(), "NotFound");
  EXPECT_FALSE(body.contains("Hint"));
  EXPECT_FALSE(body.contains("Details"));
}

TEST(ParseTargetTest, DecodesPathAndRepeatedQuery) {
  std::string path;
  std::multimap<std::string, std::string> query;
  parseTarget("/a%2Fb/c?labels=a%3Db&labels=c+d&flag&x=1%2", &path, &query);
  EXPECT_EQ(path, "/a/b/c");
  ASSERT_EQ(query.count("labels"), 2u);
  auto it = query.find("labels");
  EXPECT_EQ(it->second, "a=b");
  EXPECT_EQ(std::next(it)->second, "c d");
  EXPECT_EQ(query.find("flag")->second, "");
  EXPECT_EQ(query.find("x")->second, "1%2");  // a broken escape is kept verbatim
}

TEST(HeadersTest, LookupIsCaseInsensitive) {
  Headers h;
  h.add("X-Request-ID", "a");
  EXPECT_EQ(h.get("x-request-id"), "a");
  h.set("x-REQUEST-id", "b");
  EXPECT_EQ(h.get("X-Request-ID"), "b");
  EXPECT_EQ(h.all().size(), 1u);
}

TEST(ErrorsTest, MapsEveryStatusCode) {
  struct Case {
    Status status;
    int http;
    std::string code;
  };
  std::vector<Case> cases = {
      {invalidArgument("x"), 400, "BadRequest"},
      {invalidArgument("x").withErrorCode("ValidationError"), 400, "ValidationError"},
      {notFound("x"), 404, "NotFound"},
      {alreadyExists("x"), 409, "ResourceInUse"},
      {failedPrecondition("x"), 409, "ResourceInUse"},
      {failedPrecondition("x").withErrorCode("MultipleJobsFound"), 409, "MultipleJobsFound"},
      {failedPrecondition("x").withErrorCode("ConflictJobState"), 409, "ConflictJobState"},
      {aborted("x"), 409, "ConcurrentUpdate"},
      {resourceExhausted("x"), 429, "ResourceExhausted"},
      {requestTooLarge(10), 413, "ResourceExhausted"},
      {unavailable("x"), 503, "ServiceUnavailable"},
      {deadlineExceeded("x"), 504, "TimeOut"},
      {permissionDenied("x"), 403, "Forbidden"},
      {unimplemented("x"), 501, "NotImplemented"},
      {internalError("x"), 500, "InternalError"},
  };
  for (const Case& c : cases) {
    HttpErrorMapping m = mapStatus(c.status);
    EXPECT_EQ(m.http_status, c.http) << c.status.toString();
    EXPECT_EQ(m.code, c.code) << c.status.toString();
  }
}

TEST(ErrorsTest, BodyCarriesHintDetailsAndDefaultComponent) {
  HttpResponse res = errorResponse(
      invalidArgument("bad").withHint("fix it").withDetail("field", "Job.Type"), "rid", "Jobs");
  EXPECT_EQ(res.status, 400);
  auto body = bodyOf(res);
  EXPECT_EQ(body.at("Component").as_string(), "Jobs");
  EXPECT_EQ(body.at("Hint").as_string(), "fix it");
  EXPECT_EQ(body.at("Details").at("field").as_string(), "Job.Type");
  EXPECT_EQ(body.at("RequestID").as_string(), "rid");
}

TEST(ErrorsTest, TooLargeSaysTheLimitAndHowToFix) {
  HttpResponse res = errorResponse(requestTooLarge(size_t{10} * 1024 * 1024), "");
  EXPECT_EQ(res.status, 413);
  auto body = bodyOf(res);
  EXPECT_NE(std::string(body.at("Message").as_string()).find("10485760"), std::string::npos);
  EXPECT_TRUE(body.contains("Hint"));
}

}  // namespace
}  // namespace cod::api
