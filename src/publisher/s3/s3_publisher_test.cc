#include "publisher/s3/s3_publisher.h"

#include <gtest/gtest.h>

namespace cod::publisher {
namespace {

TEST(S3PublisherTest, KeysFillTheirPlaceholders) {
  // 2024-03-05T06:07:08Z
  Time t = Time(std::chrono::sys_days(std::chrono::year(2024) / std::chrono::March / 5)) +
           std::chrono::hours(6) + std::chrono::minutes(7) + std::chrono::seconds(8);
  EXPECT_EQ(expandKey("out/{jobID}/{executionID}-{nodeID}/{date}T{time}", "j-1", "e-2", "n-3", t),
            "out/j-1/e-2-n-3/20240305T060708");
  EXPECT_EQ(expandKey("{jobID}{jobID}", "j", "e", "n", t), "jj");
}

TEST(S3PublisherTest, RefusesIncompleteParamsAtBidTime) {
  S3Publisher pub("n-1");
  auto spec = [](boost::json::object params) {
    models::SpecConfig s;
    s.type = "s3";
    s.params = std::move(params);
    return s;
  };
  EXPECT_TRUE(pub.validate(spec({{"Bucket", "b"}, {"Key", "k"}})).isOk());
  EXPECT_TRUE(pub.validate(spec({{"bucket", "b"}, {"key", "k"}, {"encoding", "plain"}})).isOk());
  EXPECT_FALSE(pub.validate(spec({{"Key", "k"}})).isOk());
  EXPECT_FALSE(pub.validate(spec({{"Bucket", "b"}})).isOk());
  EXPECT_FALSE(pub.validate(spec({{"Bucket", "b"}, {"Key", "k"}, {"Encoding", "zip"}})).isOk());
  EXPECT_FALSE(
      pub.validate(spec({{"Bucket", "b"}, {"Key", "k"}, {"Endpoint", "file:///x"}})).isOk());
}

}  // namespace
}  // namespace cod::publisher
