// Node, agent and auth endpoints over a real socket (reference/bacalhau-api.md §2 rows 12–23).

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>
#include <set>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api/api_test_fixture.h"
#include "common/strings.h"
#include "transport/messages.h"

namespace cod::api {
namespace {

using testing::ApiFixture;
using testing::kOrchestratorId;
using testing::TestResponse;
using testing::urlEncode;

namespace json = boost::json;

constexpr const char* kNodes = "/api/v1/orchestrator/nodes";

std::string str(const json::value& v) { return std::string(v.as_string()); }

class NodesApiTest : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    join("n-aaaa1111", {{"zone", "eu"}, {"gpu", "yes"}}, 4.0);
    join("n-bbbb2222", {{"zone", "us"}}, 8.0);
    join("n-cccc3333", {{"zone", "eu"}}, 2.0);
  }

  void join(const std::string& id, models::StringMap labels, double cpu) {
    transport::HandshakeRequest req;
    req.node_info.node_id = id;
    req.node_info.node_type = models::kNodeTypeCompute;
    req.node_info.labels = std::move(labels);
    req.node_info.compute_node_info.available_capacity.cpu = cpu;
    req.node_info.compute_node_info.max_capacity.cpu = cpu;
    ASSERT_TRUE(nodes_->handshake(req).accepted);
  }

  std::vector<std::string> listIds(const std::string& query) {
    TestResponse res = client_->get(std::string(kNodes) + query);
    EXPECT_EQ(res.status, 200) << res.body;
    std::vector<std::string> ids;
    json::value body = res.json();
    if (!body.is_object()) return ids;
    for (const auto& n : body.at("Nodes").as_array()) ids.push_back(str(n.at("Info").at("NodeID")));
    return ids;
  }
};

TEST_F(NodesApiTest, ListsEveryNodeIncludingTheOrchestrator) {
  std::vector<std::string> ids = listIds("");
  EXPECT_EQ(ids,
            (std::vector<std::string>{kOrchestratorId, "n-aaaa1111", "n-bbbb2222", "n-cccc3333"}));
  TestResponse res = client_->get(kNodes);
  json::value first = res.json().at("Nodes").as_array().at(1);
  EXPECT_EQ(str(first.at("Membership")), "APPROVED");
  EXPECT_EQ(str(first.at("Connection")), "CONNECTED");
  EXPECT_EQ(str(first.at("ConnectionState").at("Status")), "CONNECTED");
}

TEST_F(NodesApiTest, FiltersOrdersAndLimits) {
  EXPECT_EQ(listIds("?labels=" + urlEncode("zone=eu")),
            (std::vector<std::string>{"n-aaaa1111", "n-cccc3333"}));
  EXPECT_EQ(listIds("?labels=zone%3Deu&labels=gpu"), (std::vector<std::string>{"n-aaaa1111"}));
  EXPECT_EQ(listIds("?order_by=available_cpu&limit=2"),
            (std::vector<std::string>{"n-bbbb2222", "n-aaaa1111"}));
  EXPECT_EQ(listIds("?order_by=id&reverse=true&limit=1"), (std::vector<std::string>{"n-cccc3333"}));
  EXPECT_EQ(listIds("?order_by=type&limit=3"),
            (std::vector<std::string>{"n-aaaa1111", "n-bbbb2222", "n-cccc3333"}));
  EXPECT_EQ(listIds("?filter-approval=approved").size(), 4u);
  EXPECT_EQ(listIds("?filter-approval=PENDING").size(), 0u);
  EXPECT_EQ(listIds("?filter-status=connected").size(), 4u);
  EXPECT_EQ(listIds("?filter-status=disconnected").size(), 0u);

  ASSERT_EQ(client_->put(std::string(kNodes) + "/n-bbbb", R"({"Action":"reject"})").status, 200);
  EXPECT_EQ(listIds("?filter-approval=rejected"), (std::vector<std::string>{"n-bbbb2222"}));
  EXPECT_EQ(listIds("?filter-status=disconnected"), (std::vector<std::string>{"n-bbbb2222"}));
}

