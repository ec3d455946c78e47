#include <gtest/gtest.h>

#include "models/locality.h"
#include "orchestrator/selection/rankers.h"

namespace cod::orchestrator::selection {
namespace {

models::InputSource ipfs(const std::string& cid) {
  models::InputSource in;
  in.source.type = "ipfs";
  in.source.params["CID"] = cid;
  in.target = "/in/" + cid.substr(0, 4);
  return in;
}

TEST(InputLocalityRankerTest, PrefersNodesThatHoldTheJobsInputs) {
  models::Job job;
  job.tasks.resize(1);
  auto a = ipfs("QmUKpBKnu8nKiSJM45JTicuDhqwR7XuXZ6dn1HdHZdrgVa");
  auto b = ipfs("QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN");
  job.task().input_sources = {a, b};
  RankRequest req;
  req.job = &job;
  InputLocalityRanker ranker;
  auto holding = [&](std::vector<std::string> inputs) {
    models::NodeState node;
    node.info.compute_node_info.input_cache.max_bytes = 1;
    node.info.compute_node_info.input_cache.inputs = std::move(inputs);
    return ranker.rank(req, node);
  };
  EXPECT_EQ(holding({models::inputLocator(a), models::inputLocator(b)}).score, 40);
  EXPECT_EQ(holding({models::inputLocator(b)}).score, 20);
  EXPECT_EQ(holding({"l-0000000000000000"}).score, 0);
  EXPECT_EQ(holding({}).score, 0);
  EXPECT_TRUE(holding({}).suitable) << "locality never rules a node out";

  // Inputs with nothing to fetch have no locator and do not count.
  models::InputSource inline_input;
  inline_input.source.type = "inline";
  inline_input.source.params["URL"] = "data:,x";
  EXPECT_EQ(models::inputLocator(inline_input), "");
  job.task().input_sources = {inline_input};
  EXPECT_EQ(holding({models::inputLocator(a)}).score, 0);
}

TEST(InputLocalityRankerTest, LocatorsNameTheSourceNotItsSpelling) {
  auto s3 = [](const std::string& endpoint, const std::string& key) {
    models::InputSource in;
    in.source.type = "s3";
    in.source.params["Bucket"] = "data";
    in.source.params["Key"] = key;
    in.source.params["Endpoint"] = endpoint;
    in.target = "/in";
    return in;
  };
  EXPECT_EQ(models::inputLocator(s3("http://S3.local:9000", "logs/")),
            models::inputLocator(s3("http://s3.local:9000", "logs/")));
  EXPECT_NE(models::inputLocator(s3("http://s3.local:9000", "logs/")),
            models::inputLocator(s3("http://s3.local:9000", "logs/2024/")));
  std::string l = models::inputLocator(s3("http://s3.local:9000", "logs/"));
  EXPECT_EQ(l.size(), 18u);
  EXPECT_EQ(l.find("data"), std::string::npos) << "a locator does not show the bucket";
}

}  // namespace
}  // namespace cod::orchestrator::selection
