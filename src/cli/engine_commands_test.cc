// cod wasm run and cod run python: the jobs their flags build.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli/python_commands.h"
#include "cli/wasm_commands.h"
#include "common/ids.h"
#include "common/strings.h"
#include "models/job_validation.h"
#include "models/json.h"
#include "models/wasm_params.h"

namespace cod::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class EngineCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cod-engine-cli-" + newUuid());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string file(const std::string& name, const std::string& bytes) {
    fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
    return p.string();
  }
  // The shortest valid module: the magic number and version 1.
  std::string module(const std::string& name) {
    return file(name, std::string("\0asm\1\0\0\0", 8) + std::string(2048, '\0'));
  }
  fs::path dir_;
};

TEST_F(EngineCommandsTest, ALocalModuleTravelsInlineAsOneFile) {
  WasmRunFlags flags;
  flags.module_and_args = {module("hello.wasm"), "--", "a", "-b"};
  flags.env = {"GREETING=hi"};
  auto job = buildWasmJob(flags);
  ASSERT_TRUE(job.isOk()) << job.status().toString();
  const models::Task& t = job->task();
  EXPECT_EQ(t.engine.type, "wasm");
  EXPECT_EQ(models::serialize(t.engine.params.at("EntryModule")), "\"main.wasm\"");
  EXPECT_EQ(models::serialize(t.engine.params.at("Entrypoint")), "\"_start\"");
  EXPECT_EQ(models::serialize(t.engine.params.at("Parameters")), R"(["a","-b"])");
  ASSERT_EQ(t.input_sources.size(), 1u);
  EXPECT_EQ(t.input_sources[0].target, "main.wasm");
  // A single file even past 512 bytes (a tar.gz would make main.wasm a folder).
  EXPECT_TRUE(startsWith(std::string(t.input_sources[0].source.params.at("URL").as_string()),
                         "data:application/wasm;base64,AGFzbQEAAAA"));
  EXPECT_EQ(t.env.at("GREETING"), "hi");
  EXPECT_TRUE(models::validateJob(*job).isOk()) << models::validateJob(*job).toString();
}

TEST_F(EngineCommandsTest, ModulesFromTargetsIpfsUrlsAndImports) {
  WasmRunFlags flags;
  flags.module_and_args = {module("m.wasm") + ":/wasm/entry.wasm"};
  flags.import_modules = {module("lib.wasm"),
                          "ipfs://QmayucrM3NQRiVGwuYpS7Tqdxd6pmg5xiKQv7f2nHR2mD7"};
  auto job = buildWasmJob(flags);
  ASSERT_TRUE(job.isOk()) << job.status().toString();
  const models::Task& t = job->task();
  EXPECT_EQ(models::serialize(t.engine.params.at("EntryModule")), "\"/wasm/entry.wasm\"");
  // An import from IPFS is mounted under its CID, the last segment of the flag value.
  EXPECT_EQ(models::serialize(t.engine.params.at("ImportModules")),
            R"(["lib.wasm","QmayucrM3NQRiVGwuYpS7Tqdxd6pmg5xiKQv7f2nHR2mD7"])");
  ASSERT_EQ(t.input_sources.size(), 3u);
  EXPECT_EQ(t.input_sources[2].source.type, "ipfs");

  flags = {};
  flags.module_and_args = {"https://example.com/mods/echo.wasm?v=2", "x"};
  job = buildWasmJob(flags);
  ASSERT_TRUE(job.isOk()) << job.status().toString();
  EXPECT_EQ(models::serialize(job->task().engine.params.at("EntryModule")), "\"/wasm/echo.wasm\"");
  EXPECT_EQ(job->task().input_sources[0].source.type, "urlDownload");
  EXPECT_EQ(job->task().input_sources[0].target, "/wasm");

  // The path an -i input provides.
  flags = {};
  flags.job.inputs = {"src=" + dir_.string() + ",dst=/modules"};
  flags.module_and_args = {"/modules/m.wasm"};
  module("m.wasm");
  job = buildWasmJob(flags);
  ASSERT_TRUE(job.isOk()) << job.status().toString();
  EXPECT_EQ(job->task().input_sources.size(), 1u);
  EXPECT_EQ(models::serialize(job->task().engine.params.at("EntryModule")), "\"/modules/m.wasm\"");
}

TEST_F(EngineCommandsTest, BadModulesAreRefusedBeforeSubmitting) {
  WasmRunFlags flags;
  flags.module_and_args = {file("not.wasm", "#!/bin/sh\necho hi\n")};
  auto job = buildWasmJob(flags);
  ASSERT_FALSE(job.isOk());
  EXPECT_THAT(job.status().message(), HasSubstr("is not a WebAssembly module"));

  flags.module_and_args = {(dir_ / "absent.wasm").string()};
  EXPECT_THAT(buildWasmJob(flags).status().message(),
              HasSubstr("no such file on this machine, and no -i input provides that path"));
  flags.module_and_args = {"s3://bucket/m.wasm"};
  EXPECT_THAT(buildWasmJob(flags).status().message(), HasSubstr("add it with -i"));
  flags.module_and_args = {};
  EXPECT_THAT(buildWasmJob(flags).status().message(), HasSubstr("needs a MODULE"));
  flags.module_and_args = {module("ok.wasm")};
  flags.env = {"BACALHAU_X=1"};
  EXPECT_THAT(buildWasmJob(flags).status().message(), HasSubstr("reserved"));
}

