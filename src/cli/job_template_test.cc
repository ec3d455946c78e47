#include "cli/job_template.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cod::cli {
namespace {

using ::testing::HasSubstr;

std::string render(std::string_view text, const TemplateVars& vars) {
  auto out = renderJobTemplate(text, vars);
  EXPECT_TRUE(out.isOk()) << out.status().toString();
  return out.isOk() ? *out : "<error>";
}

Status renderError(std::string_view text, const TemplateVars& vars = {}) {
  auto out = renderJobTemplate(text, vars);
  EXPECT_FALSE(out.isOk()) << "rendered: " << (out.isOk() ? *out : "");
  return out.status();
}

TEST(JobTemplateTest, ReplacesFieldReferencesWithOrWithoutSpaces) {
  TemplateVars vars{{"image", "busybox:1.37"}, {"ENV_VAR", "x"}};
  EXPECT_EQ(render("Image: {{.image}}\nEnv: {{ .ENV_VAR }}\n", vars),
            "Image: busybox:1.37\nEnv: x\n");
}

TEST(JobTemplateTest, TextWithoutActionsIsUnchanged) {
  std::string spec = "Name: a } b }} c { d\nTasks: []\n";
  EXPECT_EQ(render(spec, {}), spec);
  EXPECT_EQ(render("", {}), "");
}

TEST(JobTemplateTest, TrimMarkersEatAdjacentWhitespaceIncludingNewlines) {
  TemplateVars vars{{"a", "A"}};
  EXPECT_EQ(render("x  \n {{- .a -}} \n\t y", vars), "xAy");
  EXPECT_EQ(render("x {{- .a }} y", vars), "xA y");
  EXPECT_EQ(render("x {{ .a -}} y", vars), "x Ay");
  // A dash not followed by a space is not a trim marker.
  EXPECT_THAT(renderError("x {{-3}}").message(), HasSubstr("unsupported template syntax '-3'"));
}

TEST(JobTemplateTest, StringLiteralsWriteLiteralBraces) {
  EXPECT_EQ(render(R"(cmd: echo {{"{{"}} x {{"}}"}})", {}), "cmd: echo {{ x }}");
  EXPECT_EQ(render("{{`{{raw \\n}}`}}", {}), "{{raw \\n}}");
  EXPECT_EQ(render(R"({{ "tab\there \"q\" \x41\u00e9\101" }})", {}),
            "tab\there \"q\" A\xc3\xa9"
            "A");
}

TEST(JobTemplateTest, CommentsVanish) {
  EXPECT_EQ(render("a{{/* note */}}b", {}), "ab");
  EXPECT_EQ(render("a \n{{- /* multi\nline */ -}}\n b", {}), "ab");
  EXPECT_THAT(renderError("a{{/* x */ }}b").message(), HasSubstr("must end with '*/}}'"));
  EXPECT_THAT(renderError("a{{/* x").message(), HasSubstr("unclosed comment"));
}

TEST(JobTemplateTest, IndexReadsNamesThatAreNotIdentifiers) {
  TemplateVars vars{{"my-key", "v"}};
  EXPECT_EQ(render(R"({{ index . "my-key" }})", vars), "v");
  // As in Go, index on a missing key yields the empty string.
  EXPECT_EQ(render(R"([{{ index . "nope" }}])", vars), "[]");
}

TEST(JobTemplateTest, MissingVariableIsAnErrorNamingLineAndColumn) {
  Status st = renderError("Name: x\nImage: {{ .image }}\n");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("line 2, column 11"));
  EXPECT_THAT(st.message(), HasSubstr("no value for template variable 'image'"));
  EXPECT_THAT(st.hint(), HasSubstr("-V image=VALUE"));
}

TEST(JobTemplateTest, ColumnsCountCharactersNotBytes) {
  EXPECT_THAT(renderError("é {{ .x }}").message(), HasSubstr("line 1, column 6"));
}

TEST(JobTemplateTest, UnsupportedSyntaxIsAnErrorNeverPassedThrough) {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const Case& c : {
           Case{"{{ if .x }}y{{ end }}", "unsupported template keyword or function 'if'"},
           Case{"{{ range .x }}{{ end }}", "'range'"},
           Case{"{{ .x | default \"y\" }}", "unsupported template syntax '|'"},
           Case{"{{ printf \"%s\" .x }}", "'printf'"},
           Case{"{{ $v := .x }}", "unsupported template syntax '$v'"},
           Case{"{{ . }}", "every variable at once"},
           Case{"{{ .a.b }}", "template variables have no fields"},
           Case{"{{ .x .y }}", "an action holds one value"},
           Case{"{{}}", "empty action"},
           Case{"{{ (.x) }}", "'(.x)'"},
       }) {
    Status st = renderError(c.text, {{"x", "1"}, {"a", "2"}, {"y", "3"}});
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(st.message(), HasSubstr(c.message)) << c.text;
    EXPECT_THAT(st.message(), HasSubstr("line 1, column ")) << c.text;
  }
  EXPECT_THAT(renderError("{{ if .x }}").hint(), HasSubstr("--no-template"));
}

