// The container create body the Docker executor sends, checked without a daemon: GPUs in
// particular, which no test machine here has.

#include "executor/docker/container_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <boost/json.hpp>

#include "common/ids.h"
#include "executor/docker/docker_client.h"

namespace cod::executor {
namespace {

namespace bj = boost::json;
namespace fs = std::filesystem;
using ::testing::HasSubstr;

ExecutionRequest request(std::vector<models::Gpu> gpus = {}) {
  auto job = std::make_shared<models::Job>();
  job->id = "j-1";
  job->type = "batch";
  models::Task t;
  t.name = "main";
  t.engine.type = "docker";
  t.engine.params["Image"] = " nvidia/cuda:12.4.1-base-ubuntu22.04 ";
  t.engine.params["Parameters"] = bj::array{"nvidia-smi"};
  t.result_paths.push_back({"outputs", "/outputs"});
  job->tasks.push_back(std::move(t));
  ExecutionRequest r;
  r.execution_id = "e-1";
  r.job_id = job->id;
  r.job = job;
  r.results_dir = "/data/executions/e-1";
  r.resources.cpu = 0.5;
  r.resources.memory = 512'000'000;
  r.resources.gpu = gpus.size();
  r.gpus = std::move(gpus);
  return r;
}

ContainerSpecOptions options() {
  ContainerSpecOptions o;
  o.node_id = "n-1";
  o.pids_limit = 512;
  return o;
}

const bj::object& hostConfig(const ContainerSpec& spec) {
  return spec.body.at("HostConfig").as_object();
}

TEST(ContainerSpec, TheBasics) {
  auto spec = buildContainerSpec(request(), options());
  ASSERT_TRUE(spec.isOk()) << spec.status().message();
  EXPECT_EQ(spec->image, "nvidia/cuda:12.4.1-base-ubuntu22.04");
  EXPECT_EQ(spec->body.at("Image"), "nvidia/cuda:12.4.1-base-ubuntu22.04");
  EXPECT_EQ(spec->body.at("Cmd"), bj::array{"nvidia-smi"});
  EXPECT_EQ(
      spec->body.at("Labels"),
      (bj::object{{"cod.execution-id", "e-1"}, {"cod.job-id", "j-1"}, {"cod.node-id", "n-1"}}));
  EXPECT_EQ(spec->result_dirs, std::vector<std::string>{"/data/executions/e-1/outputs"});
  const bj::object& hc = hostConfig(*spec);
  EXPECT_EQ(hc.at("Binds"), bj::array{"/data/executions/e-1/outputs:/outputs:rw"});
  EXPECT_EQ(hc.at("NetworkMode"), "none");
  EXPECT_EQ(hc.at("PidsLimit"), 512);
  EXPECT_EQ(hc.at("NanoCpus"), 500'000'000);
  EXPECT_EQ(hc.at("Memory"), 512'000'000);
  EXPECT_EQ(hc.at("MemorySwap"), 512'000'000) << "no swap beyond the memory limit";
  EXPECT_FALSE(hc.contains("DeviceRequests")) << "no GPUs asked, none given";
  EXPECT_FALSE(hc.contains("Devices"));
}

TEST(ContainerSpec, UserVariablesCannotPassForTheExecutionsOwn) {
  ExecutionRequest r = request();
  r.env = {{"BACALHAU_EXECUTION_ID", "e-1"}};
  auto job = std::make_shared<models::Job>(*r.job);
  r.job = job;
  for (const char* bad : {"BACALHAU_EXECUTION_ID=e-evil", "bacalhau_execution_id=e-evil",
                          " COD_NODE=x", "Cod_Anything=1", "\tBaCaLhAu_X =1"}) {
    job->tasks[0].engine.params["EnvironmentVariables"] = bj::array{bad};
    auto spec = buildContainerSpec(r, options());
    ASSERT_FALSE(spec.isOk()) << bad;
    EXPECT_THAT(spec.status().message(), HasSubstr("reserved")) << bad;
  }
  job->tasks[0].engine.params["EnvironmentVariables"] = bj::array{"MY_VAR=1", "CODE=2"};
  auto spec = buildContainerSpec(r, options());
  ASSERT_TRUE(spec.isOk()) << spec.status().message();
  EXPECT_EQ(spec->body.at("Env"), (bj::array{"MY_VAR=1", "CODE=2", "BACALHAU_EXECUTION_ID=e-1"}));
}

TEST(ContainerSpec, RefusesPathsThatMustNotBeMounted) {
  ExecutionRequest r = request();
  auto job = std::make_shared<models::Job>(*r.job);
  job->tasks[0].result_paths = {{"../etc", "/x"}};
  r.job = job;
  EXPECT_EQ(buildContainerSpec(r, options()).status().code(), StatusCode::kInvalidArgument);
  job->tasks[0].result_paths = {{"x", "/proc"}};
  EXPECT_THAT(buildContainerSpec(r, options()).status().message(), HasSubstr("cannot be mounted"));
}

TEST(ContainerSpec, NvidiaGpusAreDeviceRequestsForExactlyTheAllocatedDevices) {
  auto spec = buildContainerSpec(request({{0, "NVIDIA H200", "NVIDIA", 143771, "0000:18:00.0"},
                                          {2, "NVIDIA H200", "NVIDIA", 143771, "0000:3a:00.0"}}),
                                 options());
  ASSERT_TRUE(spec.isOk()) << spec.status().message();
  const bj::object& hc = hostConfig(*spec);
  EXPECT_EQ(bj::serialize(hc.at("DeviceRequests")),
            R"([{"Driver":"nvidia","DeviceIDs":["0","2"],"Capabilities":[["gpu"]]}])");
  EXPECT_FALSE(hc.contains("Devices"));
}

TEST(ContainerSpec, AmdAndIntelGpusAreTheirDeviceFiles) {
  ContainerSpecOptions o = options();
  std::vector<std::string> looked_up;
  o.gpu_device_nodes = [&looked_up](const models::Gpu& g) -> Result<std::vector<std::string>> {
    looked_up.push_back(g.pci_address);
    if (g.pci_address == "0000:03:00.0") {
      return std::vector<std::string>{"/dev/dri/renderD128", "/dev/dri/card0"};
    }
    return std::vector<std::string>{"/dev/dri/renderD129", "/dev/dri/card1"};
  };
  auto amd = buildContainerSpec(request({{1, "MI300X", "AMD/ATI", 196592, "0000:04:00.0"}}), o);
  ASSERT_TRUE(amd.isOk()) << amd.status().message();
  EXPECT_EQ(bj::serialize(hostConfig(*amd).at("Devices")),
            R"([{"PathOnHost":"/dev/kfd","PathInContainer":"/dev/kfd","CgroupPermissions":"rwm"},)"
            R"({"PathOnHost":"/dev/dri/renderD129","PathInContainer":"/dev/dri/renderD129",)"
            R"("CgroupPermissions":"rwm"},)"
            R"({"PathOnHost":"/dev/dri/card1","PathInContainer":"/dev/dri/card1",)"
            R"("CgroupPermissions":"rwm"}])");
  EXPECT_FALSE(hostConfig(*amd).contains("DeviceRequests"));

  auto intel = buildContainerSpec(request({{0, "Arc A770", "Intel", 16384, "0000:03:00.0"}}), o);
  ASSERT_TRUE(intel.isOk()) << intel.status().message();
  const bj::array& devices = hostConfig(*intel).at("Devices").as_array();
  ASSERT_EQ(devices.size(), 2u) << "no /dev/kfd for Intel";
  EXPECT_EQ(devices[0].at("PathOnHost"), "/dev/dri/renderD128");
  EXPECT_EQ(looked_up, (std::vector<std::string>{"0000:04:00.0", "0000:03:00.0"}));
}

TEST(ContainerSpec, GpusThatCannotBeGivenAreErrors) {
  auto unknown = buildContainerSpec(request({{0, "X1", "Acme", 1, ""}}), options());
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(), HasSubstr("vendor \"Acme\" is not supported"));
  auto no_lookup = buildContainerSpec(request({{0, "MI300X", "AMD/ATI", 1, ""}}), options());
  EXPECT_EQ(no_lookup.status().code(), StatusCode::kFailedPrecondition);
  ContainerSpecOptions o = options();
  o.gpu_device_nodes = [](const models::Gpu&) -> Result<std::vector<std::string>> {
    return unavailable("no device files");
  };
  auto missing = buildContainerSpec(request({{0, "MI300X", "AMD/ATI", 1, "0000:04:00.0"}}), o);
  EXPECT_EQ(missing.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(missing.status().message(), "no device files");
}

TEST(DriNodesByPciAddress, FollowsTheByPathLinks) {
  fs::path dri = fs::temp_directory_path() / ("cod-dri-test-" + newUuid());
  fs::create_directories(dri / "by-path");
  std::ofstream(dri / "renderD129").put('x');
  std::ofstream(dri / "card1").put('x');
  fs::create_symlink("../renderD129", dri / "by-path" / "pci-0000:04:00.0-render");
  fs::create_symlink("../card1", dri / "by-path" / "pci-0000:04:00.0-card");
  auto nodes = driNodesByPciAddress("0000:04:00.0", dri.string());
  ASSERT_TRUE(nodes.isOk()) << nodes.status().message();
  EXPECT_EQ(*nodes,
            (std::vector<std::string>{(dri / "renderD129").string(), (dri / "card1").string()}));
  EXPECT_EQ(driNodesByPciAddress("0000:05:00.0", dri.string()).status().code(),
            StatusCode::kNotFound);
  // An address is never a way out of the folder.
  for (const char* bad : {"", "../../etc/passwd", "0000:04:00.0/../x", "0000:04:00.0-render"}) {
    EXPECT_EQ(driNodesByPciAddress(bad, dri.string()).status().code(), StatusCode::kNotFound)
        << bad;
  }
  fs::remove_all(dri);
}

}  // namespace
}  // namespace cod::executor