TEST_F(EngineCommandsTest, PythonCommandNeedsNoContext) {
  PythonRunFlags flags;
  flags.command = "print(sum(range(10)))";
  flags.script_and_args = {"x"};
  auto job = buildPythonJob(flags);
  ASSERT_TRUE(job.isOk()) << job.status().toString();
  const models::Task& t = job->task();
  EXPECT_EQ(t.engine.type, "python");
  EXPECT_EQ(models::serialize(t.engine.params.at("Command")), "\"print(sum(range(10)))\"");
  EXPECT_EQ(models::serialize(t.engine.params.at("Parameters")), R"(["x"])");
  EXPECT_TRUE(t.input_sources.empty());
  EXPECT_TRUE(models::validateJob(*job).isOk()) << models::validateJob(*job).toString();
}

TEST_F(EngineCommandsTest, APythonScriptComesWithItsContextFolder) {
  file("ctx/main.py", "import helper\n");
  file("ctx/helper.py", "x = 1\n");
  file("ctx/requirements.txt", "\n");
  PythonRunFlags flags;
  flags.context_path = (dir_ / "ctx").string();
  flags.requirement = "requirements.txt";
  flags.script_and_args = {"main.py", "arg"};
  auto job = buildPythonJob(flags);
  ASSERT_TRUE(job.isOk()) << job.status().toString();
  const models::Task& t = job->task();
  EXPECT_EQ(models::serialize(t.engine.params.at("Program")), "\"/code/main.py\"");
  EXPECT_EQ(models::serialize(t.engine.params.at("Requirements")), "\"/code/requirements.txt\"");
  EXPECT_EQ(models::serialize(t.engine.params.at("WorkingDirectory")), "\"/code\"");
  ASSERT_EQ(t.input_sources.size(), 1u);
  EXPECT_EQ(t.input_sources[0].target, "/code");
  EXPECT_TRUE(startsWith(std::string(t.input_sources[0].source.params.at("URL").as_string()),
                         "data:application/gzip;base64,"));
  EXPECT_TRUE(models::validateJob(*job).isOk()) << models::validateJob(*job).toString();

  flags.script_and_args = {"../main.py"};
  EXPECT_FALSE(buildPythonJob(flags).isOk());
  flags.script_and_args = {"absent.py"};
  EXPECT_THAT(buildPythonJob(flags).status().message(), HasSubstr("no such file in the context"));
}

TEST_F(EngineCommandsTest, ATooLargeContextIsRefusedWithTheLimit) {
  // Random bytes do not compress: 11 MiB stays above the 10 MiB limit.
  std::string noise(11u << 20, '\0');
  uint64_t x = 88172645463325252ull;
  for (char& c : noise) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    c = static_cast<char>(x);
  }
  file("big/data.bin", noise);
  file("big/main.py", "print(1)\n");
  PythonRunFlags flags;
  flags.context_path = (dir_ / "big").string();
  flags.script_and_args = {"main.py"};
  auto job = buildPythonJob(flags);
  ASSERT_FALSE(job.isOk());
  EXPECT_THAT(job.status().message(), HasSubstr("--context-path"));
  EXPECT_THAT(job.status().message(), HasSubstr("10 MiB"));
}

TEST_F(EngineCommandsTest, NonDeterministicPythonIsADockerJobWithNoSpecStringInTheShellText) {
  file("ctx/main.py", "print(1)\n");
  file("ctx/requirements.txt", "./wheels/x.whl\n");
  PythonRunFlags flags;
  flags.deterministic = false;
  flags.context_path = (dir_ / "ctx").string();
  flags.requirement = "requirements.txt";
  flags.script_and_args = {"main.py", "$(reboot)"};
  auto job = buildPythonJob(flags);
  ASSERT_TRUE(job.isOk()) << job.status().toString();
  const auto& params = job->task().engine.params;
  EXPECT_EQ(job->task().engine.type, "docker");
  EXPECT_EQ(models::serialize(params.at("Image")), "\"python:3.11-slim\"");
  EXPECT_EQ(models::serialize(params.at("Entrypoint")), R"(["/bin/sh","-c"])");
  const auto& p = params.at("Parameters").as_array();
  ASSERT_EQ(p.size(), 5u);
  EXPECT_EQ(p[1], "cod-python");
  EXPECT_EQ(p[2], "/code/requirements.txt");
  EXPECT_EQ(p[3], "/code/main.py");
  EXPECT_EQ(p[4], "$(reboot)");
  EXPECT_THAT(std::string(p[0].as_string()), ::testing::Not(HasSubstr("main.py")));
}

}  // namespace
}  // namespace cod::cli
