#include "api/client/api_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/client/fake_transport.h"
#include "api/client/fake_websocket.h"
#include "models/json.h"

namespace cod::api::client {
namespace {

using ::testing::HasSubstr;

TEST(ResolveBaseUrlTest, HostsAndUrls) {
  EXPECT_EQ(*resolveBaseUrl("0.0.0.0", std::nullopt), "http://127.0.0.1:1234");
  EXPECT_EQ(*resolveBaseUrl("", 9000), "http://127.0.0.1:9000");
  EXPECT_EQ(*resolveBaseUrl("example.com", std::nullopt), "http://example.com:1234");
  EXPECT_EQ(*resolveBaseUrl("::1", 80), "http://[::1]:80");
  EXPECT_EQ(*resolveBaseUrl("::", std::nullopt), "http://[::1]:1234");
  EXPECT_EQ(*resolveBaseUrl("https://api.example.com", std::nullopt), "https://api.example.com");
  EXPECT_EQ(*resolveBaseUrl("https://api.example.com/", 8443), "https://api.example.com:8443");
  EXPECT_EQ(*resolveBaseUrl("http://h:99/", 1), "http://h:99");
  EXPECT_EQ(*resolveBaseUrl("HTTP://0.0.0.0:5", std::nullopt), "http://127.0.0.1:5");
  EXPECT_EQ(*resolveBaseUrl("http://[::1]:7", std::nullopt), "http://[::1]:7");
  EXPECT_EQ(*resolveBaseUrl("http://proxy/cod", std::nullopt), "http://proxy/cod");
  EXPECT_FALSE(resolveBaseUrl("ftp://x", std::nullopt).isOk());
  EXPECT_FALSE(resolveBaseUrl("http://x:abc", std::nullopt).isOk());
  EXPECT_FALSE(resolveBaseUrl("http://:80", std::nullopt).isOk());
  EXPECT_FALSE(resolveBaseUrl("h", 0).isOk());
  EXPECT_FALSE(resolveBaseUrl("h", 70000).isOk());
  EXPECT_FALSE(resolveBaseUrl("a/b", std::nullopt).isOk());
}

TEST(StatusFromHttpErrorTest, ReadsTheErrorBody) {
  Status s = statusFromHttpError(
      404,
      R"({"Status":404,"Message":"job not found: j-1","RequestID":"","Code":"NotFound",)"
      R"("Component":"JobStore","Hint":"check the ID"})",
      "GET /api/v1/orchestrator/jobs/j-1");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "job not found: j-1");
  EXPECT_EQ(s.hint(), "check the ID");
  EXPECT_EQ(s.component(), "JobStore");
  EXPECT_EQ(s.errorCode(), "NotFound");
}

TEST(StatusFromHttpErrorTest, MapsStatusesAndCodes) {
  auto code = [](int http, const std::string& error_code) {
    return statusFromHttpError(http, R"({"Message":"m","Code":")" + error_code + "\"}", "GET /")
        .code();
  };
  EXPECT_EQ(code(400, "InternalError"), StatusCode::kInvalidArgument);  // Bacalhau's quirk
  EXPECT_EQ(code(401, "Unauthorized"), StatusCode::kPermissionDenied);
  EXPECT_EQ(code(403, "Forbidden"), StatusCode::kPermissionDenied);
  EXPECT_EQ(code(409, "ResourceInUse"), StatusCode::kAlreadyExists);
  EXPECT_EQ(code(409, "AlreadyExists"), StatusCode::kAlreadyExists);
  EXPECT_EQ(code(409, "ConflictNodeState"), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(409, "FailedPrecondition"), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(409, "ConcurrentUpdate"), StatusCode::kAborted);
  EXPECT_EQ(code(429, "TooManyRequests"), StatusCode::kResourceExhausted);
  EXPECT_EQ(code(500, "ConflictJobState"), StatusCode::kFailedPrecondition);
  EXPECT_EQ(code(500, "InternalError"), StatusCode::kInternal);
  EXPECT_EQ(code(500, ""), StatusCode::kInternal);
  EXPECT_EQ(code(501, "NotImplemented"), StatusCode::kUnimplemented);
  EXPECT_EQ(code(503, "ServiceUnavailable"), StatusCode::kUnavailable);
  EXPECT_EQ(code(504, ""), StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(statusFromHttpError(503, "{}", "GET /").retryable());
}

TEST(StatusFromHttpErrorTest, BodiesThatAreNotErrorObjects) {
  Status s = statusFromHttpError(502, "<html>\n<body>bad gateway</body></html>",
                                 "GET /api/v1/agent/alive");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "HTTP 502 Bad Gateway from GET /api/v1/agent/alive: <html>");
  Status version = statusFromHttpError(
      403, R"({"Error":"Client version is outdated. Update your client","MinVersion":"1.4.0"})",
      "GET /");
  EXPECT_EQ(version.message(), "Client version is outdated. Update your client");
  EXPECT_EQ(statusFromHttpError(418, "", "PUT /x").message(), "HTTP 418 from PUT /x");
}

