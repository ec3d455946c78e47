#include "s3/sigv4.h"

#include <gtest/gtest.h>

namespace cod::s3 {
namespace {

// 2013-05-24T00:00:00Z, the time of AWS's S3 examples.
Time exampleTime() {
  return Time(std::chrono::sys_days(std::chrono::year(2013) / std::chrono::May / 24));
}

const Credentials kExample{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};

std::string authorization(const SignedHeaders& s) {
  for (const auto& [k, v] : s.headers) {
    if (k == "authorization") return v;
  }
  return "";
}

// AWS's published key derivation example (IAM, 2012-02-15).
TEST(SigV4Test, DerivesThePublishedSigningKey) {
  EXPECT_EQ(
      hex(signingKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")),
      "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

// AWS's S3 header-signing examples: GET Object with a Range, and GET Bucket (list objects).
TEST(SigV4Test, SignsAwsPublishedS3Examples) {
  SignInput get;
  get.host = "examplebucket.s3.amazonaws.com";
  get.path = "/test.txt";
  get.headers = {{"Range", "bytes=0-9"}};
  EXPECT_EQ(authorization(signV4(get, kExample, "us-east-1", exampleTime())),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");

  SignInput list;
  list.host = "examplebucket.s3.amazonaws.com";
  list.path = "/";
  list.query = {{"prefix", "J"}, {"max-keys", "2"}};  // sorted by the signer
  SignedHeaders signed_list = signV4(list, kExample, "us-east-1", exampleTime());
  EXPECT_EQ(signed_list.canonical_query, "max-keys=2&prefix=J");
  EXPECT_EQ(authorization(signed_list),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
            "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

// AWS's presigned URL example: GET /test.txt, valid for 86,400 s.
TEST(SigV4Test, PresignsAwsPublishedExample) {
  SignInput get;
  get.host = "examplebucket.s3.amazonaws.com";
  get.path = "/test.txt";
  EXPECT_EQ(presignV4(get, kExample, "us-east-1", exampleTime(), 86400),
            "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(SigV4Test, EncodesLikeAws) {
  EXPECT_EQ(uriEncode("a b/c~d*e", true), "a%20b/c~d%2Ae");
  EXPECT_EQ(uriEncode("a/b", false), "a%2Fb");
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  SignInput in;
  in.host = "h";
  in.path = "/bucket/dir/my file.txt";
  Credentials temp{"AK", "SK", "TOKEN"};
  SignedHeaders s = signV4(in, temp, "eu-west-1", exampleTime());
  EXPECT_EQ(s.canonical_path, "/bucket/dir/my%20file.txt");
  bool has_token = false;
  for (const auto& [k, v] : s.headers) has_token |= k == "x-amz-security-token" && v == "TOKEN";
  EXPECT_TRUE(has_token);
  EXPECT_NE(authorization(s).find("x-amz-security-token"), std::string::npos);
}

}  // namespace
}  // namespace cod::s3
