#include "ipfs/ipfs_client.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/ids.h"
#include "tests/support/ipfs_node.h"
#include "tests/support/services.h"

namespace cod::ipfs {
namespace {

namespace fs = std::filesystem;

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(IpfsEndpointTest, MultiaddrsAndUrlsNameTheRpcApi) {
  EXPECT_EQ(*rpcBaseUrl("/ip4/127.0.0.1/tcp/5001"), "http://127.0.0.1:5001");
  EXPECT_EQ(*rpcBaseUrl("/ip4/10.0.0.2/tcp/5001/http"), "http://10.0.0.2:5001");
  EXPECT_EQ(*rpcBaseUrl("/dns4/ipfs.internal/tcp/443/https"), "https://ipfs.internal:443");
  EXPECT_EQ(*rpcBaseUrl("/ip6/::1/tcp/5001"), "http://[::1]:5001");
  EXPECT_EQ(*rpcBaseUrl("http://127.0.0.1:5001/"), "http://127.0.0.1:5001");
  EXPECT_EQ(*rpcBaseUrl("http://127.0.0.1:5001/api/v0"), "http://127.0.0.1:5001");
  for (const char* bad : {"", "127.0.0.1:5001", "/ip4/127.0.0.1/udp/5001", "/ip4/127.0.0.1/tcp/x",
                          "/ip4/127.0.0.1/tcp/5001/ws", "/unix/run/ipfs.sock",
                          "http://h:1/other/path", "/ip4/a@b/tcp/1"}) {
    auto r = rpcBaseUrl(bad);
    ASSERT_FALSE(r.isOk()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find("/ip4/127.0.0.1/tcp/5001"), std::string::npos);
  }
}

TEST(IpfsEndpointTest, CidsAreRecognisedBySyntax) {
  EXPECT_TRUE(isCid("QmUKpBKnu8nKiSJM45JTicuDhqwR7XuXZ6dn1HdHZdrgVa"));
  EXPECT_TRUE(isCid("bafybeiffndsajwhk3lwjewwdxqntmjm4b5wxaaanokonsggenkbw6slwk4"));
  EXPECT_FALSE(isCid(""));
  EXPECT_FALSE(isCid("QmUKpBKnu8nKiSJM45JTicuDhqwR7XuXZ6dn1HdHZdrgV0"));  // 0 is not base58
  EXPECT_FALSE(isCid("QmUKpBKnu8nKiSJM45JTicuDhqwR7XuXZ6dn1HdHZdrgVa&arg=x"));
  EXPECT_FALSE(isCid("bafy/../../etc/passwd"));
  EXPECT_FALSE(isCid("xafybeiffndsajwhk3lwjewwdxqntmjm4b5wxaaanokonsg"));
}

class IpfsClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    node_ = testing::TestIpfsNode::get(&why);
    COD_REQUIRE_SERVICE(node_ != nullptr, why);
    dir_ = fs::temp_directory_path() / ("cod-ipfs-test-" + newUuid());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  IpfsClient client(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    IpfsClientConfig c;
    c.endpoint = node_->multiaddr();
    c.get_timeout = timeout;
    return *IpfsClient::create(c);
  }