// A limit pages the list: each page's NextToken brings the next, in the same order, until the
// last page's is empty. (It used to cut the list at the limit with no way to the rest.)
TEST_F(NodesApiTest, LimitedListsPageWithNextToken) {
  std::vector<std::string> seen;
  std::string target = std::string(kNodes) + "?order_by=id&reverse=true&limit=3";
  int pages = 0;
  while (true) {
    TestResponse res = client_->get(target);
    ASSERT_EQ(res.status, 200) << res.body;
    json::value body = res.json();
    for (const auto& n : body.at("Nodes").as_array()) {
      seen.push_back(str(n.at("Info").at("NodeID")));
    }
    ++pages;
    std::string token = str(body.at("NextToken"));
    if (token.empty()) break;
    ASSERT_LT(pages, 5) << "the tokens never end";
    target = std::string(kNodes) + "?next_token=" + urlEncode(token);
  }
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(seen,
            (std::vector<std::string>{"n-cccc3333", "n-bbbb2222", "n-aaaa1111", kOrchestratorId}));
  EXPECT_EQ(client_->get(std::string(kNodes) + "?next_token=garbage").status, 400);
}

TEST_F(NodesApiTest, RejectsBadListParameters) {
  for (const char* query : {"?order_by=banana", "?filter-approval=maybe", "?filter-status=asleep",
                            "?limit=lots", "?labels=zone%20in%20("}) {
    TestResponse res = client_->get(std::string(kNodes) + query);
    EXPECT_EQ(res.status, 400) << query << " " << res.body;
    EXPECT_EQ(str(res.json().at("Code")), "BadRequest") << query;
  }
}

TEST_F(NodesApiTest, GetsANodeByPrefix) {
  TestResponse res = client_->get(std::string(kNodes) + "/n-cccc");
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(str(res.json().at("Node").at("Info").at("NodeID")), "n-cccc3333");
  EXPECT_EQ(client_->get(std::string(kNodes) + "/n-zzzz").status, 404);
  TestResponse ambiguous = client_->get(std::string(kNodes) + "/n-");
  EXPECT_EQ(ambiguous.status, 409) << ambiguous.body;
}

