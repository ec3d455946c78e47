// Exposing the API safely, end to end through the `cod` binary: users with API keys or passwords
// and capabilities from a config file, HTTPS with the operator's certificate, the CLI's
// credentials from the environment, and an API without users that answers on loopback only.

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include "common/strings.h"
#include "tests/e2e/cod_fixture.h"

namespace cod::testing {
namespace {

using models::JobStateType;

constexpr const char* kNoopJob = R"(Name: hello
Type: batch
Tasks:
  - Name: main
    Engine:
      Type: noop
      Params:
        Stdout: "hello over tls"
)";

// An IPv4 address of this machine other than loopback ("" when it has none).
std::string nonLoopbackAddress() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return "";
  std::string found;
  for (ifaddrs* a = list; a != nullptr && found.empty(); a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    char text[INET_ADDRSTRLEN] = {};
    const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
    if (inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text)) == nullptr) continue;
    if (!startsWith(text, "127.")) found = text;
  }
  freeifaddrs(list);
  return found;
}

class ApiAuthE2E : public CodFixture {
 protected:
  // Whether the API answers at `host` (another address of this machine than the fixture's).
  bool answersAt(const std::string& host) {
    api::client::ClientOptions o;
    o.host = host;
    o.port = api_port_;
    o.timeout = std::chrono::seconds(5);
    o.headers = api_headers_;
    auto c = api::client::ApiClient::create(o);
    return c.isOk() && c->agentAlive().isOk();
  }

  // `cod <args>` with the fixture's environment plus `extra` (a value of "" unsets the name).
  RunResult codWith(const std::map<std::string, std::string>& extra,
                    std::vector<std::string> args) {
    auto environment = env();
    for (const auto& [k, v] : extra) {
      if (v.empty()) {
        environment.erase(k);
      } else {
        environment[k] = v;
      }
    }
    std::vector<std::string> argv{COD_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, environment, dir_ / "logs", std::chrono::seconds(60));
  }

  bool makeCertificate() {
    cert_ = (dir_ / "api.pem").string();
    key_ = (dir_ / "api.key").string();
    auto made = run({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                     key_, "-out", cert_, "-days", "1", "-subj", "/CN=cod-api", "-addext",
                     "subjectAltName=IP:127.0.0.1,DNS:localhost"},
                    {}, dir_ / "logs");
    return made.code == 0;
  }

  std::string cert_;
  std::string key_;
};

// One orchestrator with three users over HTTPS: a reader, a submitter (API keys) and an admin
// (username and password). Each command gets exactly what its user's capabilities allow, with an
// error that says what to do otherwise; the logs WebSocket works over wss with a key.
TEST_F(ApiAuthE2E, UsersKeysCapabilitiesAndHttps) {
  ASSERT_TRUE(makeCertificate());
  const std::string config = writeFile("auth.yaml", R"(API:
  TLS: {CertFile: )" + cert_ + R"(, KeyFile: )" + key_ + R"(}
  Auth:
    Users:
      - {Alias: reader, APIKey: read-key-0123456789, Capabilities: [{Actions: ["read:*"]}]}
      - Alias: ci
        APIKey: submit-key-0123456789
        Capabilities:
          - Actions: [read:job, write:job]
      - {Username: admin, Password: "correct horse", Capabilities: [{Actions: ["*"]}]}
)");
  api_ca_file_ = cert_;
  api_headers_ = {"Authorization: Basic " + base64Encode("admin:correct horse")};
  Process& server = serve({"-c", config});
  ASSERT_TRUE(server.running());
  EXPECT_NE(server.stdoutText().find("API on https://127.0.0.1:"), std::string::npos)
      << server.stdoutText();
  ASSERT_TRUE(waitForComputeNodes(1));

  const std::map<std::string, std::string> https = {{"COD_API_TLS", "1"},
                                                    {"COD_API_CA_FILE", cert_}};
  auto as = [&](std::map<std::string, std::string> who) {
    who.insert(https.begin(), https.end());
    return who;
  };

  // No credentials: refused, and told how to give them.
  auto anonymous = codWith(https, {"job", "list"});
  EXPECT_EQ(anonymous.code, 1);
  EXPECT_NE(anonymous.err.find("needs credentials"), std::string::npos) << anonymous.err;
  EXPECT_NE(anonymous.err.find("COD_API_KEY"), std::string::npos) << anonymous.err;
  auto wrong = codWith(as({{"COD_API_KEY", "read-key-guess"}}), {"job", "list"});
  EXPECT_EQ(wrong.code, 1);
  EXPECT_NE(wrong.err.find("the API key is not valid"), std::string::npos) << wrong.err;

  // The reader reads, and may not submit.
  const auto reader = as({{"COD_API_KEY", "read-key-0123456789"}});
  auto listed = codWith(reader, {"node", "list"});
  EXPECT_EQ(listed.code, 0) << listed.err;
  auto refused = codWith(reader, {"job", "run", "--id-only", writeFile("hello.yaml", kNoopJob)});
  EXPECT_EQ(refused.code, 1);
  EXPECT_NE(refused.err.find("user reader may not write jobs (needs write:job)"), std::string::npos)
      << refused.err;

  // The submitter (Bacalhau's variable) runs a job and streams its logs over wss.
  const auto ci = as({{"BACALHAU_API_KEY", "submit-key-0123456789"}});
  auto job = codWith(ci, {"job", "run", "--id-only", writeFile("hello.yaml", kNoopJob)});
  ASSERT_EQ(job.code, 0) << job.out << job.err;
  const std::string id(trim(job.out));
  ASSERT_TRUE(waitForState(id, JobStateType::kCompleted));
  auto logs = codWith(ci, {"job", "logs", id});
  EXPECT_EQ(logs.code, 0) << logs.err;
  EXPECT_NE(logs.out.find("hello over tls"), std::string::npos) << logs.out << logs.err;
  auto nodes = codWith(ci, {"node", "list"});
  EXPECT_EQ(nodes.code, 1) << nodes.out;  // no read:node
  EXPECT_NE(nodes.err.find("needs read:node"), std::string::npos) << nodes.err;

  // The admin signs in with a password (Basic), which must be right.
  auto admin =
      codWith(as({{"BACALHAU_API_USERNAME", "admin"}, {"BACALHAU_API_PASSWORD", "correct horse"}}),
              {"node", "list"});
  EXPECT_EQ(admin.code, 0) << admin.err;
  auto guess = codWith(as({{"BACALHAU_API_USERNAME", "admin"}, {"BACALHAU_API_PASSWORD", "horse"}}),
                       {"node", "list"});
  EXPECT_EQ(guess.code, 1);
  EXPECT_NE(guess.err.find("the username or password is not valid"), std::string::npos)
      << guess.err;

  // The CLI verifies the certificate: without the CA it stops and says what to pass.
  auto untrusting =
      codWith({{"COD_API_TLS", "1"}, {"COD_API_KEY", "read-key-0123456789"}}, {"job", "list"});
  EXPECT_EQ(untrusting.code, 1);
  EXPECT_NE(untrusting.err.find("TLS with the cod API at https://127.0.0.1:"), std::string::npos)
      << untrusting.err;
  EXPECT_NE(untrusting.err.find("certificate was rejected"), std::string::npos) << untrusting.err;
  EXPECT_NE(untrusting.err.find("--api-ca-file"), std::string::npos) << untrusting.err;
  // Plain HTTP to an HTTPS API gets a hint.
  auto plain = codWith({{"COD_API_KEY", "read-key-0123456789"}}, {"job", "list"});
  EXPECT_EQ(plain.code, 1);
  EXPECT_NE(plain.err.find("--api-tls"), std::string::npos) << plain.err;
  // An https:// URL says TLS as well as --api-tls does.
  auto by_url = codWith({{"COD_API_HOST", "https://127.0.0.1:" + std::to_string(api_port_)},
                         {"COD_API_CA_FILE", cert_},
                         {"COD_API_KEY", "read-key-0123456789"}},
                        {"job", "list"});
  EXPECT_EQ(by_url.code, 0) << by_url.err;
}

