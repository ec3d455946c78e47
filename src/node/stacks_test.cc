#include "node/stacks.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace cod::node {
namespace {

models::SpecConfig s3Result(const std::string& key) {
  models::SpecConfig r;
  r.type = "s3";
  r.params["Bucket"] = "results";
  r.params["Key"] = key;
  r.params["Endpoint"] = "http://s3.local:9000";
  r.params["Region"] = "eu-west-1";
  return r;
}

// A job publishing to s3://results/out/{jobID}/{executionID} on the same endpoint.
models::Job s3Job() {
  models::Job job;
  job.id = "j-1";
  job.tasks.resize(1);
  job.task().publisher.type = "s3";
  job.task().publisher.params["Bucket"] = "results";
  job.task().publisher.params["Key"] = "j-1/{executionID}";
  job.task().publisher.params["Endpoint"] = "http://s3.local:9000";
  job.task().publisher.params["Region"] = "eu-west-1";
  return job;
}

class PresignTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", 1);
    ::setenv("AWS_CONFIG_FILE", "/nonexistent", 1);
    ::setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
  }
  void TearDown() override {
    for (const char* k : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                          "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"}) {
      ::unsetenv(k);
    }
  }
};

TEST_F(PresignTest, OneObjectResultsBecomePresignedUrls) {
  auto out = presignS3Result(s3Job(), s3Result("j-1/e-1.tar.gz"), std::chrono::minutes(30));
  EXPECT_EQ(out.type, "s3PreSigned");
  std::string url(out.params.at("PreSignedURL").as_string());
  EXPECT_EQ(url.rfind("http://s3.local:9000/results/j-1/e-1.tar.gz?X-Amz-Algorithm=", 0), 0u)
      << url;
  EXPECT_NE(url.find("X-Amz-Expires=1800"), std::string::npos) << url;
  EXPECT_NE(url.find("%2Feu-west-1%2Fs3%2F"), std::string::npos) << url;
  EXPECT_EQ(out.params.at("SourceSpec").as_object().at("Key").as_string(), "j-1/e-1.tar.gz");
  EXPECT_FALSE(out.params.at("Managed").as_bool());
  EXPECT_EQ(url.find("secret"), std::string::npos) << "the secret never travels";
}

TEST_F(PresignTest, PrefixesOtherResultsAndMissingCredentialsStayAsTheyAre) {
  EXPECT_EQ(presignS3Result(s3Job(), s3Result("j-1/e-1/"), std::chrono::minutes(30)).type, "s3");
  models::SpecConfig url;
  url.type = "urlDownload";
  url.params["URL"] = "http://n:6001/e-1.tar.gz";
  EXPECT_EQ(presignS3Result(s3Job(), url, std::chrono::minutes(30)).type, "urlDownload");
  // A compute node reporting an object the job's publisher spec does not send results to.
  models::SpecConfig elsewhere = s3Result("payroll/2026.tar.gz");
  EXPECT_EQ(presignS3Result(s3Job(), elsewhere, std::chrono::minutes(30)).type, "s3");
  models::SpecConfig other_bucket = s3Result("j-1/e-1.tar.gz");
  other_bucket.params["Bucket"] = "finance";
  EXPECT_EQ(presignS3Result(s3Job(), other_bucket, std::chrono::minutes(30)).type, "s3");
  models::SpecConfig climbing = s3Result("j-1/../payroll.tar.gz");
  EXPECT_EQ(presignS3Result(s3Job(), climbing, std::chrono::minutes(30)).type, "s3");
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  EXPECT_EQ(presignS3Result(s3Job(), s3Result("j-1/e-1.tar.gz"), std::chrono::minutes(30)).type,
            "s3");
}

TEST_F(PresignTest, ManagedResultsPointWhereTheExecutionsOwnIdsSay) {
  ServeOptions::S3Managed managed;
  managed.bucket = "managed-results";
  managed.key = "/cod-results/";
  managed.endpoint = "http://s3.local:9000";
  models::Execution e;
  e.id = "e-2";
  e.job_id = "j-1";
  e.published_result.type = "s3managed";
  // What the node reported does not pick the object.
  e.published_result.params["JobID"] = "j-other";
  e.published_result.params["ExecutionID"] = "../../other-bucket-object";
  auto out = presignManagedResult(e, managed);
  ASSERT_EQ(out.type, "s3PreSigned");
  EXPECT_TRUE(out.params.at("Managed").as_bool());
  std::string url(out.params.at("PreSignedURL").as_string());
  EXPECT_EQ(url.rfind("http://s3.local:9000/managed-results/cod-results/j-1/e-2.tar.gz?", 0), 0u)
      << url;
  EXPECT_NE(url.find("X-Amz-Expires=3600"), std::string::npos) << url;
  // Without a managed bucket the result stays as published.
  EXPECT_EQ(presignManagedResult(e, ServeOptions::S3Managed{}).type, "s3managed");
}

}  // namespace
}  // namespace cod::node
