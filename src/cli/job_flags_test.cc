#include "cli/job_flags.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cli/docker_commands.h"
#include "cli/input_flags.h"
#include "common/strings.h"
#include "models/json.h"

namespace cod::cli {
namespace {

using ::testing::HasSubstr;

boost::json::value parse(const std::string& text) {
  auto v = models::parseJson(text);
  EXPECT_TRUE(v.isOk()) << v.status().toString();
  return v.isOk() ? *v : boost::json::value();
}

// Compares JSON values ignoring key order, printing both on failure.
void expectJsonEq(const boost::json::value& actual, const std::string& expected) {
  EXPECT_EQ(actual, parse(expected)) << "actual:   " << models::serialize(actual)
                                     << "\nexpected: " << models::serialize(parse(expected));
}

TEST(DockerJobTest, MinimalRunMatchesBacalhausShape) {
  DockerRunFlags flags;
  flags.image_and_command = {"busybox:1.37.0", "echo", "hi"};
  auto job = buildDockerJob(flags);
  ASSERT_TRUE(job.isOk()) << job.status().toString();
  expectJsonEq(models::toJson(*job), R"({
    "ID":"","Name":"","Namespace":"default","Type":"batch","Priority":0,"Count":1,
    "Constraints":[],"Meta":{},"Labels":{},
    "Tasks":[{"Name":"main",
      "Engine":{"Type":"docker","Params":{"Image":"busybox:1.37.0","Entrypoint":null,
        "Parameters":["echo","hi"],"EnvironmentVariables":null,"WorkingDirectory":""}},
      "Publisher":{"Type":"local"},"ResultPaths":[{"Name":"outputs","Path":"/outputs"}],
      "Resources":{},"Network":{"Type":"Default"},"Timeouts":{}}],
    "State":{"StateType":"Undefined"},"Version":0,"Revision":0,"CreateTime":0,"ModifyTime":0})");
}

TEST(DockerJobTest, EveryFlagLandsInTheSpec) {
  DockerRunFlags flags;
  flags.image_and_command = {"ubuntu:latest", "--", "sh", "-c", "echo $A > /out/x"};
  flags.entrypoint = {"/bin/bash,-e"};
  flags.workdir = "/work";
  flags.env = {"A=1", "B=x=y"};
  flags.job.outputs = {"out:/out", "logs:/var/log,extra:/extra"};
  flags.job.publisher =
      "s3://my-bucket/results/{jobID},opt=region=eu-west-1,opt=endpoint=http://s3:9000";
  flags.job.cpu = "500m";
  flags.job.memory = "1Gi";
  flags.job.disk = "10gb";
  flags.job.gpu = "1";
  flags.job.network = "http";
  flags.job.domains = {"example.com", "api.example.org"};
  flags.job.labels = {"team=data", "adhoc", "env=dev,tier=batch"};
  flags.job.constraints = "region=eu,zone in (a,b)";
  flags.job.selector = "gpu!=none";
  flags.job.timeout_secs = 300;
  flags.job.queue_timeout_secs = 60;
  flags.job.name = "my-job";
  flags.job.ns = "science";
  flags.job.count = 3;
  flags.job.priority = 5;
  auto job = buildDockerJob(flags);
  ASSERT_TRUE(job.isOk()) << job.status().toString();
  expectJsonEq(models::toJson(*job), R"({
    "ID":"","Name":"my-job","Namespace":"science","Type":"batch","Priority":5,"Count":3,
    "Constraints":[{"Key":"region","Operator":"=","Values":["eu"]},
                   {"Key":"zone","Operator":"in","Values":["a","b"]},
                   {"Key":"gpu","Operator":"!=","Values":["none"]}],
    "Meta":{},"Labels":{"team":"data","adhoc":"","env":"dev","tier":"batch"},
    "Tasks":[{"Name":"main",
      "Engine":{"Type":"docker","Params":{"Image":"ubuntu:latest","Entrypoint":["/bin/bash","-e"],
        "Parameters":["sh","-c","echo $A > /out/x"],"EnvironmentVariables":["A=1","B=x=y"],
        "WorkingDirectory":"/work"}},
      "Publisher":{"Type":"s3","Params":{"bucket":"my-bucket","key":"results/{jobID}",
        "region":"eu-west-1","endpoint":"http://s3:9000"}},
      "ResultPaths":[{"Name":"outputs","Path":"/outputs"},{"Name":"out","Path":"/out"},
                     {"Name":"logs","Path":"/var/log"},
                     {"Name":"extra","Path":"/extra"}],
      "Resources":{"CPU":"500m","Memory":"1Gi","Disk":"10gb","GPU":"1"},
      "Network":{"Type":"HTTP","Domains":["example.com","api.example.org"]},
      "Timeouts":{"QueueTimeout":60,"TotalTimeout":300}}],
    "State":{"StateType":"Undefined"},"Version":0,"Revision":0,"CreateTime":0,"ModifyTime":0})");
}

