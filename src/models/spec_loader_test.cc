// Job specs as users write them: the shapes of Bacalhau's testdata/jobs (reference §12), in YAML
// and JSON.

#include "models/spec_loader.h"

#include <gtest/gtest.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "models/job_validation.h"
#include "models/json.h"

namespace cod::models {
namespace {

namespace bj = boost::json;

Job load(std::string_view text) {
  auto job = loadJobSpec(text);
  EXPECT_TRUE(job.isOk()) << job.status().toString();
  return job.isOk() ? *job : Job{};
}

bj::value yaml(std::string_view text) {
  auto v = yamlToJson(text);
  EXPECT_TRUE(v.isOk()) << v.status().toString();
  return v.isOk() ? *v : bj::value();
}

constexpr std::string_view kDockerOutputJson = R"({
  "Name": "Docker Job With Output",
  "Type": "batch",
  "Namespace": "default",
  "Count": 1,
  "Tasks": [
    {
      "Name": "main",
      "Engine": {
        "Type": "docker",
        "Params": {
          "Image": "ubuntu:latest",
          "Entrypoint": ["/bin/bash"],
          "Parameters": ["-c", "echo 15 > /output_custom/output.txt"]
        }
      },
      "Publisher": {"Type": "local"},
      "ResultPaths": [{"Name": "output_custom", "Path": "/output_custom"}]
    }
  ]
}
)";

constexpr std::string_view kDockerOutputYaml = R"(# The same job as docker-output.json.
Name: Docker Job With Output
Type: batch
Namespace: default
Count: 1
Tasks:
  - Name: main
    Engine:
      Type: docker
      Params:
        Image: ubuntu:latest
        Entrypoint:
          - /bin/bash
        Parameters:
          - -c
          - echo 15 > /output_custom/output.txt
    Publisher:
      Type: local
    ResultPaths:
      - Name: output_custom
        Path: /output_custom
)";

TEST(SpecLoaderTest, YamlAndJsonFormsLoadToTheSameJob) {
  Job from_json = load(kDockerOutputJson);
  Job from_yaml = load(kDockerOutputYaml);
  EXPECT_EQ(from_json, from_yaml) << serialize(toJson(from_json)) << "\n"
                                  << serialize(toJson(from_yaml));
  EXPECT_EQ(from_yaml.name, "Docker Job With Output");
  EXPECT_EQ(from_yaml.task().publisher.type, "local");
  EXPECT_EQ(from_yaml.task().result_paths,
            (std::vector<ResultPath>{{"output_custom", "/output_custom"}}));
  EXPECT_EQ(from_yaml.task().engine.params.at("Parameters"),
            (bj::array{"-c", "echo 15 > /output_custom/output.txt"}));
  EXPECT_TRUE(validateJob(from_yaml).isOk());

  // And the YAML that jsonToYaml writes loads back to the same job too.
  Job from_written = load(jsonToYaml(toJson(from_json)));
  EXPECT_EQ(from_written, from_json);
}

TEST(SpecLoaderTest, AllLowerCaseKeysLikeDockerHello) {
  Job job = load(R"(
name: A Simple Docker Job
type: batch
count: 1
tasks:
  - name: My main task
    engine:
      type: docker
      params:
        image: busybox:1.37.0
        entrypoint:
          - /bin/sh
        parameters:
          - -c
          - echo Hello Bacalhau!
)");
  EXPECT_EQ(job.name, "A Simple Docker Job");
  EXPECT_EQ(job.type, "batch");
  EXPECT_EQ(job.count, 1);
  ASSERT_EQ(job.tasks.size(), 1u);
  EXPECT_EQ(job.task().name, "My main task");
  EXPECT_EQ(job.task().engine.type, "docker");
  EXPECT_EQ(job.task().engine.params.at("image"), "busybox:1.37.0");
  EXPECT_TRUE(validateJob(job).isOk());
}