TEST_F(NodesApiTest, NodeActions) {
  std::string node = std::string(kNodes) + "/n-aaaa1111";
  TestResponse again = client_->put(node, R"({"Action":"approve","NodeID":"n-aaaa1111"})");
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(str(again.json().at("Code")), "ConflictNodeState");

  TestResponse bad = client_->put(node, R"({"Action":"explode"})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("unsupported action"), std::string::npos);
  EXPECT_EQ(client_->put(node, "not json").status, 400);

  TestResponse reject = client_->put(node, R"({"Action":"reject","Message":"bad node"})");
  ASSERT_EQ(reject.status, 200) << reject.body;
  EXPECT_TRUE(reject.json().at("Success").as_bool());
  TestResponse approve = client_->put(node, R"({"Action":"approve"})");
  ASSERT_EQ(approve.status, 200) << approve.body;

  // The Python client's form: POST /nodes with the node ID in the body.
  TestResponse del = client_->post(kNodes, R"({"NodeID":"n-cccc3333","Action":"delete"})");
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(client_->get(std::string(kNodes) + "/n-cccc3333").status, 404);
  EXPECT_EQ(client_->post(kNodes, R"({"Action":"delete"})").status, 400);
  EXPECT_EQ(client_->put(std::string(kNodes) + "/n-nope", R"({"Action":"approve"})").status, 404);
}

TEST_F(NodesApiTest, DrainAndUndrainAreCodsOwnActions) {
  std::string node = std::string(kNodes) + "/n-bbbb";
  TestResponse drain = client_->put(node, R"({"Action":"drain","Message":"kernel upgrade"})");
  ASSERT_EQ(drain.status, 200) << drain.body;
  EXPECT_TRUE(drain.json().at("Success").as_bool());

  TestResponse got = client_->get(node);
  ASSERT_EQ(got.status, 200) << got.body;
  json::value body = got.json();
  const json::value& state = body.at("Node");
  EXPECT_EQ(str(state.at("Drain").at("Message")), "kernel upgrade");
  EXPECT_FALSE(str(state.at("Drain").at("Since")).empty());
  // The Bacalhau fields clients read are unchanged: still approved and connected.
  EXPECT_EQ(str(state.at("Membership")), "APPROVED");
  EXPECT_EQ(str(state.at("Connection")), "CONNECTED");
  // Others are not draining and carry no Drain key at all.
  TestResponse other = client_->get(std::string(kNodes) + "/n-aaaa1111");
  EXPECT_FALSE(other.json().at("Node").as_object().contains("Drain"));

  TestResponse twice = client_->put(node, R"({"Action":"drain"})");
  EXPECT_EQ(twice.status, 409) << twice.body;
  EXPECT_EQ(str(twice.json().at("Code")), "ConflictNodeState");

  TestResponse undrain = client_->post(kNodes, R"({"NodeID":"n-bbbb2222","Action":"undrain"})");
  ASSERT_EQ(undrain.status, 200) << undrain.body;
  EXPECT_FALSE(client_->get(node).json().at("Node").as_object().contains("Drain"));
  EXPECT_EQ(client_->put(node, R"({"Action":"undrain"})").status, 409);

  EXPECT_EQ(client_->put(std::string(kNodes) + "/n-nope", R"({"Action":"drain"})").status, 404);
  EXPECT_EQ(client_->put(std::string(kNodes) + "/n-nope", R"({"Action":"undrain"})").status, 404);
}

TEST_F(NodesApiTest, AgentEndpoints) {
  TestResponse alive = client_->get("/api/v1/agent/alive");
  ASSERT_EQ(alive.status, 200);
  EXPECT_EQ(str(alive.json().at("Status")), "OK");

  TestResponse version = client_->get("/api/v1/agent/version");
  ASSERT_EQ(version.status, 200);
  EXPECT_EQ(str(version.json().at("GitVersion")), gitVersion());
  EXPECT_EQ(str(version.json().at("GOOS")), "linux");
  EXPECT_EQ(version.headers.get("X-Bacalhau-Git-Version"), gitVersion());

  TestResponse node = client_->get("/api/v1/agent/node");
  ASSERT_EQ(node.status, 200);
  EXPECT_EQ(str(node.json().at("NodeID")), kOrchestratorId);
  EXPECT_EQ(str(node.json().at("NodeType")), "Requester");

  EXPECT_TRUE(client_->get("/api/v1/agent/debug").json().is_object());
  TestResponse config = client_->get("/api/v1/agent/config");
  ASSERT_EQ(config.status, 200);
  EXPECT_TRUE(config.json().at("config").is_object());
  EXPECT_EQ(client_->get("/api/v1/agent/authconfig").status, 200);
}

TEST_F(NodesApiTest, Redirects) {
  for (auto [from, to] :
       std::vector<std::pair<std::string, std::string>>{{"/", "/api/v1/agent/version"},
                                                        {"/version", "/api/v1/agent/version"},
                                                        {"/livez", "/api/v1/agent/alive"}}) {
    TestResponse res = client_->get(from);
    EXPECT_EQ(res.status, 301) << from;
    EXPECT_EQ(res.headers.get("Location"), to) << from;
  }
}

TEST_F(NodesApiTest, OutdatedClientIsRefused) {
  TestResponse res = client_->get(kNodes, {{"X-Bacalhau-Git-Version", "v1.2.0"}});
  EXPECT_EQ(res.status, 403);
  EXPECT_EQ(str(res.json().at("MinVersion")), "1.4.0");
  EXPECT_EQ(client_->get(kNodes, {{"X-Bacalhau-Git-Version", "v1.5.1"}}).status, 200);
}

// The Go CLI's side of the challenge: sign the phrase with an RSA key.
struct SignedAnswer {
  std::string public_key_b64;
  std::string signature_b64;
};

SignedAnswer signPhrase(const std::string& phrase) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(1024), &EVP_PKEY_free);
  EXPECT_TRUE(key);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EXPECT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()), 1);
  size_t len = 0;
  EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(phrase.data()),
                 phrase.size());
  std::string sig(len, '\0');
  EXPECT_EQ(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                           reinterpret_cast<const unsigned char*>(phrase.data()), phrase.size()),
            1);
  sig.resize(len);
  unsigned char* der = nullptr;
  int der_len = i2d_PublicKey(key.get(), &der);  // PKCS#1 RSAPublicKey, as the Go CLI sends
  EXPECT_GT(der_len, 0);
  std::string pub(reinterpret_cast<char*>(der), static_cast<size_t>(der_len));
  OPENSSL_free(der);
  return {base64Encode(pub), base64Encode(sig)};
}

std::string answerBody(const SignedAnswer& a) {
  json::object answer{{"PhraseSignature", a.signature_b64}, {"PublicKey", a.public_key_b64}};
  json::object body{{"Name", "ClientKey"},
                    {"MethodData", base64Encode(json::serialize(answer))},
                    {"Namespace", ""}};
  return json::serialize(body);
}