// A client whose transport answers from a table of (method target) → response.
class ClientTest : public ::testing::Test {
 protected:
  ClientTest() {
    auto fake = std::make_unique<FakeTransport>();
    requests_ = fake->requests();
    fake->handler = [this](const TransportRequest& r) -> Result<TransportResponse> {
      auto it = answers_.find(r.method + " " + r.target);
      if (it == answers_.end()) return TransportResponse{404, R"({"Message":"no such route"})"};
      return it->second;
    };
    client_ = std::make_unique<ApiClient>(std::move(fake));
  }
  void answer(const std::string& request, int status, std::string body) {
    answers_[request] = TransportResponse{status, std::move(body)};
  }
  const TransportRequest& last() const { return requests_->back(); }

  std::map<std::string, TransportResponse> answers_;
  std::shared_ptr<std::vector<TransportRequest>> requests_;
  std::unique_ptr<ApiClient> client_;
};

// A server that refused before handling (over the rate limit: 429; busy: 503 for a read) is
// asked again after 1 s, 2 s, 3 s; a handled answer, or a 503 to a write, is final.
TEST(ClientRetryTest, RefusalsBeforeHandlingAreRetriedWithBackoff) {
  std::vector<int> statuses;
  auto fake = std::make_unique<FakeTransport>();
  auto requests = fake->requests();
  fake->handler = [&](const TransportRequest&) -> Result<TransportResponse> {
    int status = statuses.empty() ? 200 : statuses.front();
    if (!statuses.empty()) statuses.erase(statuses.begin());
    return TransportResponse{
        status, status == 200 ? R"({"Status":"OK"})" : R"({"Status":429,"Message":"slow down"})"};
  };
  ApiClient client(std::move(fake));
  std::vector<Duration> waits;
  client.setRetries(3, [&](Duration d) { waits.push_back(d); });

  statuses = {429, 503};
  EXPECT_TRUE(client.agentAlive().isOk());
  EXPECT_EQ(waits, (std::vector<Duration>{std::chrono::seconds(1), std::chrono::seconds(2)}));
  EXPECT_EQ(requests->size(), 3u);

  waits.clear();
  statuses = {429, 429, 429, 429};
  auto refused = client.agentAlive();
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(waits.size(), 3u);

  waits.clear();
  statuses = {503};
  EXPECT_FALSE(client.call("PUT", "/api/v1/orchestrator/jobs", "{}").isOk());
  EXPECT_TRUE(waits.empty()) << "a write the server may have handled is not sent again";
  statuses = {429};
  EXPECT_TRUE(client.call("PUT", "/api/v1/orchestrator/jobs", "{}").isOk());
  EXPECT_EQ(waits.size(), 1u);
}

TEST_F(ClientTest, SubmitSendsTheJobAndForce) {
  answer("PUT /api/v1/orchestrator/jobs", 200,
         R"({"JobID":"j-1","EvaluationID":"ev","Warnings":["w1"]})");
  models::Job job;
  job.name = "n";
  job.type = "batch";
  auto submitted = client_->submitJob(job, true);
  ASSERT_TRUE(submitted.isOk()) << submitted.status().toString();
  EXPECT_EQ(submitted->job_id, "j-1");
  EXPECT_EQ(submitted->evaluation_id, "ev");
  EXPECT_EQ(submitted->warnings, std::vector<std::string>{"w1"});
  auto body = models::parseJson(last().body);
  ASSERT_TRUE(body.isOk());
  EXPECT_EQ(body->at("Job").at("Name"), "n");
  EXPECT_EQ(body->at("Force"), true);

  answer("PUT /api/v1/orchestrator/jobs", 200, R"({"EvaluationID":"ev"})");
  auto no_id = client_->submitJob(job);
  ASSERT_FALSE(no_id.isOk());
  EXPECT_EQ(no_id.error().code(), StatusCode::kInternal);
  EXPECT_THAT(no_id.error().message(), HasSubstr("unexpected response to PUT"));
}