TEST(SpecLoaderTest, FlowStyleS3InputAndWasmInline) {
  Job s3 = load(R"(
Name: Docker Job with S3
Type: batch
Namespace: default
Count: 1
Tasks:
  - Name: main
    Engine: {Type: docker, Params: {Image: busybox:1.37.0, Entrypoint: [/bin/sh], Parameters: [-c, ls /input_custom]}}
    InputSources:
      - Alias: input_custom
        Target: /input_custom
        Source: {Type: s3, Params: {Bucket: bacalhau-test-datasets, Key: integration-tests-do-not-delete/set1/, Region: eu-west-1}}
)");
  ASSERT_EQ(s3.task().input_sources.size(), 1u);
  const InputSource& in = s3.task().input_sources[0];
  EXPECT_EQ(in.alias, "input_custom");
  EXPECT_EQ(in.target, "/input_custom");
  EXPECT_EQ(in.source.type, "s3");
  EXPECT_EQ(in.source.params.at("Region"), "eu-west-1");
  EXPECT_EQ(s3.task().engine.params.at("Entrypoint"), bj::array{"/bin/sh"});

  Job wasm = load(R"(
Name: Wasm Job
Type: batch
Count: 1
Tasks:
  - Name: main
    Engine: {Type: wasm, Params: {EntryModule: wasm.main, Entrypoint: _start}}
    InputSources:
      - Target: /wasm.main
        Source: {Type: inline, Params: {URL: "data:application/wasm;base64,AGFzbQEAAAAB"}}
)");
  EXPECT_EQ(wasm.task().engine.params.at("EntryModule"), "wasm.main");
  EXPECT_EQ(wasm.task().input_sources[0].source.params.at("URL"),
            "data:application/wasm;base64,AGFzbQEAAAAB");
  EXPECT_EQ(wasm.ns, "");  // no Namespace: normalisation fills it later
  EXPECT_TRUE(validateJob(wasm).isOk());
}

TEST(SpecLoaderTest, NoopNamelessAndCustomTaskType) {
  Job noop = load(R"(
Name: Noop Job
Type: batch
Count: 1
Tasks:
  - Name: main
    Engine:
      Type: noop
    Publisher:
      Type: noop
    ResultPaths:
      - Name: output_custom
        Path: /output_custom
)");
  EXPECT_EQ(noop.task().engine, (SpecConfig{"noop", {}}));
  EXPECT_TRUE(validateJob(noop).isOk());

  Job nameless = load("Type: batch\nTasks:\n  - Name: main\n    Engine:\n      Type: noop\n");
  EXPECT_EQ(nameless.name, "");
  EXPECT_EQ(nameless.count, 1);
  nameless.id = "j-1";
  normalizeJob(nameless);
  EXPECT_EQ(nameless.name, "j-1");
  EXPECT_EQ(nameless.ns, "default");

  Job custom = load(R"(
Name: Custom Task Type
Type: batch
Count: 1
Tasks:
  - Name: main
    Engine:
      Type: flibble
      Params:
        Some: data
)");
  EXPECT_EQ(custom.task().engine.type, "flibble");
  EXPECT_TRUE(validateJob(custom).isOk());
}