TEST(JobTemplateTest, UnclosedActionsAndStringsAreErrors) {
  EXPECT_THAT(renderError("a\n  {{ .x").message(), HasSubstr("line 2, column 3: unclosed action"));
  EXPECT_THAT(renderError("{{ \"abc }}").message(), HasSubstr("unterminated quoted string"));
  EXPECT_THAT(renderError("{{ `abc }}").message(), HasSubstr("unterminated raw string"));
  EXPECT_THAT(renderError(R"({{ "\q" }})").message(), HasSubstr("unknown escape"));
  EXPECT_THAT(renderError(R"({{ "\uD800" }})").message(), HasSubstr("not a valid Unicode"));
}

TEST(JobTemplateTest, ValuesAreInsertedAsTextAndAClosingBraceInsideAStringIsNotTheEnd) {
  TemplateVars vars{{"v", "{{ .other }}"}};
  // A value is not rendered again.
  EXPECT_EQ(render("a: {{ .v }}", vars), "a: {{ .other }}");
  EXPECT_EQ(render(R"({{ "}}" }}!)", {}), "}}!");
}

TEST(TemplateVarFlagTest, ParsesLikeBacalhausStringToStringFlag) {
  TemplateVars vars;
  ASSERT_TRUE(addTemplateVarFlag("a=1", &vars).isOk());
  ASSERT_TRUE(addTemplateVarFlag("b=1,2", &vars).isOk());  // one '=': commas stay in the value
  ASSERT_TRUE(addTemplateVarFlag("c=3,d=4", &vars).isOk());
  ASSERT_TRUE(addTemplateVarFlag(R"("e=5,6",f=x=y)", &vars).isOk());
  ASSERT_TRUE(addTemplateVarFlag(R"("g=quoted")", &vars).isOk());
  ASSERT_TRUE(addTemplateVarFlag("", &vars).isOk());
  ASSERT_TRUE(addTemplateVarFlag("a=override", &vars).isOk());
  EXPECT_EQ(vars, (TemplateVars{{"a", "override"},
                                {"b", "1,2"},
                                {"c", "3"},
                                {"d", "4"},
                                {"e", "5,6"},
                                {"f", "x=y"},
                                {"g", "quoted"}}));
}

TEST(TemplateVarFlagTest, RejectsPairsWithoutAKey) {
  TemplateVars vars;
  EXPECT_THAT(addTemplateVarFlag("novalue", &vars).message(), HasSubstr("key=value"));
  EXPECT_THAT(addTemplateVarFlag("a=1,b,c=2", &vars).message(), HasSubstr("'b' must be written"));
  EXPECT_THAT(addTemplateVarFlag("=x", &vars).message(), HasSubstr("key=value"));
  EXPECT_THAT(addTemplateVarFlag(R"(a=1,b="x"y,c=1)", &vars).message(), HasSubstr("bare \""));
}

TEST(TemplateEnvsTest, MatchesNamesUnanchoredAndNeverOverridesVars) {
  std::vector<std::pair<std::string, std::string>> env = {
      {"ENV_VAR", "env"}, {"OTHER_ENV_VAR", "other"}, {"HOME", "/root"}};
  TemplateVars vars{{"HOME", "from-flag"}};
  ASSERT_TRUE(addTemplateEnvs("ENV_", env, &vars).isOk());
  EXPECT_EQ(vars,
            (TemplateVars{{"HOME", "from-flag"}, {"ENV_VAR", "env"}, {"OTHER_ENV_VAR", "other"}}));
  TemplateVars all;
  ASSERT_TRUE(addTemplateEnvs("*", env, &all).isOk());
  EXPECT_EQ(all.size(), 3U);
  TemplateVars anchored;
  ASSERT_TRUE(addTemplateEnvs("^ENV_", env, &anchored).isOk());
  EXPECT_EQ(anchored, (TemplateVars{{"ENV_VAR", "env"}}));
  EXPECT_THAT(addTemplateEnvs("(", env, &anchored).message(),
              HasSubstr("not a valid regular expression"));
}

}  // namespace
}  // namespace cod::cli
