// The conformance suite over every backend, and what each backend does beyond it.

#include <gtest/gtest.h>
#include <cstdio>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>

#include "api/test_web_server.h"
#include "common/archive.h"
#include "common/ids.h"
#include "common/strings.h"
#include "models/locality.h"
#include "storage/cache/input_cache.h"
#include "storage/inline/inline_storage.h"
#include "storage/ipfs/ipfs_storage.h"
#include "storage/local/local_storage.h"
#include "storage/s3/go_layout.h"
#include "storage/s3/s3_storage.h"
#include "storage/storage_conformance.h"
#include "storage/url/url_storage.h"
#include "tests/support/ipfs_node.h"
#include "tests/support/s3_server.h"
#include "tests/support/services.h"

namespace cod::storage {
namespace {

namespace fs = std::filesystem;
using conformance::Backend;
using conformance::StorageConformanceTest;

models::InputSource input(const std::string& type, boost::json::object params,
                          const std::string& target = "/inputs/x") {
  models::InputSource in;
  in.source.type = type;
  in.source.params = std::move(params);
  in.target = target;
  return in;
}

// What the test web server answers.
class Site {
 public:
  api::HttpResponse respond(const api::HttpRequest& req) {
    using api::testing::TestWebServer;
    if (req.path == "/data.csv") return TestWebServer::text(200, "a,b\n1,2\n");
    if (req.path == "/named") {
      auto r = TestWebServer::text(200, "named");
      r.headers.set("Content-Disposition", "attachment; filename=\"report.txt\"");
      return r;
    }
    if (req.path == "/evil-name") {
      auto r = TestWebServer::text(200, "x");
      r.headers.set("Content-Disposition", "attachment; filename=\"../../etc/cron.d/x\"");
      return r;
    }
    if (req.path == "/flaky" && flaky_left_-- > 0) return TestWebServer::text(503, "try later");
    if (req.path == "/flaky") return TestWebServer::text(200, "at last");
    if (req.path == "/broken") return TestWebServer::text(500, "always");
    if (req.path == "/moved") return api::HttpResponse::redirect(302, "/data.csv");
    if (req.path == "/to-file") return api::HttpResponse::redirect(302, "file:///etc/passwd");
    if (req.path == "/big") return TestWebServer::text(200, std::string(4096, 'b'));
    if (req.path == "/versioned" || req.path == "/unversioned") {
      std::lock_guard lock(mu_);
      std::string etag = "\"v" + std::to_string(version_) + "\"";
      if (req.method == "GET") ++gets_;
      std::string if_match(req.headers.get("If-Match"));
      if (!if_match.empty() && if_match != etag) return TestWebServer::text(412, "changed");
      auto r = TestWebServer::text(200, "version " + std::to_string(version_));
      if (req.path == "/versioned") r.headers.set("ETag", etag);
      return r;
    }
    return TestWebServer::text(404, "nothing here");
  }
  void setFlaky(int n) { flaky_left_ = n; }
  void setVersion(int v) {
    std::lock_guard lock(mu_);
    version_ = v;
  }
  int gets() {
    std::lock_guard lock(mu_);
    return gets_;
  }

