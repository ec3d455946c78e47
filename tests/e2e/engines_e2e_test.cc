// The wasm and python engines end to end: the `cod` binary, a devstack of compute processes over
// NATS, modules built from C by the test, S3 on a real server (it verifies signatures), results
// downloaded with `cod job get`.

#include <boost/json.hpp>

#include "common/strings.h"
#include "tests/e2e/cod_fixture.h"
#include "tests/support/s3_server.h"
#include "tests/support/services.h"

namespace cod::testing {
namespace {

namespace fs = std::filesystem;
using models::JobStateType;

class EnginesE2E : public CodFixture {
 protected:
  std::map<std::string, std::string> env() const override {
    auto e = CodFixture::env();
    for (const auto& [k, v] : extra_env_) e[k] = v;
    return e;
  }

  // Compiles C source to a WASI module under the test dir.
  std::string wasmModule(const std::string& name, const std::string& source) {
    std::string c = writeFile(name + ".c", source);
    std::string out = (dir_ / (name + ".wasm")).string();
    std::string clang = COD_CLANG;
    EXPECT_FALSE(clang.empty() || clang.ends_with("NOTFOUND"))
        << "clang is missing (scripts/install-deps.sh installs it)";
    auto r = run({clang, "--target=wasm32-wasi", "-O2", "-o", out, c}, {}, dir_ / "logs");
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    return out;
  }

  std::string jobId(const RunResult& r) {
    size_t at = r.out.find("Job ID: ");
    return at == std::string::npos ? "" : std::string(trim(r.out.substr(at + 8, 38)));
  }

  std::vector<models::Execution> executions(const std::string& id) {
    api::client::GetJobOptions o;
    o.include_executions = true;
    auto job = client().getJob(id, o);
    return job.isOk() && job->executions ? *job->executions : std::vector<models::Execution>{};
  }

  void requireEngine(const std::string& engine) {
    bool offered = eventually([&] {
      auto nodes = client().listNodes({});
      if (!nodes.isOk()) return false;
      for (const auto& n : *nodes) {
        for (const auto& e : n.info.compute_node_info.execution_engines) {
          if (e == engine) return true;
        }
      }
      return false;
    });
    COD_REQUIRE_SERVICE(offered, "no compute node offers the " + engine +
                                     " engine (see the devstack's log for why)");
  }

  std::map<std::string, std::string> extra_env_;
};

constexpr const char* kHello = R"(#include <stdio.h>
int main(int argc, char** argv) {
  printf("hello from wasm:");
  for (int i = 1; i < argc; i++) printf(" %s", argv[i]);
  printf("\n");
  return 0;
})";

TEST_F(EnginesE2E, WasmRunPrintsWhatTheModulePrinted) {
  std::string module = wasmModule("hello", kHello);
  devstack(1);
  ASSERT_TRUE(waitForComputeNodes(1));
  requireEngine("wasm");
  auto r = cod({"wasm", "run", module, "a", "b"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("finished with state Completed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Standard output:\nhello from wasm: a b\n"), std::string::npos) << r.out;
}

// Reference §12's wasm.yaml: the module as an inline data URL at a relative EntryModule; and its
// legacy form, rewritten by the orchestrator.
TEST_F(EnginesE2E, BacalhausWasmSpecsRunUnchanged) {
  std::string module = wasmModule("hello", kHello);
  std::string url = "data:application/wasm;base64," + base64Encode(slurp(module));
  std::string spec = writeFile("wasm.yaml", R"(Name: Wasm Job
Type: batch
Count: 1
Tasks:
  - Name: main
    Engine: {Type: wasm, Params: {EntryModule: wasm.main, Entrypoint: _start}}
    InputSources:
      - Target: /wasm.main
        Source: {Type: inline, Params: {URL: ")" +
                                                url + R"("}}
)");
  std::string legacy = writeFile("wasm_legacy.yaml", R"(Name: Wasm Job
Type: batch
Count: 1
Tasks:
  - Name: main
    Engine:
      Type: wasm
      Params:
        EntryModule: {Alias: "", Target: "", Source: {Type: inline, Params: {URL: ")" +
                                                         url + R"("}}}
        Entrypoint: _start
        EnvironmentVariables: null
        ImportModules: []
        Parameters: [legacy]
)");
  devstack(1);
  ASSERT_TRUE(waitForComputeNodes(1));
  requireEngine("wasm");
  auto r = cod({"job", "run", spec});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("hello from wasm:\n"), std::string::npos) << r.out;
  r = cod({"job", "run", legacy});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("hello from wasm: legacy\n"), std::string::npos) << r.out;
  auto job = client().getJob(jobId(r));
  ASSERT_TRUE(job.isOk());
  EXPECT_EQ(job->job.task().input_sources.at(0).target, "/wasm/entry.wasm");
}