TEST(SpecLoaderTest, EmptySpecsAreRejected) {
  for (std::string_view text : {"", "   \n\t\n", "# only a comment\n", "---\n", "~\n"}) {
    auto job = loadJobSpec(text);
    ASSERT_FALSE(job.isOk()) << "\"" << text << "\"";
    EXPECT_EQ(job.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(job.status().message(),
              "the job spec is empty: expected a YAML or JSON job with at least a Type and one "
              "task");
  }
}

TEST(SpecLoaderTest, YamlScalarsAreLenientJsonIsStrict) {
  Job job = load(R"(
Type: batch
Count: "2"
Labels: {version: 1.5, enabled: true}
Tasks:
  - Name: main
    Engine: {Type: docker}
    Resources: {CPU: 2, Memory: 1024, GPU: 1}
    Timeouts: {TotalTimeout: 300}
)");
  EXPECT_EQ(job.count, 2);
  EXPECT_EQ(job.labels, (StringMap{{"version", "1.5"}, {"enabled", "true"}}));
  EXPECT_EQ(job.task().resources, (ResourcesConfig{"2", "1024", "", "1"}));
  EXPECT_EQ(job.task().timeouts.total_timeout, 300);

  auto strict = loadJobSpec(R"({"Type":"batch","Tasks":[{"Resources":{"CPU":2}}]})");
  EXPECT_EQ(strict.status().message(),
            "Job.Tasks[0].Resources.CPU: expected a string, got a number");
}

TEST(SpecLoaderTest, ErrorsNameTheFieldOrThePosition) {
  auto wrong = loadJobSpec("Type: batch\nTasks:\n  - Resources: {CPU: [1]}\n");
  EXPECT_EQ(wrong.status().message(),
            "Job.Tasks[0].Resources.CPU: expected a string, got an array");

  auto bad_yaml = loadJobSpec("Type: batch\nTasks: [1, 2\nName: x\n");
  ASSERT_FALSE(bad_yaml.isOk());
  EXPECT_EQ(bad_yaml.status().message().rfind("invalid YAML at line 3, column ", 0), 0u)
      << bad_yaml.status().message();

  auto bad_json = loadJobSpec("{\n  \"Type\": \"batch\",\n  \"Tasks\": [}\n");
  ASSERT_FALSE(bad_json.isOk());
  EXPECT_EQ(bad_json.status().message().rfind("invalid JSON at line 3, column 13", 0), 0u)
      << bad_json.status().message();

  EXPECT_EQ(loadJobSpec("- a\n- b\n").status().message(),
            "the job spec must be a mapping with keys such as Type and Tasks, got an array");
  EXPECT_EQ(loadJobSpec("Type: batch\nTasks:\n  - Network: {Type: wifi}\n").status().message(),
            "Job.Tasks[0].Network.Type: unknown network type \"wifi\"; valid values are Default, "
            "None, Host, Full, HTTP, Bridge");
}

TEST(SpecLoaderTest, YamlFlowMappingIsNotMistakenForJson) {
  Job job = load("{Type: batch, Count: 2, Tasks: [{Name: main, Engine: {Type: noop}}]}\n");
  EXPECT_EQ(job.type, "batch");
  EXPECT_EQ(job.count, 2);
  EXPECT_EQ(job.task().engine.type, "noop");
}

TEST(SpecLoaderTest, AcceptsTheApiRequestWrapper) {
  Job job = load(R"({"Job":{"Type":"ops","Tasks":[{"Name":"t","Engine":{"Type":"noop"}}]},
                     "Force":true})");
  EXPECT_EQ(job.type, "ops");
  EXPECT_EQ(job.task().name, "t");
}