namespace cod::executor {
namespace {

TEST(ContainerSpec, EveryCapabilityButTheConfiguredOnesIsDropped) {
  auto spec = buildContainerSpec(request(), options());
  ASSERT_TRUE(spec.isOk()) << spec.status().message();
  const bj::object& hc = hostConfig(*spec);
  EXPECT_EQ(hc.at("CapDrop"), bj::array{"ALL"});
  EXPECT_EQ(hc.at("CapAdd"), (bj::array{"CHOWN", "FOWNER", "FSETID", "KILL", "NET_BIND_SERVICE"}));
  EXPECT_FALSE(hc.contains("ReadonlyRootfs"));
  EXPECT_FALSE(spec->body.contains("User")) << "the image's user unless the node names one";
}

TEST(ContainerSpec, AReadOnlyRootGetsATmpfsUnlessSomethingIsMountedThere) {
  ContainerSpecOptions o = options();
  o.sandbox.read_only_root = true;
  o.sandbox.user = "1000";
  auto spec = buildContainerSpec(request(), o);
  ASSERT_TRUE(spec.isOk()) << spec.status().message();
  EXPECT_EQ(hostConfig(*spec).at("ReadonlyRootfs"), true);
  EXPECT_EQ(hostConfig(*spec).at("Tmpfs"), (bj::object{{"/tmp", "rw,nosuid,nodev"}}));
  EXPECT_EQ(spec->body.at("User"), "1000:1000");

  ExecutionRequest r = request();
  r.inputs.push_back({"/data/staged/in", "/tmp/", true});
  spec = buildContainerSpec(r, o);
  ASSERT_TRUE(spec.isOk()) << spec.status().message();
  EXPECT_FALSE(hostConfig(*spec).contains("Tmpfs")) << "an input is mounted at /tmp";
}

TEST(ContainerSpec, SandboxOptionsAreNormalisedOrRefused) {
  DockerSandboxOptions o;
  o.capabilities = {" cap_net_raw", "CHOWN", "chown"};
  o.user = "1000:100";
  ASSERT_TRUE(validateDockerSandbox(&o).isOk());
  EXPECT_EQ(o.capabilities, (std::vector<std::string>{"NET_RAW", "CHOWN"}));
  for (const char* cap : {"ALL", "SYS_ADMIN;rm", ""}) {
    DockerSandboxOptions bad;
    bad.capabilities = {cap};
    Status st = validateDockerSandbox(&bad);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << cap;
    EXPECT_THAT(st.message(), HasSubstr("is not a capability name")) << cap;
  }
  for (const char* user : {"nobody", "1000:", "-1", "1:2:3", "1000:staff"}) {
    DockerSandboxOptions bad;
    bad.user = user;
    Status st = validateDockerSandbox(&bad);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << user;
    EXPECT_THAT(st.message(), HasSubstr("expected numeric uid:gid")) << user;
  }
}

TEST(DockerDaemonInfo, AUserNamespaceRemapAndItsRootAreRead) {
  auto remapped = parseDaemonInfo(
      R"({"SecurityOptions":["name=apparmor","name=seccomp,profile=builtin","name=userns"],)"
      R"("DockerRootDir":"/var/lib/docker/231072.231072"})");
  ASSERT_TRUE(remapped.isOk());
  EXPECT_TRUE(remapped->userns_remap);
  EXPECT_EQ(remapped->remap_uid, 231072);
  EXPECT_EQ(remapped->remap_gid, 231072);

  auto plain = parseDaemonInfo(
      R"({"SecurityOptions":["name=seccomp,profile=builtin"],"DockerRootDir":"/var/lib/docker"})");
  ASSERT_TRUE(plain.isOk());
  EXPECT_FALSE(plain->userns_remap);
  EXPECT_EQ(plain->remap_uid, -1);

  EXPECT_FALSE(parseDaemonInfo("not json").isOk());
}

}  // namespace
}  // namespace cod::executor