TEST(DockerJobTest, TargetAllMakesAnOpsJobWithoutCount) {
  DockerRunFlags flags;
  flags.image_and_command = {"busybox"};
  flags.job.target = "all";
  flags.job.publisher = "noop";
  auto job = buildDockerJob(flags);
  ASSERT_TRUE(job.isOk());
  EXPECT_EQ(job->type, "ops");
  EXPECT_EQ(job->count, 0);
  EXPECT_EQ(job->task().publisher.type, "noop");
  EXPECT_EQ(job->task().engine.params.at("Parameters"), boost::json::array());
}

TEST(DockerJobTest, TargetAllRefusesACountAboveOne) {
  DockerRunFlags flags;
  flags.image_and_command = {"busybox"};
  flags.job.target = "ALL";
  flags.job.count = 3;
  auto job = buildDockerJob(flags);
  ASSERT_FALSE(job.isOk());
  EXPECT_THAT(job.error().message(), HasSubstr("--count 3 does not go with --target all"));
  flags.job.count = 1;  // the default
  job = buildDockerJob(flags);
  ASSERT_TRUE(job.isOk()) << job.status().toString();
  EXPECT_EQ(job->type, "ops");
  EXPECT_EQ(job->count, 0);
}

TEST(DockerJobTest, DomainAloneMeansHttpNetwork) {
  DockerRunFlags flags;
  flags.image_and_command = {"busybox"};
  flags.job.domains = {"example.com"};
  auto job = buildDockerJob(flags);
  ASSERT_TRUE(job.isOk());
  EXPECT_EQ(job->task().network.type, models::NetworkType::kHttp);
}

TEST(DockerJobTest, BadFlagsNameTheFlag) {
  auto error = [](auto mutate) {
    DockerRunFlags flags;
    flags.image_and_command = {"busybox"};
    mutate(flags);
    auto job = buildDockerJob(flags);
    EXPECT_FALSE(job.isOk());
    return job.isOk() ? std::string() : job.error().message();
  };
  EXPECT_THAT(error([](DockerRunFlags& f) { f.image_and_command.clear(); }), HasSubstr("IMAGE"));
  EXPECT_THAT(error([](DockerRunFlags& f) { f.env = {"NOVALUE"}; }), HasSubstr("--env"));
  EXPECT_THAT(error([](DockerRunFlags& f) { f.env = {"BACALHAU_X=1"}; }), HasSubstr("reserved"));
  EXPECT_THAT(error([](DockerRunFlags& f) { f.workdir = "rel"; }), HasSubstr("--workdir"));
  EXPECT_THAT(error([](DockerRunFlags& f) { f.job.memory = "lots"; }), HasSubstr("--memory"));
  EXPECT_THAT(error([](DockerRunFlags& f) { f.job.cpu = "x"; }), HasSubstr("--cpu"));
  EXPECT_THAT(error([](DockerRunFlags& f) { f.job.gpu = "-1"; }), HasSubstr("--gpu"));
  EXPECT_THAT(error([](DockerRunFlags& f) { f.job.gpu = "+1"; }), HasSubstr("--gpu"));
  EXPECT_THAT(error([](DockerRunFlags& f) { f.job.gpu = "1.5"; }), HasSubstr("--gpu"));
  EXPECT_THAT(error([](DockerRunFlags& f) { f.job.gpu = "5000"; }), HasSubstr("at most 1024"));
  EXPECT_THAT(error([](DockerRunFlags& f) { f.job.outputs = {"/out"}; }),
              HasSubstr("--output-volumes"));
  EXPECT_THAT(error([](DockerRunFlags& f) { f.job.outputs = {"o:rel"}; }), HasSubstr("absolute"));
  EXPECT_THAT(error([](DockerRunFlags& f) { f.job.constraints = "a in ("; }),
              HasSubstr("--constraints"));
  EXPECT_THAT(error([](DockerRunFlags& f) { f.job.count = -1; }), HasSubstr("--count"));
  EXPECT_THAT(error([](DockerRunFlags& f) { f.job.timeout_secs = -1; }), HasSubstr("--timeout"));
}