// Without users the API is open, so it answers on loopback only unless the operator names an
// address, and says so at start; once users are configured it listens on every address.
TEST_F(ApiAuthE2E, AnOpenApiListensOnLoopbackOnly) {
  const std::string lan = nonLoopbackAddress();
  {
    std::vector<std::string> argv{COD_BINARY,    "serve",      "--orchestrator",
                                  "--nats-port", "0",          "--data-dir",
                                  dataDir(),     "--api-port", std::to_string(api_port_)};
    Process p(argv, env(), dir_ / "logs");
    ASSERT_TRUE(eventually([&] { return !p.running() || client().agentAlive().isOk(); }));
    ASSERT_TRUE(p.running()) << p.stderrText();
    EXPECT_NE(p.stdoutText().find("the API answers on 127.0.0.1 only"), std::string::npos)
        << p.stdoutText();
    if (!lan.empty()) {
      EXPECT_FALSE(answersAt(lan)) << "an open API answered at " << lan;
    }
    p.kill(SIGTERM);
    EXPECT_EQ(p.wait(std::chrono::seconds(15)), 0);
  }
  const std::string config = writeFile("users.yaml", R"(API:
  Auth: {Users: [{APIKey: k-0123456789, Capabilities: [{Actions: ["*"]}]}]}
)");
  api_headers_ = {"Authorization: Bearer k-0123456789"};
  std::vector<std::string> argv{
      COD_BINARY, "serve",      "--orchestrator",          "--nats-port", "0",   "--data-dir",
      dataDir(),  "--api-port", std::to_string(api_port_), "-c",          config};
  Process p(argv, env(), dir_ / "logs");
  ASSERT_TRUE(eventually([&] { return !p.running() || client().agentAlive().isOk(); }));
  ASSERT_TRUE(p.running()) << p.stderrText();
  EXPECT_EQ(p.stdoutText().find("127.0.0.1 only"), std::string::npos) << p.stdoutText();
  if (!lan.empty()) {
    EXPECT_TRUE(answersAt(lan)) << "the API with users did not answer at " << lan;
  }
  // A warning, since keys would cross the network in the clear.
  EXPECT_NE(p.stderrText().find("serve HTTPS with --api-tls-cert-file"), std::string::npos)
      << p.stderrText();
  p.kill(SIGTERM);
  EXPECT_EQ(p.wait(std::chrono::seconds(15)), 0);
}

}  // namespace
}  // namespace cod::testing
