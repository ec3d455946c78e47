#include "node/result_server.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/ids.h"
#include "http/session.h"
#include "node/result_urls.h"

namespace cod::node {
namespace {

namespace fs = std::filesystem;

constexpr const char* kExecution = "e-11111111-2222-3333-4444-555555555555";
constexpr const char* kOther = "e-99999999-2222-3333-4444-555555555555";

class ResultServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cod-results-" + newUuid().substr(0, 8));
    fs::create_directories(dir_);
    for (const char* id : {kExecution, kOther}) {
      std::ofstream(dir_ / (std::string(id) + ".tar.gz")) << "archive of " << id;
    }
    publisher::LocalPublisherConfig config;
    config.results_dir = dir_.string();
    publisher_ = std::make_unique<publisher::LocalPublisher>(config);
    server_ = std::make_unique<ResultServer>(publisher_.get(), "127.0.0.1", 0, key_, &clock_);
    ASSERT_TRUE(server_->start().isOk());
  }
  void TearDown() override {
    server_->stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string url(const std::string& id) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + "/" + id + ".tar.gz";
  }
  // The status and body of a GET.
  std::pair<long, std::string> get(const std::string& u) {
    http::Session session(http::SessionOptions{});
    http::SessionRequest req;
    req.url = u;
    auto got = session.send(req);
    if (!got.isOk()) return {0, got.status().message()};
    return {got->status, got->body};
  }

  fs::path dir_;
  const std::string key_ = resultUrlKey("cluster-token");
  ManualClock clock_{fromUnixNanos(int64_t{1'800'000'000} * 1'000'000'000)};
  std::unique_ptr<publisher::LocalPublisher> publisher_;
  std::unique_ptr<ResultServer> server_;
};

// Only the URL the orchestrator signed gets the archive, and only until it expires.
TEST_F(ResultServerTest, ServesAnArchiveOnlyWithItsUnexpiredSignature) {
  auto signed_url =
      signResultUrl(url(kExecution), kExecution, key_, clock_.now() + std::chrono::minutes(30));
  ASSERT_TRUE(signed_url.isOk()) << signed_url.status().message();
  auto [status, body] = get(*signed_url);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, std::string("archive of ") + kExecution);

  EXPECT_EQ(get(url(kExecution)).first, 403);  // the bare URL the execution record shows
  EXPECT_NE(get(url(kExecution)).second.find("cod job get"), std::string::npos);
  // Another execution's archive with this signature, a forged or a truncated signature.
  std::string query = signed_url->substr(signed_url->find('?'));
  EXPECT_EQ(get(url(kOther) + query).first, 403);
  EXPECT_EQ(get(url(kExecution) + query.substr(0, query.size() - 1) + "0").first, 403);
  EXPECT_EQ(get(url(kExecution) + query.substr(0, query.size() - 2)).first, 403);
  // A later expiry with the old signature.
  std::string later = query;
  later.replace(later.find("expires=") + 8, 1, "9");
  EXPECT_EQ(get(url(kExecution) + later).first, 403);
  // Signed by another cluster.
  auto foreign = signResultUrl(url(kExecution), kExecution, resultUrlKey("other-token"),
                               clock_.now() + std::chrono::minutes(30));
  EXPECT_EQ(get(*foreign).first, 403);

  clock_.advance(std::chrono::minutes(31));
  auto expired = get(*signed_url);
  EXPECT_EQ(expired.first, 403);
  EXPECT_NE(expired.second.find("expired"), std::string::npos) << expired.second;

  // Paths that are not an archive at the root are 404 whatever they carry.
  EXPECT_EQ(get("http://127.0.0.1:" + std::to_string(server_->port()) + "/%2e%2e%2f" +
                std::string(kExecution) + ".tar.gz" + query)
                .first,
            404);
  EXPECT_EQ(get("http://127.0.0.1:" + std::to_string(server_->port()) + "/etc/passwd").first, 404);
}

TEST(ResultUrlsTest, SignsOnlyTheExecutionsOwnArchive) {
  const std::string key = resultUrlKey("t");
  EXPECT_EQ(resultUrlKey(""), "");
  EXPECT_NE(key, "t");
  Time at = fromUnixNanos(int64_t{1'800'000'000} * 1'000'000'000);
  auto ok = signResultUrl("http://10.0.0.7:6001/e-1.tar.gz", "e-1", key, at);
  ASSERT_TRUE(ok.isOk());
  EXPECT_EQ(ok->rfind("http://10.0.0.7:6001/e-1.tar.gz?expires=1800000000&signature=", 0), 0u);
  EXPECT_FALSE(signResultUrl("http://10.0.0.7:6001/e-2.tar.gz", "e-1", key, at).isOk());
  EXPECT_FALSE(signResultUrl("http://10.0.0.7:6001/x/e-1.tar.gz", "e-1", key, at).isOk());
  EXPECT_FALSE(signResultUrl("http://10.0.0.7:6001/e-1.tar.gz?a=b", "e-1", key, at).isOk());
  EXPECT_FALSE(signResultUrl("file:///e-1.tar.gz", "e-1", key, at).isOk());
  // Without a key nothing is checked.
  EXPECT_EQ(resultUrlRefusal("e-1.tar.gz", "", "", "", at), "");
}

}  // namespace
}  // namespace cod::node
