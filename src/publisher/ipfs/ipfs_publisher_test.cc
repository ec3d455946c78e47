#include "publisher/ipfs/ipfs_publisher.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/ids.h"
#include "tests/support/ipfs_node.h"
#include "tests/support/services.h"

namespace cod::publisher {
namespace {

namespace fs = std::filesystem;

TEST(IpfsPublisherTest, PublishesTheResultFolderAsOneDirectoryTheJsIpfsCliReads) {
  std::string why;
  auto* node = testing::TestIpfsNode::get(&why);
  COD_REQUIRE_SERVICE(node != nullptr, why);
  fs::path dir = fs::temp_directory_path() / ("cod-ipfs-publish-" + newUuid());
  fs::create_directories(dir / "outputs");
  std::ofstream(dir / "stdout") << "hello\n";
  std::ofstream(dir / "exitCode") << "0";
  std::ofstream(dir / "outputs/result.csv") << "a,1\n";

  IpfsPublisher pub(node->multiaddr());
  EXPECT_TRUE(pub.isInstalled());
  models::Job job;
  job.id = "j-1";
  job.tasks.resize(1);
  job.task().publisher.type = "ipfs";
  ASSERT_TRUE(pub.validate(job.task().publisher).isOk());
  CancelToken cancel;
  auto published = pub.publish("e-1", job, dir.string(), cancel);
  ASSERT_TRUE(published.isOk()) << published.status().toString();
  EXPECT_EQ(published->type, "ipfs");
  std::string cid(published->params.at("CID").as_string());
  EXPECT_TRUE(isCid(cid)) << cid;
  EXPECT_EQ(node->cat(cid + "/stdout"), "hello\n");
  EXPECT_EQ(node->cat(cid + "/outputs/result.csv"), "a,1\n");
  // The same folder added by the CLI is the same DAG.
  EXPECT_EQ(node->add(dir.string()), cid);
  fs::remove_all(dir);
}

TEST(IpfsPublisherTest, ANodeWithoutAnEndpointRefusesAtBidTime) {
  IpfsPublisher pub("");
  EXPECT_FALSE(pub.isInstalled());
  Status st = pub.validate(models::SpecConfig{});
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("--ipfs-connect"), std::string::npos);
}

}  // namespace
}  // namespace cod::publisher