// A WASM job reading an S3 prefix and writing an output volume, round-tripped through
// `cod job get`.
TEST_F(EnginesE2E, WasmReadsS3AndItsOutputComesBackWithJobGet) {
  std::string why;
  TestS3Server* s3 = TestS3Server::get(&why);
  COD_REQUIRE_SERVICE(s3 != nullptr, why);
  ASSERT_TRUE(s3->upload(writeFile("a.txt", "3 4\n"), "wasm/nums/a.txt"));
  ASSERT_TRUE(s3->upload(writeFile("b.txt", "5\n"), "wasm/nums/b.txt"));
  for (const auto& [k, v] : s3->awsEnv()) {
    if (k != "HOME") extra_env_[k] = v;
  }
  std::string module = wasmModule("sum", R"(#include <dirent.h>
#include <stdio.h>
int main(void) {
  long total = 0, n;
  DIR* d = opendir("/in");
  if (!d) { perror("opendir"); return 1; }
  for (struct dirent* e; (e = readdir(d));) {
    if (e->d_name[0] == '.') continue;
    char path[512];
    snprintf(path, sizeof path, "/in/%s", e->d_name);
    FILE* f = fopen(path, "r");
    while (f && fscanf(f, "%ld", &n) == 1) total += n;
    if (f) fclose(f);
  }
  closedir(d);
  FILE* out = fopen("/outputs/total.txt", "w");
  if (!out) { perror("/outputs/total.txt"); return 1; }
  fprintf(out, "%ld\n", total);
  printf("total %ld\n", total);
  return fclose(out) == 0 ? 0 : 1;
})");
  devstack(1);
  ASSERT_TRUE(waitForComputeNodes(1));
  requireEngine("wasm");
  auto r = cod({"wasm", "run", "-i",
                std::string("src=s3://") + TestS3Server::kBucket +
                    "/wasm/nums/,dst=/in,opt=endpoint=" + s3->endpoint() + ",opt=region=us-east-1",
                "-o", "outputs:/outputs", module});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("total 12"), std::string::npos) << r.out;
  std::string id = jobId(r);
  fs::path got = dir_ / "got";
  auto get = cod({"job", "get", id, "--output-dir", got.string()});
  ASSERT_EQ(get.code, 0) << get.out << get.err;
  EXPECT_EQ(slurp(got / "outputs" / "total.txt"), "12\n");
  EXPECT_EQ(slurp(got / "stdout"), "total 12\n");
  EXPECT_EQ(slurp(got / "exitCode"), "0");
}

TEST_F(EnginesE2E, HostileWasmSpecsAreRefusedAtSubmit) {
  devstack(1);
  ASSERT_TRUE(waitForComputeNodes(1));
  for (const auto& [params, field] : std::vector<std::pair<std::string, std::string>>{
           {R"({"EntryModule":"../etc/passwd"})", "EntryModule"},
           {R"({"EntryModule":"/proc/self/exe"})", "EntryModule"},
           {R"({"EntryModule":"main.wasm","Entrypoint":"a\nb"})", "Entrypoint"},
           {R"({"EntryModule":"main.wasm","ImportModules":["/etc/passwd"]})", "ImportModules"}}) {
    std::string spec = writeFile(
        "hostile.json",
        R"({"Job":{"Type":"batch","Count":1,"Tasks":[{"Name":"main","Engine":{"Type":"wasm",
                  "Params":)" +
            params +
            R"(},"InputSources":[{"Target":"main.wasm","Source":{"Type":"inline",
                  "Params":{"URL":"data:,x"}}}]}]}})");
    auto r = cod({"job", "run", spec});
    EXPECT_NE(r.code, 0) << params;
    EXPECT_NE(r.err.find("Engine.Params." + field), std::string::npos) << params << ": " << r.err;
  }
}

TEST_F(EnginesE2E, RunPythonPrintsItsOutput) {
  devstack(1);
  ASSERT_TRUE(waitForComputeNodes(1));
  requireEngine("python");
  auto r = cod({"run", "python", "-c", "print(sum(range(10)))"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Standard output:\n45\n"), std::string::npos) << r.out;

  // A requirement the offline interpreter does not have fails the job, saying so.
  std::string ctx = (dir_ / "ctx").string();
  fs::create_directories(ctx);
  writeFile("ctx/requirements.txt", "numpy\n");
  writeFile("ctx/main.py", "import numpy\n");
  r = cod({"run", "python", "--context-path", ctx, "-r", "requirements.txt", "main.py"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE((r.out + r.err).find("'numpy' cannot be installed"), std::string::npos)
      << r.out << r.err;
}

// The same program gives the same bytes on two nodes and in two runs.
TEST_F(EnginesE2E, DeterministicPythonIsTheSameOnEveryNodeAndRun) {
  devstack(2);
  ASSERT_TRUE(waitForComputeNodes(2));
  requireEngine("python");
  const std::string program =
      "import random, time, os\nprint(random.random(), time.time(), os.urandom(4).hex())\n";
  std::set<std::string> outputs;
  std::set<std::string> nodes;
  for (int attempt = 0; attempt < 2; ++attempt) {
    // Count 2: no node runs two partitions of a job, so each runs on its own node.
    auto r = cod({"run", "python", "--count", "2", "-c", program});
    ASSERT_EQ(r.code, 0) << r.out << r.err;
    auto execs = executions(jobId(r));
    ASSERT_EQ(execs.size(), 2u);
    for (const auto& e : execs) {
      outputs.insert(e.run_output.stdout_text);
      nodes.insert(e.node_id);
    }
  }
  EXPECT_EQ(nodes.size(), 2u);
  ASSERT_EQ(outputs.size(), 1u);
  EXPECT_NE(outputs.begin()->find(" 946684800.0 "), std::string::npos) << *outputs.begin();
}

}  // namespace
}  // namespace cod::testing