TEST_F(ClientTest, GetJobDecodesHistoryAndExecutions) {
  answer("GET /api/v1/orchestrator/jobs/j%201?include=history%2Cexecutions&job_version=2", 200,
         R"({"Job":{"ID":"j-1","Type":"batch","State":{"StateType":"Running"}},)"
         R"("History":{"NextToken":"","Items":[{"SeqNum":1,"Type":"JobLevel","JobID":"j-1",)"
         R"("Event":{"Message":"Job submitted","Topic":"Submission"},)"
         R"("Time":"2024-08-19T20:40:26.1Z"}]},)"
         R"("Executions":{"NextToken":"","Items":null}})");
  GetJobOptions options;
  options.include_history = true;
  options.include_executions = true;
  options.job_version = 2;
  auto job = client_->getJob("j 1", options);
  ASSERT_TRUE(job.isOk()) << job.status().toString();
  EXPECT_EQ(job->job.state.state_type, models::JobStateType::kRunning);
  ASSERT_TRUE(job->history.has_value());
  ASSERT_EQ(job->history->size(), 1u);
  EXPECT_EQ(job->history->at(0).event.topic, "Submission");
  ASSERT_TRUE(job->executions.has_value());
  EXPECT_TRUE(job->executions->empty());

  auto json = toJson(*job);
  EXPECT_EQ(json.at("Job").at("ID"), "j-1");
  EXPECT_EQ(json.at("History").at("Items").as_array().size(), 1u);
}

TEST_F(ClientTest, ListQueriesAreEncoded) {
  answer(
      "GET /api/v1/orchestrator/jobs?namespace=ns&limit=5&next_token=tok&order_by=modified_at&"
      "reverse=true&labels=a%3Db&labels=c%21%3Dd",
      200, R"({"NextToken":"more","Items":[{"ID":"j-1","Type":"batch"}]})");
  ListJobsOptions options;
  options.ns = "ns";
  options.limit = 5;
  options.next_token = "tok";
  options.order_by = "modified_at";
  options.reverse = true;
  options.labels = {"a=b", "c!=d"};
  auto page = client_->listJobs(options);
  ASSERT_TRUE(page.isOk()) << page.status().toString();
  EXPECT_EQ(page->next_token, "more");
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].id, "j-1");

  answer(
      "GET /api/v1/orchestrator/jobs/j-1/history?limit=10&next_token=t&event_type=execution&"
      "execution_id=e-1&since=17&all_job_versions=true",
      200, R"({"NextToken":"","Items":null})");
  HistoryOptions history;
  history.limit = 10;
  history.next_token = "t";
  history.event_type = "execution";
  history.execution_id = "e-1";
  history.since = 17;
  history.all_job_versions = true;
  auto events = client_->jobHistory("j-1", history);
  ASSERT_TRUE(events.isOk()) << events.status().toString();
  EXPECT_TRUE(events->items.empty());
  EXPECT_EQ(events->next_token, "");

  answer(
      "GET /api/v1/orchestrator/nodes?limit=3&order_by=available_cpu&reverse=true&"
      "filter-approval=approved&filter-status=connected&labels=os_type%3Dlinux",
      200, R"({"Nodes":[{"Info":{"NodeID":"n-1","NodeType":"Compute"},"Membership":"APPROVED"}]})");
  ListNodesOptions nodes;
  nodes.limit = 3;
  nodes.order_by = "available_cpu";
  nodes.reverse = true;
  nodes.filter_approval = "approved";
  nodes.filter_status = "connected";
  nodes.labels = {"os_type=linux"};
  auto listed = client_->listNodes(nodes);
  ASSERT_TRUE(listed.isOk()) << listed.status().toString();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->at(0).info.node_id, "n-1");
}

