#include "api/endpoints/paging.h"

#include <gtest/gtest.h>

#include "common/strings.h"

namespace cod::api::endpoints {
namespace {

TEST(PageTokenTest, RoundTripsInBacalhauFormat) {
  std::string token = encodePageToken({"created_at", true, 10, 20});
  std::string raw;
  ASSERT_TRUE(base64UrlDecode(token, &raw));
  EXPECT_EQ(raw, "created_at:Y:10:20");
  EXPECT_EQ(token.find('='), std::string::npos);
  auto decoded = decodePageToken(token);
  ASSERT_TRUE(decoded.isOk());
  EXPECT_EQ(decoded->order_by, "created_at");
  EXPECT_TRUE(decoded->reverse);
  EXPECT_EQ(decoded->limit, 10u);
  EXPECT_EQ(decoded->offset, 20u);

  std::string history = encodePageToken({"", false, 10, 7});
  ASSERT_TRUE(base64UrlDecode(history, &raw));
  EXPECT_EQ(raw, ":N:10:7");
}

TEST(PageTokenTest, RejectsGarbage) {
  for (const char* bad : {"!!!", "", "abc"}) {
    EXPECT_FALSE(decodePageToken(bad).isOk()) << bad;
  }
  EXPECT_FALSE(decodePageToken(base64UrlEncode("a:X:1:2")).isOk());
  EXPECT_FALSE(decodePageToken(base64UrlEncode("a:N:-1:2")).isOk());
  EXPECT_FALSE(decodePageToken(base64UrlEncode("a:N:1")).isOk());
  auto err = decodePageToken("!!!");
  EXPECT_EQ(err.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(err.status().message().find("next_token"), std::string::npos);
}

TEST(QueryParamTest, ParsesIntegersAndBooleans) {
  HttpRequest req;
  req.query = {{"limit", "5"}, {"bad", "-3"}, {"flag", "True"}, {"no", "0"}, {"junk", "yes"}};
  EXPECT_EQ(*queryUint(req, "limit"), 5u);
  EXPECT_EQ(*queryUint(req, "missing", 7), 7u);
  EXPECT_FALSE(queryUint(req, "bad").isOk());
  EXPECT_TRUE(*queryBool(req, "flag"));
  EXPECT_FALSE(*queryBool(req, "no", true));
  EXPECT_FALSE(queryBool(req, "junk").isOk());
}

}  // namespace
}  // namespace cod::api::endpoints