 private:
  std::atomic<int> flaky_left_{0};
  std::mutex mu_;
  int version_ = 1;
  int gets_ = 0;
};

Site& site() {
  static Site s;
  return s;
}

api::testing::TestWebServer& web() {
  static api::testing::TestWebServer server(
      [](const api::HttpRequest& req) { return site().respond(req); });
  return server;
}

std::string dataUrl(const std::string& media, const std::string& data) {
  return "data:" + media + ";base64," + base64Encode(data);
}

std::string tarGzOf(const std::string& fixture_dir) {
  fs::path tree = fs::path(fixture_dir) / "tree";
  fs::create_directories(tree / "sub");
  std::ofstream(tree / "a.txt") << "alpha";
  std::ofstream(tree / "sub" / "b.txt") << "beta";
  std::string archive = fixture_dir + "/tree.tar.gz";
  EXPECT_TRUE(createTarGz(tree.string(), archive).isOk());
  std::ifstream in(archive, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The shared S3 server with its fixture objects uploaded once; skips the test when it cannot run.
testing::TestS3Server* s3Server() {
  std::string why;
  static testing::TestS3Server* server = [&]() -> testing::TestS3Server* {
    auto* s = testing::TestS3Server::get(&why);
    if (s == nullptr) {
      std::fprintf(stderr, "the S3 test server did not start: %s\n", why.c_str());
      return nullptr;
    }
    fs::path dir = fs::temp_directory_path() / ("cod-s3-fixture-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "a.txt") << "alpha";
    std::ofstream(dir / "b.txt") << "beta";
    std::ofstream(dir / "other.txt") << "other";
    bool ok = s->upload((dir / "a.txt").string(), "data/a.txt") &&
              s->upload((dir / "b.txt").string(), "data/sub/b.txt") &&
              s->upload((dir / "other.txt").string(), "elsewhere/other.txt");
    fs::remove_all(dir);
    if (!ok) std::fprintf(stderr, "aws s3 cp of the S3 fixture files to the test server failed\n");
    return ok ? s : nullptr;
  }();
  return server;
}

models::InputSource s3Input(const std::string&) {
  auto* server = s3Server();
  if (server == nullptr) {
    ADD_FAILURE() << "the S3 test server is not available (scripts/test-services.sh)";
    return input("s3", {{"Bucket", "unavailable"}});
  }
  for (const auto& [k, v] : server->awsEnv()) {
    if (k != "HOME") ::setenv(k.c_str(), v.c_str(), 1);
  }
  return input("s3", {{"Bucket", testing::TestS3Server::kBucket},
                      {"Key", "data/"},
                      {"Endpoint", server->endpoint()},
                      {"Region", "us-east-1"}});
}

testing::TestIpfsNode* ipfsNode() {
  std::string why;
  auto* node = testing::TestIpfsNode::get(&why);
  if (node == nullptr) ADD_FAILURE() << why;
  return node;
}

IpfsStorageConfig ipfsConfig() {
  auto* node = ipfsNode();
  return IpfsStorageConfig{node != nullptr ? node->multiaddr() : "/ip4/127.0.0.1/tcp/1",
                           std::chrono::seconds(30), nullptr};
}

// The fixture tree (a.txt, sub/b.txt) added with the js-ipfs CLI.
models::InputSource ipfsInput(const std::string& fixture) {
  auto* node = ipfsNode();
  fs::create_directories(fixture + "/tree/sub");
  std::ofstream(fixture + "/tree/a.txt") << "alpha";
  std::ofstream(fixture + "/tree/sub/b.txt") << "beta";
  return input("ipfs", {{"CID", node != nullptr ? node->add(fixture + "/tree") : ""}});
}

UrlStorageConfig fastRetries() {
  UrlStorageConfig c;
  c.backoff = std::chrono::milliseconds(10);
  c.max_bytes = 1024;
  return c;
}

INSTANTIATE_TEST_SUITE_P(
    AllBackends, StorageConformanceTest,
    ::testing::Values(
        Backend{"InlineFile",
                [](const std::string&) { return std::make_unique<InlineStorage>(); },
                [](const std::string&) {
                  return input("inline", {{"URL", dataUrl("text/plain", "hello inline")}});
                },
                {{"", "hello inline"}},
                [](const std::string&) {
                  return std::vector<models::InputSource>{
                      input("inline", {{"URL", "http://example.com/x"}}),
                      input("inline", {{"URL", "data:text/plain;base64,@@@"}}),
                      input("inline", {{"URL", "data:no-comma"}}), input("inline", {})};
                }},
        Backend{"InlineTarGz",
                [](const std::string&) { return std::make_unique<InlineStorage>(); },
                [](const std::string& fixture) {
                  return input("inline", {{"URL", dataUrl("application/gzip", tarGzOf(fixture))}});
                },
                {{"a.txt", "alpha"}, {"sub/b.txt", "beta"}},
                [](const std::string&) {
                  return std::vector<models::InputSource>{
                      input("inline", {{"URL", "data:application/gzip;base64,%%"}})};
                }},
        Backend{"Url",
                [](const std::string&) { return std::make_unique<UrlStorage>(fastRetries()); },
                [](const std::string&) {
                  return input("urlDownload", {{"URL", web().url("/data.csv")}});
                },
                {{"data.csv", "a,b\n1,2\n"}},
                [](const std::string&) {
                  return std::vector<models::InputSource>{
                      input("urlDownload", {{"URL", "file:///etc/passwd"}}),
                      input("urlDownload", {{"URL", "ftp://example.com/x"}}),
                      input("urlDownload", {})};
                }},
        Backend{"S3",
                [](const std::string&) { return std::make_unique<S3Storage>(); },
                [](const std::string& fixture) { return s3Input(fixture); },
                {{"a.txt", "alpha"}, {"sub/b.txt", "beta"}},
                [](const std::string&) {
                  return std::vector<models::InputSource>{
                      input("s3", {{"Key", "x"}}),
                      input("s3", {{"Bucket", "b"}, {"Filter", "(unclosed"}}),
                      input("s3", {{"Bucket", "b"}, {"Endpoint", "file:///x"}}),
                      input("s3", {{"Bucket", "b"}, {"ChecksumSHA256", "short"}}),
                      // Would make the AWS host name b.s3.x@attacker.example#.amazonaws.com.
                      input("s3", {{"Bucket", "b"}, {"Region", "x@attacker.example#"}}),
                      input("s3", {{"Bucket", "b/../other"}}),
                      input("s3", {{"Bucket", "b"},
                                   {"Partition", boost::json::object{{"Type", "shuffle"}}}})};
                }},
        Backend{
            "Ipfs",
            [](const std::string&) { return std::make_unique<IpfsStorage>(ipfsConfig()); },
            [](const std::string& fixture) { return ipfsInput(fixture); },
            {{"a.txt", "alpha"}, {"sub/b.txt", "beta"}},
            [](const std::string&) {
              return std::vector<models::InputSource>{
                  input("ipfs", {}), input("ipfs", {{"CID", "not-a-cid"}}),
                  input("ipfs", {{"CID", "QmUKpBKnu8nKiSJM45JTicuDhqwR7XuXZ6dn1HdHZdrgVa/../x"}}),
                  input("ipfs", {{"CID", "QmUKpBKnu8nKiSJM45JTicuDhqwR7XuXZ6dn1HdHZdrgVa&arg=x"}})};
            }},
        Backend{"S3Presigned",
                [](const std::string&) -> std::unique_ptr<StorageProvider> {
                  static UrlStorage downloads(fastRetries());
                  return std::make_unique<S3PresignedStorage>(&downloads);
                },
                [](const std::string&) {
                  return input(
                      "s3PreSigned",
                      {{"PreSignedURL", web().url("/data.csv")},
                       {"SourceSpec", boost::json::object{{"Bucket", "b"}, {"Key", "data.csv"}}}});
                },
                {{"data.csv", "a,b\n1,2\n"}},
                [](const std::string&) {
                  return std::vector<models::InputSource>{
                      input("s3PreSigned", {}),
                      input("s3PreSigned", {{"PreSignedURL", "file:///etc/passwd"}})};
                }},
        Backend{"Noop",
                [](const std::string&) { return std::make_unique<NoopStorage>(); },
                [](const std::string&) { return input("noop", {}); },
                {},
                [](const std::string&) { return std::vector<models::InputSource>{}; }},
        Backend{"Local",
                [](const std::string& fixture) {
                  fs::create_directories(fixture + "/allowed/in");
                  std::ofstream(fixture + "/allowed/in/f.txt") << "local data";
                  fs::create_directories(fixture + "/secret");
                  fs::create_symlink(fixture + "/secret", fixture + "/allowed/escape");
                  return std::make_unique<LocalStorage>(
                      std::vector<AllowedPath>{{fixture + "/allowed", false}});
                },
                [](const std::string& fixture) {
                  return input("local", {{"SourcePath", fixture + "/allowed/in"}});
                },
                {{"f.txt", "local data"}},
                [](const std::string& fixture) {
                  return std::vector<models::InputSource>{
                      input("local", {{"SourcePath", "/etc"}}),
                      input("local", {{"SourcePath", fixture + "/allowed/../secret"}}),
                      input("local", {{"SourcePath", fixture + "/allowed/escape"}}),
                      input("local", {{"SourcePath", "relative/path"}}),
                      input("local",
                            {{"SourcePath", fixture + "/allowed/in"}, {"ReadWrite", true}}),
                      input("local", {{"SourcePath", fixture + "/allowed/missing"}}),
                      input("local", {})};
                }}),
    [](const ::testing::TestParamInfo<Backend>& param_info) { return param_info.param.name; });

TEST(S3StorageTest, KeysPrefixesFiltersAndWrongSecrets) {
  COD_REQUIRE_SERVICE(s3Server() != nullptr, "no S3 test server");
  models::InputSource base = s3Input("");
  fs::path dir = fs::temp_directory_path() / ("cod-s3-" + std::to_string(::getpid()));
  auto stage = [&](boost::json::object overrides) {
    models::InputSource in = base;
    for (auto& [k, v] : overrides) in.source.params[k] = v;
    fs::remove_all(dir);
    fs::create_directories(dir);
    S3Storage storage;
    CancelToken cancel;
    return storage.prepare(in, {}, dir.string(), cancel);
  };
  auto single = stage(
      {{"Key", "data/a.txt"}, {"ChecksumSHA256", "jtP2rWhblZ6tcCJRjhr3bNgW+OjsfM3aHtQBjo8iI/g="}});
  ASSERT_TRUE(single.isOk()) << single.status().toString();
  EXPECT_EQ(conformance::readMount(*single),
            (std::map<std::string, std::string>{{"a.txt", "alpha"}}));
  auto bad_sum = stage(
      {{"Key", "data/a.txt"}, {"ChecksumSHA256", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}});
  ASSERT_FALSE(bad_sum.isOk());
  EXPECT_NE(bad_sum.status().message().find("does not match its ChecksumSHA256"),
            std::string::npos);
  auto filtered = stage({{"Key", "data/"}, {"Filter", "sub/"}});
  ASSERT_TRUE(filtered.isOk()) << filtered.status().toString();
  EXPECT_EQ(conformance::readMount(*filtered),
            (std::map<std::string, std::string>{{"sub/b.txt", "beta"}}));
  auto prefix = stage({{"Key", "da"}});  // a prefix that is not a folder
  ASSERT_TRUE(prefix.isOk()) << prefix.status().toString();
  EXPECT_EQ(conformance::readMount(*prefix).size(), 2u);
  auto nothing = stage({{"Key", "nothing-here/"}});
  ASSERT_FALSE(nothing.isOk());
  EXPECT_EQ(nothing.status().code(), StatusCode::kNotFound);
  auto no_bucket = stage({{"Bucket", "no-such-bucket"}});
  ASSERT_FALSE(no_bucket.isOk());
  EXPECT_EQ(no_bucket.status().code(), StatusCode::kNotFound) << no_bucket.status().toString();
  EXPECT_NE(no_bucket.status().message().find("NoSuchBucket"), std::string::npos);
  ::setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret", 1);
  auto wrong = stage({});
  ::setenv("AWS_SECRET_ACCESS_KEY", testing::TestS3Server::kSecretKey, 1);
  ASSERT_FALSE(wrong.isOk());
  EXPECT_EQ(wrong.status().code(), StatusCode::kPermissionDenied) << wrong.status().toString();
  EXPECT_NE(wrong.status().message().find("SignatureDoesNotMatch"), std::string::npos);
  fs::remove_all(dir);
}

// A repeated input stages from the cache; an object that changed (a new ETag) is fetched again.
TEST(S3StorageTest, ObjectsComeFromTheCacheUntilTheirETagChanges) {
  COD_REQUIRE_SERVICE(s3Server() != nullptr, "no S3 test server");
  auto* server = s3Server();
  fs::path dir = fs::temp_directory_path() / ("cod-s3-cache-" + newUuid());
  fs::create_directories(dir / "src");
  std::ofstream(dir / "src/one.txt") << "first version";
  std::ofstream(dir / "src/two.txt") << "two";
  ASSERT_TRUE(server->upload((dir / "src/one.txt").string(), "cached/one.txt"));
  ASSERT_TRUE(server->upload((dir / "src/two.txt").string(), "cached/two.txt"));
  models::InputSource in = s3Input("");
  in.source.params["Key"] = "cached/";
  InputCache cache(InputCacheConfig{(dir / "cache").string(), 1 << 20});
  ASSERT_TRUE(cache.open().isOk());
  S3StorageConfig config;
  config.cache = &cache;
  S3Storage storage(config);
  int run = 0;
  auto stage = [&] {
    fs::path work = dir / ("work" + std::to_string(run++));
    fs::create_directories(work);
    CancelToken cancel;
    return storage.prepare(in, {}, work.string(), cancel);
  };
  auto first = stage();
  ASSERT_TRUE(first.isOk()) << first.status().toString();
  EXPECT_EQ(cache.info().misses, 2u);
  auto second = stage();
  ASSERT_TRUE(second.isOk()) << second.status().toString();
  EXPECT_EQ(conformance::readMount(*second),
            (std::map<std::string, std::string>{{"one.txt", "first version"}, {"two.txt", "two"}}));
  EXPECT_EQ(cache.info().hits, 2u);
  EXPECT_EQ(cache.info().inputs, std::vector<std::string>{models::inputLocator(in)});

  std::ofstream(dir / "src/one.txt") << "second version";
  ASSERT_TRUE(server->upload((dir / "src/one.txt").string(), "cached/one.txt"));
  auto third = stage();
  ASSERT_TRUE(third.isOk()) << third.status().toString();
  EXPECT_EQ(
      conformance::readMount(*third),
      (std::map<std::string, std::string>{{"one.txt", "second version"}, {"two.txt", "two"}}));
  EXPECT_EQ(cache.info().hits, 3u);
  EXPECT_EQ(cache.info().misses, 3u);
  fs::remove_all(dir);
}

// A share that would not fit on the node's disk fails before any download, with the sizes.
TEST(S3StorageTest, AShareLargerThanTheFreeDiskIsRefusedBeforeDownloading) {
  COD_REQUIRE_SERVICE(s3Server() != nullptr, "no S3 test server");
  models::InputSource in = s3Input("");  // data/a.txt (5 bytes) and data/sub/b.txt (4 bytes)
  fs::path dir = fs::temp_directory_path() / ("cod-s3-full-" + newUuid());
  fs::create_directories(dir);
  S3StorageConfig config;
  config.free_disk = [](const std::string&) { return uint64_t{8}; };
  S3Storage storage(config);
  CancelToken cancel;
  auto m = storage.prepare(in, {}, dir.string(), cancel);
  EXPECT_EQ(m.status().code(), StatusCode::kResourceExhausted) << m.status().toString();
  EXPECT_NE(m.status().message().find("needs 9 B of disk"), std::string::npos)
      << m.status().message();
  EXPECT_NE(m.status().message().find("8 B free"), std::string::npos) << m.status().message();
  EXPECT_TRUE(fs::is_empty(dir / "s3")) << "nothing was downloaded";
  config.free_disk = [](const std::string&) { return uint64_t{9}; };
  EXPECT_TRUE(S3Storage(config).prepare(in, {}, (dir / "again").string(), cancel).isOk());
  fs::remove_all(dir);
}

// Bacalhau's documented rule (FNV-1a of the key modulo Count): every object lands in exactly one
// partition, the same one Bacalhau would give it.
TEST(S3StorageTest, PartitionsSplitAPrefixAsBacalhauDoes) {
  COD_REQUIRE_SERVICE(s3Server() != nullptr, "no S3 test server");
  models::InputSource in = s3Input("");
  in.source.params["Partition"] = boost::json::object{{"Type", "object"}};
  fs::path dir = fs::temp_directory_path() / ("cod-s3-part-" + std::to_string(::getpid()));
  auto share = [&](int64_t index, int64_t count) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    S3Storage storage;
    CancelToken cancel;
    auto m = storage.prepare(in, Partition{index, count}, dir.string(), cancel);
    EXPECT_TRUE(m.isOk()) << m.status().toString();
    return m.isOk() ? conformance::readMount(*m) : std::map<std::string, std::string>{};
  };
  // fnv1a32("data/a.txt") % 3 == 2, fnv1a32("data/sub/b.txt") % 3 == 0.
  EXPECT_EQ(share(0, 3), (std::map<std::string, std::string>{{"sub/b.txt", "beta"}}));
  EXPECT_TRUE(share(1, 3).empty());
  EXPECT_EQ(share(2, 3), (std::map<std::string, std::string>{{"a.txt", "alpha"}}));
  // Both hash to 1 of 2; partition 0 gets an empty folder, not an error.
  EXPECT_TRUE(share(0, 2).empty());
  EXPECT_EQ(share(1, 2).size(), 2u);
  // A regex rule reads the key without the prefix; keys it cannot read go to partition 0.
  in.source.params["Partition"] = boost::json::object{{"Type", "regex"}, {"Pattern", "^sub/"}};
  EXPECT_EQ(share(0, 2).count("a.txt"), 1u);
  S3Storage storage;
  models::InputSource date = in;
  date.source.params["Partition"] = boost::json::object{{"Type", "date"}};
  EXPECT_EQ(storage.validate(date).code(), StatusCode::kInvalidArgument);
  date.source.params["Partition"] =
      boost::json::object{{"Type", "date"}, {"DateFormat", "Mon 2006-01-02"}};
  Status unsupported = storage.validate(date);
  EXPECT_EQ(unsupported.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unsupported.message().find("\"Mon\""), std::string::npos) << unsupported.message();
  fs::remove_all(dir);
}

// Date partitioning: the key's leading date (after the prefix) read with a Go layout; one date's
// objects stay together; a key without a date goes to partition 0. Expected shares from
// fnv1a32(date) % 3, computed outside cod: 2024-01-05 → 0, 2024-02-11 → 0, 2024-03-20 → 1.
TEST(S3StorageTest, DatePartitionsKeepADaysObjectsTogether) {
  COD_REQUIRE_SERVICE(s3Server() != nullptr, "no S3 test server");
  auto* server = s3Server();
  fs::path dir = fs::temp_directory_path() / ("cod-s3-date-" + newUuid());
  fs::create_directories(dir);
  for (const char* name : {"2024-01-05-a.log", "2024-01-05-b.log", "2024-02-11.log",
                           "2024-03-20.log", "2024-13-01.log", "notes.log"}) {
    std::ofstream(dir / name) << name;
    ASSERT_TRUE(server->upload((dir / name).string(), std::string("dated/") + name));
  }
  models::InputSource in = s3Input("");
  in.source.params["Key"] = "dated/";
  in.source.params["Partition"] =
      boost::json::object{{"Type", "date"}, {"DateFormat", "2006-01-02"}};
  S3Storage storage;
  ASSERT_TRUE(storage.validate(in).isOk());
  auto share = [&](int64_t index) {
    fs::path work = dir / ("p" + std::to_string(index));
    fs::create_directories(work);
    CancelToken cancel;
    auto m = storage.prepare(in, Partition{index, 3}, work.string(), cancel);
    EXPECT_TRUE(m.isOk()) << m.status().toString();
    std::set<std::string> names;
    if (m.isOk()) {
      for (const auto& [name, content] : conformance::readMount(*m)) names.insert(name);
    }
    return names;
  };
  // 2024-13-01 is no date (month 13): partition 0, with notes.log.
  EXPECT_EQ(share(0), (std::set<std::string>{"2024-01-05-a.log", "2024-01-05-b.log",
                                             "2024-02-11.log", "2024-13-01.log", "notes.log"}));
  EXPECT_EQ(share(1), (std::set<std::string>{"2024-03-20.log"}));
  EXPECT_TRUE(share(2).empty());
  fs::remove_all(dir);
}

// Large files go up in parts and come down in ranges, several at a time; awscli reads back the
// same bytes.
TEST(S3ClientTest, LargeObjectsGoUpInPartsAndComeBackInRanges) {
  COD_REQUIRE_SERVICE(s3Server() != nullptr, "no S3 test server");
  auto* server = s3Server();
  (void)s3Input("");  // the server's credentials into the environment
  fs::path dir = fs::temp_directory_path() / ("cod-s3-multipart-" + newUuid());
  fs::create_directories(dir);
  std::string data;
  data.reserve((12 << 20) + 3);
  uint32_t x = 12345;
  for (size_t i = 0; i < (12u << 20) + 3; ++i) {
    x = x * 1103515245u + 12345u;
    data += static_cast<char>(x >> 24);
  }
  std::ofstream(dir / "big.bin", std::ios::binary) << data;
  s3::ClientConfig config = s3::configFromEnvironment("us-east-1", server->endpoint());
  config.multipart_threshold = 6 << 20;
  config.part_size = 5 << 20;
  s3::S3Client client(config);
  auto parts = client.putObjectMultipart(testing::TestS3Server::kBucket, "multipart/big.bin",
                                         (dir / "big.bin").string(), nullptr);
  ASSERT_TRUE(parts.isOk()) << parts.status().toString();
  EXPECT_EQ(*parts, 3);
  ASSERT_TRUE(server->download("multipart/big.bin", (dir / "back.bin").string()));
  std::ifstream back(dir / "back.bin", std::ios::binary);
  EXPECT_TRUE(std::string(std::istreambuf_iterator<char>(back), {}) == data)
      << "the parts joined in order";
  // putObject takes the multipart path past the threshold too.
  ASSERT_TRUE(client
                  .putObject(testing::TestS3Server::kBucket, "multipart/again.bin",
                             (dir / "big.bin").string(), nullptr)
                  .isOk());
  ASSERT_TRUE(server->download("multipart/again.bin", (dir / "again.bin").string()));
  EXPECT_EQ(fs::file_size(dir / "again.bin"), data.size());
  // Large downloads come in parallel ranges into one file.
  auto listed = client.listObjects(testing::TestS3Server::kBucket, "multipart/big.bin", nullptr);
  ASSERT_TRUE(listed.isOk() && listed->size() == 1) << listed.status().toString();
  config.parallel_get_threshold = 6 << 20;
  s3::S3Client ranged(config);
  ASSERT_TRUE(ranged
                  .getObject(testing::TestS3Server::kBucket, "multipart/big.bin", "",
                             (dir / "ranged.bin").string(), nullptr, (*listed)[0].size,
                             (*listed)[0].etag)
                  .isOk());
  std::ifstream got(dir / "ranged.bin", std::ios::binary);
  EXPECT_TRUE(std::string(std::istreambuf_iterator<char>(got), {}) == data)
      << "the ranges landed where they belong";
  // A listing that no longer matches the object (it shrank) fails instead of leaving a hole.
  auto short_read = ranged.getObject(testing::TestS3Server::kBucket, "multipart/big.bin", "",
                                     (dir / "short.bin").string(), nullptr,
                                     (*listed)[0].size + (6 << 20), (*listed)[0].etag);
  EXPECT_FALSE(short_read.isOk());
  // A bucket that does not exist fails the upload with S3's reason.
  auto missing =
      client.putObjectMultipart("no-such-bucket", "x.bin", (dir / "big.bin").string(), nullptr);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().toString();
  fs::remove_all(dir);
}

// A URL whose server names its version (ETag) is downloaded once per version; one that names
// none is downloaded each time.
TEST(UrlCacheTest, VersionedDownloadsComeFromTheCache) {
  fs::path dir = fs::temp_directory_path() / ("cod-url-cache-" + newUuid());
  InputCache cache(InputCacheConfig{(dir / "cache").string(), 1 << 20});
  ASSERT_TRUE(cache.open().isOk());
  UrlStorageConfig config = fastRetries();
  config.cache = &cache;
  UrlStorage storage(config);
  int run = 0;
  auto stage = [&](const std::string& path) {
    fs::path work = dir / ("w" + std::to_string(run++));
    fs::create_directories(work);
    CancelToken cancel;
    auto m = storage.prepare(input("urlDownload", {{"URL", web().url(path)}}), {}, work.string(),
                             cancel);
    EXPECT_TRUE(m.isOk()) << m.status().toString();
    return m.isOk() ? conformance::readMount(*m) : std::map<std::string, std::string>{};
  };
  site().setVersion(1);
  int before = site().gets();
  EXPECT_EQ(stage("/versioned"), (std::map<std::string, std::string>{{"versioned", "version 1"}}));
  EXPECT_EQ(stage("/versioned"), (std::map<std::string, std::string>{{"versioned", "version 1"}}));
  EXPECT_EQ(site().gets() - before, 1) << "the second run staged from the cache";
  site().setVersion(2);
  EXPECT_EQ(stage("/versioned"), (std::map<std::string, std::string>{{"versioned", "version 2"}}));
  EXPECT_EQ(site().gets() - before, 2);
  EXPECT_EQ(cache.info().hits, 1u);

  before = site().gets();
  stage("/unversioned");
  stage("/unversioned");
  EXPECT_EQ(site().gets() - before, 2) << "nothing says the bytes are the same";
  fs::remove_all(dir);
}

TEST(GoLayoutTest, ParsesAndFormatsBackAsGoDoes) {
  EXPECT_EQ(reformatGoTime("2006-01-02", "2024-01-05"), "2024-01-05");
  EXPECT_EQ(reformatGoTime("2006-01-02", "2024-02-30"), std::nullopt);  // no such day
  EXPECT_EQ(reformatGoTime("2006-01-02", "2024-02-29"), "2024-02-29");  // a leap year
  EXPECT_EQ(reformatGoTime("2006-01-02", "2023-02-29"), std::nullopt);
  EXPECT_EQ(reformatGoTime("2006-01-02", "2024-1-05"), std::nullopt);  // 01 needs two digits
  EXPECT_EQ(reformatGoTime("2006-1-2", "2024-1-5"), "2024-1-5");
  EXPECT_EQ(reformatGoTime("2006-1-2", "2024-1-5x"), std::nullopt);  // extra text
  EXPECT_EQ(reformatGoTime("Jan 2 06", "jan 5 24"), "Jan 5 24");     // names ignore case
  EXPECT_EQ(reformatGoTime("January _2", "March  7"), "March  7");
  EXPECT_EQ(reformatGoTime("3:04PM", "3:07PM"), "3:07PM");
  EXPECT_EQ(reformatGoTime("3:04PM", "3:07pm"), std::nullopt);  // Go's PM is upper-case only
  EXPECT_EQ(reformatGoTime("03:04pm", "12:30am"), "12:30am");
  EXPECT_EQ(reformatGoTime("15:04:05.000", "23:59:07.250"), "23:59:07.250");
  EXPECT_EQ(reformatGoTime("15:04", "24:00"), std::nullopt);
  EXPECT_EQ(reformatGoTime("2006-01-02T15:04:05Z07:00", "2024-01-05T10:00:00+00:00"),
            "2024-01-05T10:00:00Z");
  EXPECT_EQ(reformatGoTime("2006-01-02T15:04:05Z07:00", "2024-01-05T10:00:00-05:30"),
            "2024-01-05T10:00:00-05:30");
  EXPECT_EQ(reformatGoTime("20060102-0700", "20240105+0100"), "20240105+0100");
  EXPECT_TRUE(validateGoLayout("2006/01/02").isOk());
  EXPECT_TRUE(validateGoLayout("year 2006").isOk());
  EXPECT_FALSE(validateGoLayout("").isOk());
  EXPECT_FALSE(validateGoLayout("Monday 2006").isOk());
  EXPECT_FALSE(validateGoLayout("15:04 MST").isOk());
  EXPECT_FALSE(validateGoLayout("05.999").isOk());
}

TEST(DataUrlTest, ParsesBase64AndPercentEncodedData) {
  auto a = parseDataUrl("data:text/plain;charset=utf-8;base64,aGVsbG8=");
  ASSERT_TRUE(a.isOk());
  EXPECT_EQ(a->media_type, "text/plain");
  EXPECT_EQ(a->data, "hello");
  auto b = parseDataUrl("data:,a%20b%2Cc");
  ASSERT_TRUE(b.isOk());
  EXPECT_EQ(b->media_type, "");
  EXPECT_EQ(b->data, "a b,c");
}

TEST(InlineStorageTest, AnArchiveThatEscapesIsRefused) {
  fs::path dir = fs::temp_directory_path() / ("cod-inline-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  // A tar whose entry climbs out: not something createTarGz would make, so build it by hand.
  std::string name = "../escaped.txt";
  std::string header(512, '\0');
  name.copy(header.data(), name.size());
  std::string("0000644").copy(header.data() + 100, 7);
  std::string("0000000").copy(header.data() + 108, 7);
  std::string("0000000").copy(header.data() + 116, 7);
  std::string("00000000004").copy(header.data() + 124, 11);
  std::string("00000000000").copy(header.data() + 136, 11);
  header[156] = '0';
  std::string("ustar").copy(header.data() + 257, 5);
  std::fill(header.begin() + 148, header.begin() + 156, ' ');
  unsigned sum = 0;
  for (char c : header) sum += static_cast<unsigned char>(c);
  char chk[8];
  std::snprintf(chk, sizeof chk, "%06o", sum);
  std::string(chk, 6).copy(header.data() + 148, 6);
  header[154] = '\0';
  std::string tar = header + std::string("evil") + std::string(508, '\0') + std::string(1024, '\0');
  InlineStorage storage;
  // application/gzip data need not be compressed for libarchive to read it as a tar.
  auto in = input("inline", {{"URL", dataUrl("application/gzip", tar)}});
  CancelToken cancel;
  auto mount = storage.prepare(in, {}, dir.string(), cancel);
  EXPECT_FALSE(mount.isOk());
  EXPECT_FALSE(fs::exists(dir.parent_path() / "escaped.txt"));
  fs::remove_all(dir);
}

class UrlStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cod-url-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  Result<Mount> fetch(const std::string& path) {
    UrlStorage storage(fastRetries());
    CancelToken cancel;
    return storage.prepare(input("urlDownload", {{"URL", web().url(path)}}), {}, dir_.string(),
                           cancel);
  }
  fs::path dir_;
};

TEST_F(UrlStorageTest, NamesTheFileAsTheServerOrTheUrlDoes) {
  auto named = fetch("/named");
  ASSERT_TRUE(named.isOk()) << named.status().toString();
  EXPECT_TRUE(fs::exists(fs::path(named->host_path) / "report.txt"));
  EXPECT_EQ(downloadFileName("http://h/a/b/c.csv?x=1", ""), "c.csv");
  EXPECT_EQ(downloadFileName("http://h/a%20b.txt", ""), "a b.txt");
  EXPECT_EQ(downloadFileName("http://h/", ""), "file");
  EXPECT_EQ(downloadFileName("http://h", ""), "file");
  EXPECT_EQ(downloadFileName("http://h/..", ""), "file");
}

TEST_F(UrlStorageTest, AHostileFileNameStaysInsideTheFolder) {
  auto m = fetch("/evil-name");
  ASSERT_TRUE(m.isOk()) << m.status().toString();
  EXPECT_TRUE(fs::exists(fs::path(m->host_path) / "x"));
  EXPECT_EQ(conformance::readMount(*m).size(), 1u);
}

TEST_F(UrlStorageTest, RetriesServerErrorsThenSaysWhatFailed) {
  site().setFlaky(2);
  auto ok = fetch("/flaky");
  ASSERT_TRUE(ok.isOk()) << ok.status().toString();
  EXPECT_EQ(conformance::readMount(*ok).begin()->second, "at last");
  auto broken = fetch("/broken");
  ASSERT_FALSE(broken.isOk());
  EXPECT_EQ(broken.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(broken.status().message().find("HTTP 500"), std::string::npos);
  auto missing = fetch("/nope");
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST_F(UrlStorageTest, FollowsRedirectsButOnlyToHttp) {
  auto moved = fetch("/moved");
  ASSERT_TRUE(moved.isOk()) << moved.status().toString();
  EXPECT_TRUE(fs::exists(fs::path(moved->host_path) / "moved"));
  auto to_file = fetch("/to-file");
  ASSERT_FALSE(to_file.isOk());
  EXPECT_EQ(to_file.status().code(), StatusCode::kInvalidArgument) << to_file.status().toString();
}

TEST_F(UrlStorageTest, RefusesDownloadsOverTheSizeCap) {
  auto big = fetch("/big");  // 4 KiB against a 1 KiB cap
  ASSERT_FALSE(big.isOk());
  EXPECT_EQ(big.status().code(), StatusCode::kResourceExhausted) << big.status().toString();
}

// A job's URL must not fetch the cloud metadata service's credentials for it. The address is
// refused before a socket is opened, so no packet leaves this machine.
TEST_F(UrlStorageTest, LinkLocalAddressesAreRefusedBeforeConnecting) {
  UrlStorage storage(fastRetries());
  for (const char* url :
       {"http://169.254.169.254/latest/meta-data/iam/security-credentials/", "http://[fe80::1]/x",
        "http://[fd00:ec2::254]/x", "http://[::ffff:169.254.169.254]/x"}) {
    CancelToken cancel;
    auto m = storage.prepare(input("urlDownload", {{"URL", url}}), {}, dir_.string(), cancel);
    ASSERT_FALSE(m.isOk()) << url;
    EXPECT_EQ(m.status().code(), StatusCode::kPermissionDenied) << m.status().toString();
    EXPECT_NE(m.status().message().find("link-local"), std::string::npos);
  }
}

TEST_F(UrlStorageTest, AnUnreachableServerIsUnavailable) {
  UrlStorage storage(fastRetries());
  CancelToken cancel;
  auto m = storage.prepare(input("urlDownload", {{"URL", "http://127.0.0.1:1/x"}}), {},
                           dir_.string(), cancel);
  ASSERT_FALSE(m.isOk());
  EXPECT_EQ(m.status().code(), StatusCode::kUnavailable);
}

TEST(LocalStorageTest, ReadWriteAndCreateAsOnlyWhereAllowed) {
  fs::path root = fs::temp_directory_path() / ("cod-local-" + std::to_string(::getpid()));
  fs::create_directories(root / "rw");
  fs::create_directories(root / "ro");
  LocalStorage storage({{(root / "rw").string(), true}, {(root / "ro").string(), false}});
  CancelToken cancel;
  auto rw = storage.prepare(input("local", {{"SourcePath", (root / "rw" / "new").string()},
                                            {"ReadWrite", "true"},
                                            {"CreateAs", "dir"}}),
                            {}, "/unused", cancel);
  ASSERT_TRUE(rw.isOk()) << rw.status().toString();
  EXPECT_FALSE(rw->read_only);
  EXPECT_TRUE(fs::is_directory(root / "rw" / "new"));
  auto file = storage.prepare(
      input("local", {{"SourcePath", (root / "ro" / "f.txt").string()}, {"CreateAs", "file"}}), {},
      "/unused", cancel);
  ASSERT_TRUE(file.isOk()) << file.status().toString();
  EXPECT_TRUE(file->read_only);
  EXPECT_TRUE(fs::is_regular_file(root / "ro" / "f.txt"));
  auto denied = storage.validate(
      input("local", {{"SourcePath", (root / "ro").string()}, {"ReadWrite", true}}));
  EXPECT_EQ(denied.code(), StatusCode::kPermissionDenied);
  auto outside = storage.validate(input("local", {{"SourcePath", "/etc/shadow"}}));
  EXPECT_EQ(outside.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(outside.message().find((root / "rw").string() + ":rw"), std::string::npos)
      << outside.message();
  fs::remove_all(root);
  EXPECT_FALSE(parseAllowedPath("data").isOk());
  EXPECT_TRUE(parseAllowedPath("/data:rw")->read_write);
}

TEST(IpfsStorageTest, AFileCidIsMountedAsTheFileAndAnAbsentOneFailsAsNotFound) {
  auto* node = ipfsNode();
  ASSERT_NE(node, nullptr);
  fs::path dir = fs::temp_directory_path() / ("cod-ipfs-storage-" + newUuid());
  fs::create_directories(dir / "stage");
  std::ofstream(dir / "one.csv") << "x,y\n";
  std::string cid = node->add((dir / "one.csv").string());
  IpfsStorage storage(IpfsStorageConfig{node->multiaddr(), std::chrono::seconds(2), nullptr});
  CancelToken cancel;
  auto mount = storage.prepare(input("ipfs", {{"CID", cid}}, "/in/one.csv"), {},
                               (dir / "stage").string(), cancel);
  ASSERT_TRUE(mount.isOk()) << mount.status().toString();
  EXPECT_EQ(mount->target, "/in/one.csv");
  EXPECT_EQ(conformance::readMount(*mount), (std::map<std::string, std::string>{{"", "x,y\n"}}));

  // With a cache, a CID is fetched once: a CID names its bytes.
  InputCache cache(InputCacheConfig{(dir / "cache").string(), 1 << 20});
  ASSERT_TRUE(cache.open().isOk());
  IpfsStorage cached(IpfsStorageConfig{node->multiaddr(), std::chrono::seconds(2), &cache});
  for (const char* stage : {"c1", "c2"}) {
    fs::create_directories(dir / stage);
    auto m = cached.prepare(input("ipfs", {{"CID", cid}}, "/in/one.csv"), {},
                            (dir / stage).string(), cancel);
    ASSERT_TRUE(m.isOk()) << m.status().toString();
    EXPECT_EQ(conformance::readMount(*m), (std::map<std::string, std::string>{{"", "x,y\n"}}));
  }
  EXPECT_EQ(cache.info().misses, 1u);
  EXPECT_EQ(cache.info().hits, 1u);

  // Content nobody added: not found once the timeout ends, naming the CID.
  std::ofstream(dir / "never") << "never added " << newUuid();
  std::string absent = testing::TestIpfsNode::independentCid((dir / "never").string());
  fs::create_directories(dir / "stage2");
  auto missing = storage.prepare(input("ipfs", {{"CID", absent}}, "/in"), {},
                                 (dir / "stage2").string(), cancel);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().toString();
  EXPECT_NE(missing.status().message().find(absent), std::string::npos);
  fs::remove_all(dir);
}

TEST(IpfsStorageTest, ANodeWithoutAnEndpointOffersNoIpfsAndSaysHowToGetIt) {
  IpfsStorage storage(IpfsStorageConfig{"", std::chrono::seconds(1), nullptr});
  EXPECT_FALSE(storage.isInstalled());
  Status st =
      storage.validate(input("ipfs", {{"CID", "QmUKpBKnu8nKiSJM45JTicuDhqwR7XuXZ6dn1HdHZdrgVa"}}));
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("--ipfs-connect"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace cod::storage