TEST(PublisherTest, Forms) {
  EXPECT_TRUE(parsePublisher("")->isEmpty());
  EXPECT_EQ(parsePublisher("local")->type, "local");
  EXPECT_EQ(parsePublisher(" IPFS ")->type, "ipfs");
  EXPECT_EQ(parsePublisher("noop")->type, "noop");
  EXPECT_EQ(parsePublisher("s3managed")->type, "s3managed");
  auto s3 = parsePublisher("s3://bucket");
  ASSERT_TRUE(s3.isOk());
  EXPECT_EQ(s3->params.at("bucket"), "bucket");
  EXPECT_EQ(s3->params.at("key"), "");
  auto opts = parsePublisher("s3://b/k/x.tgz,opt=encoding=plain");
  ASSERT_TRUE(opts.isOk());
  EXPECT_EQ(opts->params.at("key"), "k/x.tgz");
  EXPECT_EQ(opts->params.at("encoding"), "plain");
  EXPECT_FALSE(parsePublisher("s3://").isOk());
  EXPECT_FALSE(parsePublisher("s3://b/k,region=x").isOk());
  EXPECT_FALSE(parsePublisher("local://somewhere").isOk());
}

TEST(LabelsTest, Forms) {
  auto labels = parseLabels({"a=1", "b", " c = 3 ,d=x=y"});
  ASSERT_TRUE(labels.isOk());
  EXPECT_EQ(*labels, (models::StringMap{{"a", "1"}, {"b", ""}, {"c", "3"}, {"d", "x=y"}}));
  EXPECT_FALSE(parseLabels({"=v"}).isOk());
}

TEST(InputFlagsTest, UrisBecomeTheirSourceTypes) {
  auto in = parseInputs({"ipfs://QmHash", "https://example.com/a.csv",
                         "src=s3://bucket/some/prefix/,dst=/data,opt=region=eu-west-1,"
                         "opt=endpoint=http://127.0.0.1:4568",
                         "src=file:///srv/data,dst=/mnt,opt=rw=true", "data:,hello"});
  ASSERT_TRUE(in.isOk()) << in.status().toString();
  ASSERT_EQ(in->size(), 5u);
  auto json = [&](size_t i) { return models::serialize(models::toJson((*in)[i].source)); };
  EXPECT_EQ(json(0), R"({"Type":"ipfs","Params":{"CID":"QmHash"}})");
  EXPECT_EQ((*in)[0].target, "/inputs");
  EXPECT_EQ(json(1), R"({"Type":"urlDownload","Params":{"URL":"https://example.com/a.csv"}})");
  EXPECT_EQ(json(2), R"({"Type":"s3","Params":{"Bucket":"bucket","Key":"some/prefix/",)"
                     R"("Region":"eu-west-1","Endpoint":"http://127.0.0.1:4568"}})");
  EXPECT_EQ((*in)[2].target, "/data");
  EXPECT_EQ(json(3), R"({"Type":"local","Params":{"SourcePath":"/srv/data","ReadWrite":true}})");
  EXPECT_EQ(json(4), R"({"Type":"inline","Params":{"URL":"data:,hello"}})");
}

TEST(InputFlagsTest, LocalFilesAndFoldersTravelInline) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("cod-input-flags-" + std::to_string(::getpid()));
  fs::create_directories(dir / "folder");
  std::ofstream(dir / "small.txt") << "tiny";
  std::ofstream(dir / "folder" / "a.txt") << "alpha";
  auto in = parseInputs({(dir / "small.txt").string(), (dir / "folder").string(),
                         "src=" + (dir / "small.txt").string() + ",dst=/etc/app/config"});
  ASSERT_TRUE(in.isOk()) << in.status().toString();
  EXPECT_EQ((*in)[0].source.type, "inline");
  EXPECT_EQ((*in)[0].target, "/inputs/small.txt");
  EXPECT_EQ(models::serialize((*in)[0].source.params.at("URL")),
            "\"data:application/octet-stream;base64,dGlueQ==\"");
  EXPECT_EQ((*in)[1].target, "/inputs");
  EXPECT_TRUE(startsWith(std::string((*in)[1].source.params.at("URL").as_string()),
                         "data:application/gzip;base64,"));
  EXPECT_EQ((*in)[2].target, "/etc/app/config");

  auto missing = parseInputs({(dir / "nope").string()});
  ASSERT_FALSE(missing.isOk());
  EXPECT_NE(missing.status().message().find("file://"), std::string::npos);
  auto bad = parseInputs({"gopher://x"});
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find("unknown input scheme"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cod::cli