TEST_F(ClientTest, StopRerunResultsVersionsExecutions) {
  answer("DELETE /api/v1/orchestrator/jobs/j-1?namespace=x", 200, R"({"EvaluationID":"ev"})");
  auto stopped = client_->stopJob("j-1", "because", "x");
  ASSERT_TRUE(stopped.isOk());
  EXPECT_EQ(stopped->evaluation_id, "ev");
  EXPECT_EQ(last().body, R"({"reason":"because"})");

  answer("PUT /api/v1/orchestrator/jobs/j-1/rerun", 200,
         R"({"JobID":"j-1","EvaluationID":"ev2","JobVersion":3,"Warnings":null})");
  auto rerun = client_->rerunJob("j-1", 0, "again");
  ASSERT_TRUE(rerun.isOk()) << rerun.status().toString();
  EXPECT_EQ(rerun->job_version, 3u);
  EXPECT_EQ(last().body, R"({"JobVersion":0,"Reason":"again"})");

  answer("GET /api/v1/orchestrator/jobs/j-1/results", 200,
         R"({"NextToken":"","Items":[{"Type":"urlDownload",)"
         R"("Params":{"URL":"http://127.0.0.1:6001/e-1.tar.gz"}}]})");
  auto results = client_->jobResults("j-1");
  ASSERT_TRUE(results.isOk()) << results.status().toString();
  ASSERT_EQ(results->size(), 1u);
  EXPECT_EQ(results->at(0).type, "urlDownload");

  answer("GET /api/v1/orchestrator/jobs/j-1/versions", 200,
         R"({"Items":[{"ID":"j-1","Version":1},{"ID":"j-1","Version":2}]})");
  auto versions = client_->jobVersions("j-1");
  ASSERT_TRUE(versions.isOk());
  EXPECT_EQ(versions->size(), 2u);

  answer("GET /api/v1/orchestrator/jobs/j-1/executions?limit=2&order_by=created_at", 200,
         R"({"NextToken":"","Items":[{"ID":"e-1","ComputeState":{"StateType":9}}]})");
  ExecutionsOptions executions;
  executions.limit = 2;
  executions.order_by = "created_at";
  auto page = client_->jobExecutions("j-1", executions);
  ASSERT_TRUE(page.isOk()) << page.status().toString();
  EXPECT_EQ(page->items.at(0).compute_state.state_type, models::ExecutionStateType::kCompleted);
}

TEST_F(ClientTest, DiffSendsTheJobAndReadsTheDiff) {
  answer("PUT /api/v1/orchestrator/jobs/diff", 200,
         R"({"Diff":"- Count: 1\n+ Count: 2\n","Warnings":["w"]})");
  models::Job job;
  job.name = "nightly";
  job.count = 2;
  auto diff = client_->diffJob(job);
  ASSERT_TRUE(diff.isOk()) << diff.status().toString();
  EXPECT_EQ(diff->diff, "- Count: 1\n+ Count: 2\n");
  EXPECT_EQ(diff->warnings, std::vector<std::string>{"w"});
  auto body = models::parseJson(last().body);
  ASSERT_TRUE(body.isOk());
  EXPECT_EQ(body->at("Job").at("Name"), "nightly");

  answer("PUT /api/v1/orchestrator/jobs/diff", 404,
         R"({"Status":404,"Message":"job not found: nightly","Code":"NotFound"})");
  auto missing = client_->diffJob(job);
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);
}

TEST_F(ClientTest, NodesAndAgent) {
  answer("GET /api/v1/orchestrator/nodes/n-1", 200,
         R"({"Node":{"Info":{"NodeID":"n-1abc"},"Membership":"PENDING"}})");
  auto node = client_->getNode("n-1");
  ASSERT_TRUE(node.isOk()) << node.status().toString();
  EXPECT_EQ(node->membership, "PENDING");

  answer("PUT /api/v1/orchestrator/nodes/n-1", 200, R"({"Success":false,"Error":"nope"})");
  auto refused = client_->nodeAction("n-1", "approve", "m");
  ASSERT_FALSE(refused.isOk());
  EXPECT_EQ(refused.error().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.error().message(), "nope");
  auto sent = models::parseJson(last().body);
  ASSERT_TRUE(sent.isOk());
  EXPECT_EQ(sent->at("NodeID"), "n-1");
  EXPECT_EQ(sent->at("Action"), "approve");

  answer("GET /api/v1/agent/alive", 200, R"({"Status":"OK"})");
  EXPECT_EQ(*client_->agentAlive(), "OK");
  answer("GET /api/v1/agent/version", 200,
         R"({"GitVersion":"v1.7.0","GitCommit":"c","BuildDate":"2024-08-19T20:40:26Z",)"
         R"("GOOS":"linux","GOARCH":"amd64"})");
  EXPECT_EQ(client_->agentVersion()->git_version, "v1.7.0");
  answer("GET /api/v1/agent/node", 200, R"({"NodeID":"n-9","NodeType":"Requester"})");
  EXPECT_EQ(client_->agentNode()->node_id, "n-9");
}

