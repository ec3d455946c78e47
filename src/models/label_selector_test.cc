#include "models/label_selector.h"

#include <gtest/gtest.h>

namespace cod::models {
namespace {

using Reqs = std::vector<LabelSelectorRequirement>;

Reqs parsed(std::string_view text) {
  auto s = LabelSelector::parse(text);
  EXPECT_TRUE(s.isOk()) << text << ": " << s.status().toString();
  return s.isOk() ? s->requirements() : Reqs{};
}

std::string parseError(std::string_view text) {
  auto s = LabelSelector::parse(text);
  EXPECT_FALSE(s.isOk()) << text;
  if (s.isOk()) return "";
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  return s.status().message();
}

bool selects(std::string_view text, const StringMap& labels) {
  auto s = LabelSelector::parse(text);
  EXPECT_TRUE(s.isOk()) << text << ": " << s.status().toString();
  return s.isOk() && s->matches(labels);
}

TEST(LabelSelectorParseTest, EveryOperator) {
  EXPECT_EQ(parsed("gpu"), (Reqs{{"gpu", "exists", {}}}));
  EXPECT_EQ(parsed("!gpu"), (Reqs{{"gpu", "!", {}}}));
  EXPECT_EQ(parsed("env=prod"), (Reqs{{"env", "=", {"prod"}}}));
  EXPECT_EQ(parsed("env==prod"), (Reqs{{"env", "==", {"prod"}}}));
  EXPECT_EQ(parsed("bacalhau_canary!=true"), (Reqs{{"bacalhau_canary", "!=", {"true"}}}));
  EXPECT_EQ(parsed("zone in (a,b)"), (Reqs{{"zone", "in", {"a", "b"}}}));
  EXPECT_EQ(parsed("zone notin (a)"), (Reqs{{"zone", "notin", {"a"}}}));
  EXPECT_EQ(parsed("cores>4"), (Reqs{{"cores", "gt", {"4"}}}));
  EXPECT_EQ(parsed("cores<-1"), (Reqs{{"cores", "lt", {"-1"}}}));
  EXPECT_EQ(parsed("env="), (Reqs{{"env", "=", {""}}}));
}

TEST(LabelSelectorParseTest, CommasWhitespaceAndSets) {
  EXPECT_EQ(parsed("  env = prod ,  zone in ( a , b, c ) ,!gpu,  example.com/tier  "),
            (Reqs{{"env", "=", {"prod"}},
                  {"zone", "in", {"a", "b", "c"}},
                  {"gpu", "!", {}},
                  {"example.com/tier", "exists", {}}}));
  EXPECT_TRUE(parsed("").empty());
  EXPECT_TRUE(parsed("   ").empty());
  EXPECT_TRUE(LabelSelector::parse("").value().empty());
}

TEST(LabelSelectorParseTest, ErrorsNameTheBadPart) {
  EXPECT_EQ(parseError("zone in a"),
            "invalid label selector \"zone in a\": found \"a\" after \"in\"; expected '(' and a "
            "list of values like \"zone in (a,b)\"");
  EXPECT_EQ(parseError("zone in (a,b"),
            "invalid label selector \"zone in (a,b\": found the end of the selector in the values "
            "of key \"zone\"; expected ',' or ')'");
  EXPECT_EQ(parseError("a=b c"),
            "invalid label selector \"a=b c\": found \"c\" after a requirement; expected ',' or "
            "the end");
  EXPECT_EQ(parseError("a=b,"),
            "invalid label selector \"a=b,\": expected a requirement after the last ','");
  EXPECT_EQ(parseError("=b"),
            "invalid label selector \"=b\": found \"=\" where a label key was expected");
  EXPECT_EQ(parseError("a (b)"),
            "invalid label selector \"a (b)\": found \"(\" after key \"a\"; expected one of =, ==, "
            "!=, >, <, in, notin");
  EXPECT_EQ(parseError("cores>many"),
            "invalid label selector \"cores>many\": operator \"gt\" on key \"cores\" needs a whole "
            "number to compare with, got \"many\"");
  EXPECT_EQ(parseError("zone in ()"),
            "invalid label selector \"zone in ()\": operator \"in\" on key \"zone\" needs at least "
            "one value, like \"(a,b)\"");
  EXPECT_NE(parseError("-bad=x").find("invalid label key \"-bad\""), std::string::npos);
  EXPECT_NE(parseError("a=-x-").find("invalid value \"-x-\" for label key \"a\""),
            std::string::npos);
}

TEST(LabelSelectorParseTest, ParseAllJoinsSeveralSelectors) {
  auto s = LabelSelector::parseAll({"bacalhau_canary!=true", "", "env in (prod,dev)"});
  ASSERT_TRUE(s.isOk()) << s.status().toString();
  EXPECT_EQ(s->requirements(),
            (Reqs{{"bacalhau_canary", "!=", {"true"}}, {"env", "in", {"prod", "dev"}}}));
  EXPECT_FALSE(LabelSelector::parseAll({"a=b", "c in"}).isOk());
}

TEST(LabelSelectorMatchTest, Semantics) {
  StringMap labels = {{"env", "prod"}, {"zone", "b"}, {"cores", "8"}, {"gpu", ""}};
  EXPECT_TRUE(selects("env=prod", labels));
  EXPECT_TRUE(selects("env==prod", labels));
  EXPECT_FALSE(selects("env=dev", labels));
  EXPECT_TRUE(selects("env!=dev", labels));
  EXPECT_FALSE(selects("env!=prod", labels));
  EXPECT_TRUE(selects("missing!=x", labels));         // absent keys satisfy != …
  EXPECT_TRUE(selects("missing notin (x)", labels));  // … notin …
  EXPECT_TRUE(selects("!missing", labels));           // … and !
  EXPECT_FALSE(selects("missing=x", labels));
  EXPECT_FALSE(selects("missing in (x)", labels));
  EXPECT_TRUE(selects("zone in (a,b)", labels));
  EXPECT_FALSE(selects("zone notin (a,b)", labels));
  EXPECT_TRUE(selects("gpu", labels));
  EXPECT_FALSE(selects("!gpu", labels));
  EXPECT_TRUE(selects("gpu=", labels));
  EXPECT_TRUE(selects("cores>4", labels));
  EXPECT_FALSE(selects("cores>8", labels));
  EXPECT_TRUE(selects("cores<10", labels));
  EXPECT_FALSE(selects("missing<10", labels));
  EXPECT_FALSE(selects("env>1", labels));  // not a number: no match
  EXPECT_TRUE(selects("cores>4,env=prod,zone in (b)", labels));
  EXPECT_FALSE(selects("cores>4,env=dev", labels));
  EXPECT_TRUE(selects("", labels));
  EXPECT_TRUE(selects("bacalhau_canary!=true", {}));
  EXPECT_FALSE(selects("bacalhau_canary!=true", {{"bacalhau_canary", "true"}}));
}

TEST(LabelSelectorMatchTest, FromRequirementsAndToString) {
  Reqs reqs = {{"env", "=", {"prod"}}, {"zone", "notin", {"a", "b"}}, {"gpu", "!", {}},
               {"ssd", "exists", {}},  {"cores", "gt", {"4"}},        {"mem", "lt", {"9"}},
               {"tier", "!=", {"x"}},  {"os", "==", {"linux"}}};
  LabelSelector s = LabelSelector::fromRequirements(reqs);
  EXPECT_EQ(s.toString(), "env=prod,zone notin (a,b),!gpu,ssd,cores>4,mem<9,tier!=x,os==linux");
  EXPECT_EQ(parsed(s.toString()), reqs);
  EXPECT_TRUE(
      s.matches({{"env", "prod"}, {"ssd", "1"}, {"cores", "5"}, {"mem", "1"}, {"os", "linux"}}));
}

TEST(ValidateRequirementTest, Rules) {
  EXPECT_TRUE(validateRequirement({"zone", "in", {"a"}}).isOk());
  EXPECT_TRUE(validateRequirement({"favour_zone", "=", {"a"}}).isOk());
  EXPECT_TRUE(validateRequirement({"example.com/gpu", "exists", {}}).isOk());
  EXPECT_EQ(validateRequirement({"zone", "~", {"a"}}).message(),
            "unknown operator \"~\" on key \"zone\"; use one of =, ==, !=, in, notin, exists, !, "
            "gt, lt");
  EXPECT_EQ(validateRequirement({"zone", "notin", {}}).message(),
            "operator \"notin\" on key \"zone\" needs at least one value, like \"(a,b)\"");
  EXPECT_EQ(validateRequirement({"zone", "exists", {"a"}}).message(),
            "operator \"exists\" on key \"zone\" takes no values, got 1");
  EXPECT_EQ(validateRequirement({"zone", "!", {"a", "b"}}).message(),
            "operator \"!\" on key \"zone\" takes no values, got 2");
  EXPECT_EQ(validateRequirement({"zone", "=", {"a", "b"}}).message(),
            "operator \"=\" on key \"zone\" needs exactly one value, got 2");
  EXPECT_EQ(validateRequirement({"cores", "lt", {"1.5"}}).message(),
            "operator \"lt\" on key \"cores\" needs a whole number to compare with, got \"1.5\"");
  EXPECT_EQ(validateRequirement({"", "exists", {}}).message(), "the label key must not be empty");
  EXPECT_FALSE(validateRequirement({"a b", "exists", {}}).isOk());
  EXPECT_FALSE(validateRequirement({"Example.com/gpu", "exists", {}}).isOk());
  EXPECT_FALSE(validateRequirement({std::string(64, 'a'), "exists", {}}).isOk());
  EXPECT_FALSE(validateRequirement({"zone", "=", {"has space"}}).isOk());
}

}  // namespace
}  // namespace cod::models