  testing::TestIpfsNode* node_ = nullptr;
  fs::path dir_;
};

TEST_F(IpfsClientTest, GetsAFileAddedByTheJsIpfsCliUnderTheCidIpfsCidComputes) {
  fs::path file = dir_ / "words.txt";
  std::ofstream(file) << "the quick brown fox\n";
  std::string cid = node_->add(file.string());
  ASSERT_FALSE(cid.empty());
  EXPECT_EQ(cid, testing::TestIpfsNode::independentCid(file.string()));

  EXPECT_EQ(*client().version(), "0.18.1");
  Status st = client().get(cid, (dir_ / "got").string(), nullptr);
  ASSERT_TRUE(st.isOk()) << st.toString();
  EXPECT_TRUE(fs::is_regular_file(dir_ / "got"));
  EXPECT_EQ(readFile(dir_ / "got"), "the quick brown fox\n");
  EXPECT_FALSE(fs::exists(dir_ / "got.tar"));  // nothing left behind
  EXPECT_FALSE(fs::exists(dir_ / "got.d"));
}

TEST_F(IpfsClientTest, GetsADirectoryTree) {
  fs::create_directories(dir_ / "tree/sub");
  std::ofstream(dir_ / "tree/a.txt") << "alpha";
  std::ofstream(dir_ / "tree/sub/b.txt") << "beta";
  std::string cid = node_->add((dir_ / "tree").string());
  ASSERT_FALSE(cid.empty());
  Status st = client().get(cid, (dir_ / "got").string(), nullptr);
  ASSERT_TRUE(st.isOk()) << st.toString();
  EXPECT_EQ(readFile(dir_ / "got/a.txt"), "alpha");
  EXPECT_EQ(readFile(dir_ / "got/sub/b.txt"), "beta");
}

TEST_F(IpfsClientTest, AddsAFolderAsTheDirectoryTheJsIpfsCliWouldMake) {
  fs::create_directories(dir_ / "result/outputs/deep");
  std::ofstream(dir_ / "result/stdout") << "out\n";
  std::ofstream(dir_ / "result/exitCode") << "0";
  std::ofstream(dir_ / "result/outputs/deep/x.bin") << std::string(300000, 'x');  // > 1 chunk
  std::ofstream(dir_ / "result/outputs/name with spaces&%.txt") << "odd";
  std::ofstream(dir_ / "result/empty");
  fs::create_symlink("/etc/passwd", dir_ / "result/outputs/link");

  auto cid = client().addDirectory((dir_ / "result").string(), nullptr);
  ASSERT_TRUE(cid.isOk()) << cid.status().toString();
  fs::remove(dir_ / "result/outputs/link");  // the CLI would follow it; cod leaves links out
  EXPECT_EQ(*cid, node_->add((dir_ / "result").string()));

  Status st = client().get(*cid, (dir_ / "back").string(), nullptr);
  ASSERT_TRUE(st.isOk()) << st.toString();
  EXPECT_EQ(readFile(dir_ / "back/stdout"), "out\n");
  EXPECT_EQ(readFile(dir_ / "back/outputs/deep/x.bin"), std::string(300000, 'x'));
  EXPECT_EQ(readFile(dir_ / "back/outputs/name with spaces&%.txt"), "odd");
  EXPECT_TRUE(fs::is_regular_file(dir_ / "back/empty"));
  EXPECT_FALSE(fs::exists(dir_ / "back/outputs/link"));
}

TEST_F(IpfsClientTest, AnAbsentCidIsNotFoundWhenTheTimeoutEndsNotAHang) {
  // A CID no node holds: that of content never added.
  fs::path file = dir_ / "never-added";
  std::ofstream(file) << "never added " << newUuid();
  std::string cid = testing::TestIpfsNode::independentCid(file.string());
  ASSERT_FALSE(cid.empty());
  auto started = std::chrono::steady_clock::now();
  Status st = client(std::chrono::seconds(2)).get(cid, (dir_ / "got").string(), nullptr);
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(st.code(), StatusCode::kNotFound) << st.toString();
  EXPECT_NE(st.message().find(cid), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("within 2s"), std::string::npos) << st.message();
  EXPECT_LT(took, std::chrono::seconds(15));
  EXPECT_FALSE(fs::exists(dir_ / "got"));
}

TEST_F(IpfsClientTest, ACancelledGetStopsAtOnce) {
  fs::path file = dir_ / "never-added";
  std::ofstream(file) << "never added either " << newUuid();
  std::string cid = testing::TestIpfsNode::independentCid(file.string());
  CancelToken cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel.cancel();
  });
  auto started = std::chrono::steady_clock::now();
  Status st = client(std::chrono::minutes(5)).get(cid, (dir_ / "got").string(), &cancel);
  canceller.join();
  EXPECT_EQ(st.code(), StatusCode::kCancelled) << st.toString();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
}

TEST_F(IpfsClientTest, AnUnreachableNodeIsUnavailableAndNamed) {
  IpfsClientConfig c;
  c.endpoint = "/ip4/127.0.0.1/tcp/" + std::to_string(testing::freePort());
  auto unreachable = *IpfsClient::create(c);
  Status st = unreachable.get("QmUKpBKnu8nKiSJM45JTicuDhqwR7XuXZ6dn1HdHZdrgVa",
                              (dir_ / "got").string(), nullptr);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.toString();
  EXPECT_NE(st.message().find(c.endpoint), std::string::npos) << st.message();
  EXPECT_EQ(unreachable.version().status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace cod::ipfs