TEST(YamlToJsonTest, PlainScalarsResolveQuotedStayStrings) {
  bj::value v = yaml(R"(
null_tilde: ~
null_word: null
null_empty:
t1: true
t2: True
t3: TRUE
f: false
yes_is_text: yes
int: 42
neg: -7
hex: 0x1F
oct: 0o17
big: 18446744073709551615
float: 1.5
exp: 1e3
version: 1.37.0
image: busybox:1.37.0
quoted_int: '42'
double_quoted: "true"
tagged: !!str 42
tagged_int: !!int "12"
list: [1, "2", three]
)");
  const bj::object& o = v.as_object();
  EXPECT_TRUE(o.at("null_tilde").is_null());
  EXPECT_TRUE(o.at("null_word").is_null());
  EXPECT_TRUE(o.at("null_empty").is_null());
  EXPECT_EQ(o.at("t1"), true);
  EXPECT_EQ(o.at("t2"), true);
  EXPECT_EQ(o.at("t3"), true);
  EXPECT_EQ(o.at("f"), false);
  EXPECT_EQ(o.at("yes_is_text"), "yes");
  EXPECT_EQ(o.at("int"), 42);
  EXPECT_TRUE(o.at("int").is_int64());
  EXPECT_EQ(o.at("neg"), -7);
  EXPECT_EQ(o.at("hex"), 31);
  EXPECT_EQ(o.at("oct"), 15);
  EXPECT_EQ(o.at("big"), uint64_t{18446744073709551615ULL});
  EXPECT_EQ(o.at("float"), 1.5);
  EXPECT_EQ(o.at("exp"), 1000.0);
  EXPECT_EQ(o.at("version"), "1.37.0");
  EXPECT_EQ(o.at("image"), "busybox:1.37.0");
  EXPECT_EQ(o.at("quoted_int"), "42");
  EXPECT_EQ(o.at("double_quoted"), "true");
  EXPECT_EQ(o.at("tagged"), "42");
  EXPECT_EQ(o.at("tagged_int"), 12);
  EXPECT_EQ(o.at("list"), (bj::array{1, "2", "three"}));
}

TEST(YamlToJsonTest, ErrorsCarryLineAndColumn) {
  auto bad = yamlToJson("a: 1\nb: [1, 2\nc: 3\n");
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message().rfind("invalid YAML at line 3, column ", 0), 0u)
      << bad.status().message();

  auto bad_tag = yamlToJson("a: !!int twelve\n");
  EXPECT_EQ(bad_tag.status().message(),
            "invalid YAML at line 1, column 4: \"twelve\" is tagged as an integer but is not one");
}

TEST(YamlToJsonTest, SelfReferencingAliasesAreBounded) {
  // Each level doubles the size; without a bound this would build 2^40 values.
  std::string text = "a0: &a0 [x, x]\n";
  for (int i = 1; i <= 40; ++i) {
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) +
            ", *a" + std::to_string(i - 1) + "]\n";
  }
  auto v = yamlToJson(text);
  ASSERT_FALSE(v.isOk());
  EXPECT_NE(v.status().message().find("expands to more than"), std::string::npos);
}

TEST(JsonToYamlTest, WritesBlockYamlThatReadsBackTheSame) {
  bj::object obj;
  obj["Name"] = "job";
  obj["Count"] = 1;
  obj["Ratio"] = 0.5;
  obj["Whole"] = 2.0;
  obj["Big"] = uint64_t{18446744073709551615ULL};
  obj["Flag"] = true;
  obj["Nothing"] = nullptr;
  obj["Tricky"] = bj::array{"true", "123",  "",  "null",   "1.5",   " lead",
                            "x: y", "a\nb", "~", "- dash", "#hash", "plain text"};
  obj["Empty"] = bj::object{};
  obj["None"] = bj::array{};
  obj["Nested"] = bj::object{{"List", bj::array{bj::object{{"K", "v"}}, 3}}};
  std::string text = jsonToYaml(obj);
  auto back = yamlToJson(text);
  ASSERT_TRUE(back.isOk()) << back.status().toString() << "\n" << text;
  EXPECT_EQ(*back, bj::value(obj)) << text << "\n" << serialize(*back);
}

TEST(JsonToYamlTest, JobSnippet) {
  bj::object obj;
  obj["Type"] = "batch";
  obj["Count"] = 1;
  obj["Labels"] = bj::object{};
  obj["Tasks"] = bj::array{bj::object{{"Name", "main"}, {"Engine", bj::object{{"Type", "noop"}}}}};
  EXPECT_EQ(jsonToYaml(obj),
            "Type: batch\n"
            "Count: 1\n"
            "Labels: {}\n"
            "Tasks:\n"
            "  - Name: main\n"
            "    Engine:\n"
            "      Type: noop\n");
}

}  // namespace
}  // namespace cod::models
