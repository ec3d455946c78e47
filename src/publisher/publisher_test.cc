// The publisher conformance suite over every backend, against the real services.

#include <filesystem>
#include <fstream>

#include "common/ids.h"
#include "models/json.h"
#include "publisher/ipfs/ipfs_publisher.h"
#include "publisher/local/local_publisher.h"
#include "publisher/publisher_conformance.h"
#include "publisher/s3/s3_publisher.h"
#include "tests/support/ipfs_node.h"
#include "tests/support/process.h"
#include "tests/support/s3_server.h"

namespace cod::publisher {
namespace {

namespace fs = std::filesystem;
using conformance::Backend;
using conformance::PublisherConformanceTest;

std::string param(const models::SpecConfig& s, std::string_view key) {
  const auto* v = models::findKey(s.params, key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : "";
}

// Unpacks with the tar CLI, not cod's own archive code.
bool untar(const std::string& archive, const std::string& into) {
  auto r = testing::run({"/bin/tar", "-xzf", archive, "-C", into}, {},
                        fs::path(into).parent_path() / "logs");
  return r.code == 0;
}

testing::TestS3Server* s3() {
  std::string why;
  auto* server = testing::TestS3Server::get(&why);
  if (server != nullptr) {
    for (const auto& [k, v] : server->awsEnv()) {
      if (k != "HOME") ::setenv(k.c_str(), v.c_str(), 1);
    }
  }
  return server;
}

testing::TestIpfsNode* ipfs() {
  std::string why;
  return testing::TestIpfsNode::get(&why);
}

models::SpecConfig s3Spec(const std::string& encoding) {
  models::SpecConfig s;
  s.type = "s3";
  s.params["Bucket"] = testing::TestS3Server::kBucket;
  s.params["Key"] = "published/{jobID}/{executionID}";
  s.params["Endpoint"] = s3() != nullptr ? s3()->endpoint() : "http://127.0.0.1:1";
  s.params["Encoding"] = encoding;
  return s;
}

std::vector<models::SpecConfig> badS3Specs() {
  auto with = [](boost::json::object params) {
    models::SpecConfig s;
    s.type = "s3";
    s.params = std::move(params);
    return s;
  };
  return {with({{"Key", "k"}}), with({{"Bucket", "b"}}),
          with({{"Bucket", "b"}, {"Key", "k"}, {"Encoding", "zip"}}),
          with({{"Bucket", "b"}, {"Key", "k"}, {"Endpoint", "file:///etc"}})};
}

INSTANTIATE_TEST_SUITE_P(
    AllBackends, PublisherConformanceTest,
    ::testing::Values(
        Backend{"Local",
                [](const std::string& fixture) -> std::unique_ptr<Publisher> {
                  return std::make_unique<LocalPublisher>(
                      LocalPublisherConfig{fixture + "/served", "127.0.0.1", 6001});
                },
                [] {
                  models::SpecConfig s;
                  s.type = "local";
                  return s;
                },
                [](const models::SpecConfig& published, const std::string& fixture,
                   const std::string& into) {
                  std::string url = param(published, "URL");
                  if (published.type != "urlDownload" || url.empty()) return false;
                  return untar(fixture + "/served/" + url.substr(url.rfind('/') + 1), into);
                },
                [] { return std::vector<models::SpecConfig>{}; }},
        Backend{"S3Gzip",
                [](const std::string&) -> std::unique_ptr<Publisher> {
                  if (s3() == nullptr) return nullptr;
                  return std::make_unique<S3Publisher>("n-test");
                },
                [] { return s3Spec("gzip"); },
                [](const models::SpecConfig& published, const std::string& fixture,
                   const std::string& into) {
                  std::string archive = fixture + "/fetched.tar.gz";
                  return published.type == "s3" &&
                         s3()->download(param(published, "Key"), archive) && untar(archive, into);
                },
                badS3Specs},
        Backend{
            "S3Plain",
            [](const std::string&) -> std::unique_ptr<Publisher> {
              if (s3() == nullptr) return nullptr;
              return std::make_unique<S3Publisher>("n-test");
            },
            [] { return s3Spec("plain"); },
            [](const models::SpecConfig& published, const std::string&, const std::string& into) {
              return published.type == "s3" && s3()->downloadPrefix(param(published, "Key"), into);
            },
            badS3Specs},
        Backend{
            "Ipfs",
            [](const std::string&) -> std::unique_ptr<Publisher> {
              if (ipfs() == nullptr) return nullptr;
              return std::make_unique<IpfsPublisher>(ipfs()->multiaddr());
            },
            [] {
              models::SpecConfig s;
              s.type = "ipfs";
              return s;
            },
            [](const models::SpecConfig& published, const std::string&, const std::string& into) {
              return published.type == "ipfs" && ipfs()->get(param(published, "CID"), into);
            },
            [] { return std::vector<models::SpecConfig>{}; }}),
    [](const ::testing::TestParamInfo<Backend>& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace cod::publisher