TEST_F(ClientTest, ErrorsAndMalformedAnswers) {
  answer("GET /api/v1/orchestrator/jobs/j-x", 404,
         R"({"Status":404,"Message":"job not found: j-x","Code":"NotFound"})");
  auto missing = client_->getJob("j-x");
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.error().message(), "job not found: j-x");

  answer("GET /api/v1/agent/alive", 200, "");
  EXPECT_THAT(client_->agentAlive().error().message(), HasSubstr("empty body"));
  answer("GET /api/v1/agent/alive", 200, "not json");
  EXPECT_EQ(client_->agentAlive().error().code(), StatusCode::kInternal);
  answer("GET /api/v1/orchestrator/jobs", 200, R"({"Items":{"oops":1}})");
  EXPECT_THAT(client_->listJobs().error().message(),
              HasSubstr("unexpected response to GET /api/v1/orchestrator/jobs"));
}

// streamLogs over a scripted WebSocket: what each kind of frame and close turns into.
class StreamLogsTest : public ::testing::Test {
 protected:
  Status stream(std::vector<WebSocketMessage> script, const LogsOptions& options = {}) {
    auto ws = std::make_unique<FakeWebSocketTransport>();
    targets_ = ws->targets();
    ws->handler = [script](const std::string&) -> Result<std::vector<WebSocketMessage>> {
      return script;
    };
    ApiClient client(std::make_unique<FakeTransport>(), std::move(ws));
    lines_.clear();
    return client.streamLogs("j-1", options, [this](const LogLine& l) { lines_.push_back(l); });
  }

  std::vector<LogLine> lines_;
  std::shared_ptr<std::vector<std::string>> targets_;
};

TEST_F(StreamLogsTest, LinesInOrderUntilANormalClose) {
  Status s = stream({textMessage(R"({"value":{"Type":1,"Line":"a\n"}})"),
                     textMessage(R"({"Value":{"type":2,"line":"b\n"},"Extra":1})"),
                     textMessage(R"({"value":{"Type":1,"Line":""}})"), closeMessage(1000)});
  EXPECT_TRUE(s.isOk()) << s.toString();
  ASSERT_EQ(lines_.size(), 2u);  // the empty Line is not a line
  EXPECT_EQ(lines_[0].type, kLogStdout);
  EXPECT_EQ(lines_[0].line, "a\n");
  EXPECT_EQ(lines_[1].type, kLogStderr);
  EXPECT_EQ(lines_[1].line, "b\n");
  EXPECT_EQ(*targets_, std::vector<std::string>{"/api/v1/orchestrator/jobs/j-1/logs"});
}

TEST_F(StreamLogsTest, EndsOtherwise) {
  Status error = stream({textMessage(R"({"error":"boom","value":{"Type":0,"Line":""}})"),
                         textMessage(R"({"value":{"Type":1,"Line":"never\n"}})")});
  EXPECT_EQ(error.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(error.message(), "boom");
  EXPECT_TRUE(lines_.empty());
  EXPECT_EQ(stream({closeMessage(1001)}).code(), StatusCode::kUnavailable);
  EXPECT_THAT(stream({closeMessage(1011, "bug")}).message(), HasSubstr("close code 1011: bug"));
  EXPECT_EQ(stream({textMessage("not json")}).code(), StatusCode::kInternal);
  EXPECT_EQ(stream({}).code(), StatusCode::kUnavailable);  // broke without a close
  ApiClient no_websocket(std::make_unique<FakeTransport>());
  EXPECT_EQ(no_websocket.streamLogs("j-1", {}, [](const LogLine&) {}).code(),
            StatusCode::kUnimplemented);
}

TEST(UrlEscapeTest, EscapesReservedCharacters) {
  EXPECT_EQ(urlEscape("a-b_c.d~e"), "a-b_c.d~e");
  EXPECT_EQ(urlEscape("a b/c?d=e&f"), "a%20b%2Fc%3Fd%3De%26f");
  EXPECT_EQ(urlEscape("é"), "%C3%A9");
}

}  // namespace
}  // namespace cod::api::client