TEST_F(NodesApiTest, ClientKeyChallengeFlow) {
  TestResponse methods = client_->get("/api/v1/auth");
  ASSERT_EQ(methods.status, 200) << methods.body;
  json::value method = methods.json().at("Methods").at("ClientKey");
  EXPECT_EQ(str(method.at("type")), "challenge");
  std::string phrase;
  ASSERT_TRUE(base64Decode(str(method.at("params").at("InputPhrase")), &phrase));
  EXPECT_EQ(phrase, kOrchestratorId);
  EXPECT_EQ(client_->get("/api/v1/auth/ClientKey").status, 200);
  EXPECT_EQ(client_->get("/api/v1/auth/Other").status, 404);

  TestResponse ok = client_->post("/api/v1/auth/ClientKey", answerBody(signPhrase(phrase)));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_TRUE(ok.json().at("Authentication").at("success").as_bool());
  EXPECT_FALSE(str(ok.json().at("Authentication").at("token")).empty());

  TestResponse wrong = client_->post("/api/v1/auth/ClientKey", answerBody(signPhrase("other")));
  EXPECT_EQ(wrong.status, 401) << wrong.body;
  EXPECT_FALSE(wrong.json().at("Authentication").at("success").as_bool());

  EXPECT_EQ(client_->post("/api/v1/auth/ClientKey", R"({"Name":"ClientKey"})").status, 400);
}

// With users configured, the whole API (over its socket) asks for credentials except the open
// endpoints, and the challenge no longer earns a token: any key can sign the phrase.
TEST_F(NodesApiTest, WithUsersOnlyTheirKeysGetIn) {
  client_.reset();
  server_->stop();
  ApiConfig config = testing::localApiConfig(2);
  ApiUser reader;
  reader.alias = "reader";
  reader.api_key = "reader-key";
  reader.actions = {"read:node"};
  config.auth.users = {reader};
  server_ = std::make_unique<ApiServer>(makeDeps(), config);
  ASSERT_TRUE(server_->start().isOk());
  client_ = std::make_unique<testing::TestHttpClient>(server_->port());

  TestResponse anonymous = client_->get(kNodes);
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(str(anonymous.json().at("Code")), "Unauthorized");
  EXPECT_EQ(client_->get(kNodes, {{"Authorization", "Bearer reader-key"}}).status, 200);
  TestResponse jobs =
      client_->get("/api/v1/orchestrator/jobs", {{"Authorization", "Bearer reader-key"}});
  EXPECT_EQ(jobs.status, 403);
  EXPECT_EQ(str(jobs.json().at("Message")), "user reader may not read jobs (needs read:job)");
  // The logs WebSocket is a job read too: refused before the upgrade.
  TestResponse logs = client_->get("/api/v1/orchestrator/jobs/j-1/logs",
                                   {{"Connection", "Upgrade"},
                                    {"Upgrade", "websocket"},
                                    {"Sec-WebSocket-Version", "13"},
                                    {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}});
  EXPECT_EQ(logs.status, 401);

  EXPECT_EQ(client_->get("/api/v1/agent/alive").status, 200);
  EXPECT_EQ(client_->get("/api/v1/agent/version").status, 200);
  EXPECT_EQ(client_->get("/api/v1/agent/node").status, 401);
  TestResponse methods = client_->get("/api/v1/auth");
  ASSERT_EQ(methods.status, 200);
  std::string phrase;
  ASSERT_TRUE(base64Decode(
      str(methods.json().at("Methods").at("ClientKey").at("params").at("InputPhrase")), &phrase));
  TestResponse answer = client_->post("/api/v1/auth/ClientKey", answerBody(signPhrase(phrase)));
  EXPECT_EQ(answer.status, 401) << answer.body;
  EXPECT_FALSE(answer.json().at("Authentication").at("success").as_bool());
  EXPECT_NE(str(answer.json().at("Authentication").at("reason")).find("BACALHAU_API_KEY"),
            std::string::npos);
}

// A config the authorizer cannot use stops the server before it listens.
TEST_F(NodesApiTest, AnUnusableAuthConfigIsRefusedAtStart) {
  ApiConfig config = testing::localApiConfig(1);
  config.auth.users = {ApiUser{}};
  ApiServer server(makeDeps(), config);
  Status s = server.start();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(server.port(), 0);
}

}  // namespace
}  // namespace cod::api
