// The `cod` binary end to end for job spec templates, dry runs against a stored job, reruns and
// versions, and node drain: what a user types, against a real `cod serve`.

#include "common/strings.h"
#include "tests/e2e/cod_fixture.h"

namespace cod::testing {
namespace {

using models::JobStateType;

constexpr const char* kTemplate = R"(Name: {{ .name }}
Type: batch
Tasks:
  - Name: main
    Engine:
      Type: noop
      Params:
        Stdout: "{{ .out }} {{ .COD_E2E_GREETING }}"
)";

class CliE2E : public CodFixture {
 protected:
  std::map<std::string, std::string> env() const override {
    auto out = CodFixture::env();
    out["COD_E2E_GREETING"] = "from the environment";
    return out;
  }

  std::string computeNodeId() {
    auto nodes = client().listNodes();
    if (!nodes.isOk()) return "";
    for (const auto& n : *nodes) {
      if (n.info.node_type == models::kNodeTypeCompute) return n.info.node_id;
    }
    return "";
  }
};

TEST_F(CliE2E, TemplatesDryRunRerunAndVersions) {
  serve();
  ASSERT_TRUE(waitForComputeNodes(1));
  std::string spec = writeFile("tmpl.yaml", kTemplate);

  auto first = cod({"job", "run", spec, "-V", "name=tmpl,out=first", "-E", "^COD_E2E_"});
  ASSERT_EQ(first.code, 0) << first.out << first.err;
  EXPECT_NE(first.out.find("first from the environment"), std::string::npos) << first.out;

  auto missing = cod({"job", "run", spec, "-V", "name=tmpl"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("line 8, column 21: no value for template variable 'out'"),
            std::string::npos)
      << missing.err;

  auto same = cod({"job", "run", spec, "-V", "name=tmpl,out=first", "-E", "COD_E2E", "--dry-run"});
  ASSERT_EQ(same.code, 0) << same.err;
  EXPECT_NE(same.out.find("No diff detected"), std::string::npos) << same.out;
  auto changed = cod(
      {"job", "run", spec, "-V", "name=tmpl", "-V", "out=second", "-E", "COD_E2E", "--dry-run"});
  ASSERT_EQ(changed.code, 0) << changed.err;
  EXPECT_NE(changed.out.find("-         Stdout: first from the environment"), std::string::npos)
      << changed.out;
  EXPECT_NE(changed.out.find("+         Stdout: second from the environment"), std::string::npos)
      << changed.out;

  auto rerun = cod({"job", "rerun", "tmpl"});
  ASSERT_EQ(rerun.code, 0) << rerun.out << rerun.err;
  EXPECT_NE(rerun.out.find("new version: 2"), std::string::npos) << rerun.out;
  EXPECT_NE(rerun.out.find("Job rerun requested"), std::string::npos) << rerun.out;
  EXPECT_NE(rerun.out.find("finished with state Completed"), std::string::npos) << rerun.out;

  auto versions = cod({"job", "versions", "tmpl"});
  ASSERT_EQ(versions.code, 0) << versions.err;
  EXPECT_NE(versions.out.find("\n1 "), std::string::npos) << versions.out;
  EXPECT_NE(versions.out.find("\n2 "), std::string::npos) << versions.out;
  auto v1 = cod({"job", "describe", "tmpl", "-v", "1"});
  ASSERT_EQ(v1.code, 0) << v1.err;
  EXPECT_NE(v1.out.find("Version       = 1\n"), std::string::npos) << v1.out;
  EXPECT_NE(v1.out.find("Job submitted"), std::string::npos) << v1.out;
  EXPECT_EQ(v1.out.find("Job rerun requested"), std::string::npos) << v1.out;
}

TEST_F(CliE2E, ADrainedNodeGetsNoNewWorkUntilUndrained) {
  Process& first = serve();
  ASSERT_TRUE(waitForComputeNodes(1));
  std::string node = computeNodeId();
  ASSERT_FALSE(node.empty());

  auto drain = cod({"node", "drain", node.substr(0, 10), "-m", "maintenance"});
  ASSERT_EQ(drain.code, 0) << drain.err;
  EXPECT_EQ(drain.out, "Ok\n");
  auto list = cod({"node", "list"});
  EXPECT_NE(list.out.find("CONNECTED,DRAINING"), std::string::npos) << list.out;

  // The drain is stored with the node: it outlives an orchestrator restart and the reconnect.
  first.kill(SIGTERM);
  first.wait(std::chrono::seconds(15));
  serve();
  ASSERT_TRUE(waitForComputeNodes(1));
  auto described = cod({"node", "describe", node});
  ASSERT_EQ(described.code, 0) << described.err;
  EXPECT_NE(described.out.find("Drain:\n  Message: maintenance\n"), std::string::npos)
      << described.out;

  auto run = cod({"job", "run", "--no-wait", "--id-only",
                  writeFile("noop.yaml",
                            "Type: batch\nTasks:\n  - Name: main\n    Engine:\n"
                            "      Type: noop\n")});
  ASSERT_EQ(run.code, 0) << run.err;
  std::string id(trim(run.out));
  ASSERT_TRUE(waitForState(id, JobStateType::kQueued)) << cod({"job", "describe", id}).out;
  auto describe = cod({"job", "describe", id});
  EXPECT_NE(describe.out.find("node is draining (maintenance)"), std::string::npos) << describe.out;

  auto undrain = cod({"node", "undrain", node});
  ASSERT_EQ(undrain.code, 0) << undrain.err;
  EXPECT_TRUE(waitForState(id, JobStateType::kCompleted)) << cod({"job", "describe", id}).out;
  EXPECT_EQ(cod({"node", "undrain", node}).code, 1) << "not draining any more";
  EXPECT_EQ(cod({"node", "drain", "n-nosuchnode"}).code, 1);
}

}  // namespace
}  // namespace cod::testing
