#include "models/testing/full_records.h"

#include <memory>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace cod::models::fixtures {

namespace bj = boost::json;

Time at(int64_t seconds, int64_t nanos) { return fromUnixNanos(seconds * 1'000'000'000 + nanos); }

Job fullJob() {
  Job job;
  job.id = "j-3514ff75-c6f6-4380-8dc6-88f31ce7a1b3";
  job.name = "my-job";
  job.ns = "team-a";
  job.type = "service";
  job.priority = 7;
  job.count = 3;
  job.constraints = {{"zone", "in", {"a", "b"}}, {"gpu", "exists", {}}, {"cores", "gt", {"4"}}};
  job.meta = {{"owner", "me"}, {"bacalhau.org/requester.id", "n-1"}};
  job.labels = {{"env", "prod"}, {"empty", ""}};
  Task task;
  task.name = "main";
  task.engine.type = "docker";
  task.engine.params["Image"] = "ubuntu:latest";
  task.engine.params["Entrypoint"] = bj::array{"/bin/bash"};
  task.engine.params["Parameters"] = bj::array{"-c", "echo 15 > /output_custom/output.txt"};
  task.engine.params["Nested"] = bj::object{{"Ratio", 0.25}, {"On", true}, {"Nothing", nullptr}};
  task.publisher.type = "s3";
  task.publisher.params["Bucket"] = "results";
  task.publisher.params["Key"] = "{jobID}/{executionID}";
  task.env = {{"GREETING", "hello"}, {"SECRET", "env:HOST_SECRET"}};
  task.meta = {{"k", "v"}};
  task.input_sources.push_back(
      {{"s3", {{"Bucket", "data"}, {"Key", "set1/"}, {"Region", "eu-west-1"}}}, "in", "/inputs"});
  task.input_sources.push_back({{"inline", {{"URL", "data:text/plain;base64,aGk="}}}, "", "/x"});
  task.result_paths = {{"output_custom", "/output_custom"}, {"logs", "/var/log/app"}};
  task.resources = {"500m", "512mb", "1gb", "1"};
  task.network.type = NetworkType::kBridge;
  task.network.ports = {{"WEB", 8080, 80, "127.0.0.1"}, {"ADMIN", 0, 9000, ""}};
  task.timeouts = {30, 60, 120};
  job.tasks.push_back(task);
  Task second = task;
  second.name = "second";
  second.network = {NetworkType::kHttp, {"example.com", "pypi.org"}, {}};
  job.tasks.push_back(second);
  job.state = {JobStateType::kFailed, "it broke", {{"Reason", "oom"}}};
  job.version = 4;
  job.revision = 9;
  job.create_time = 1724099000000000001;
  job.modify_time = 1724099004000000002;
  return job;
}

Resources fullResources() {
  Resources r;
  r.cpu = 6.4;
  r.memory = 13'000'000'000;
  r.disk = 100'000'000'000;
  r.gpu = 2;
  r.gpus = {{0, "Tesla T4", "NVIDIA", 15360, "0000:00:1e.0"},
            {1, "Radeon", "AMD/ATI", 8192, "0000:00:1f.0"}};
  return r;
}

Execution fullExecution() {
  Execution e;
  e.id = "e-7f0c";
  e.ns = "team-a";
  e.job_id = "j-3514";
  e.eval_id = "9b1c";
  e.name = "";
  e.node_id = "n-2c";
  e.job = std::make_shared<Job>(fullJob());
  e.job_version = 4;
  e.allocated_resources.tasks["main"] = fullResources();
  e.allocated_resources.tasks["second"].cpu = 0.5;
  e.desired_state = {ExecutionDesiredStateType::kRunning, "approved", {{"By", "scheduler"}}};
  e.compute_state = {ExecutionStateType::kPublishing, "uploading", {}};
  e.published_result.type = "urlDownload";
  e.published_result.params["URL"] = "http://127.0.0.1:6001/e-7f0c.tar.gz";
  e.run_output = {"hi\n", true, "warn\n", true, 3, "exit status 3"};
  e.previous_execution = "e-prev";
  e.next_execution = "e-next";
  e.followup_eval_id = "v-follow";
  e.partition_index = 2;
  e.revision = 6;
  e.create_time = 1724099000100000000;
  e.modify_time = 1724099003900000000;
  return e;
}

NodeState fullNodeState() {
  NodeState n;
  n.info.node_id = "n-2c4d5e6f";
  n.info.node_type = kNodeTypeCompute;
  n.info.labels = {{"os_type", "linux"}, {"GPU-0", "Tesla-T4"}};
  n.info.supported_protocols = {"bprotocol/v2", "ncl/v1"};
  ComputeNodeInfo& c = n.info.compute_node_info;
  c.execution_engines = {"docker", "wasm"};
  c.publishers = {"local", "noop", "s3"};
  c.storage_sources = {"inline", "urlDownload", "s3", "ipfs"};
  c.max_capacity = fullResources();
  c.queue_capacity.cpu = 1;
  c.available_capacity.memory = 1024;
  c.max_job_requirements.disk = 5;
  c.running_executions = 2;
  c.enqueued_executions = 1;
  c.address = "10.0.0.5";
  n.info.bacalhau_version = {"1", "7", "v1.7.0", "abc123", at(1722506400), "linux", "arm64"};
  n.membership = kMembershipRejected;
  n.connection_state = {
      kConnectionConnected, at(1724099000, 123456789), 41, 42, at(1724090000), Time{},
      "heartbeat timeout"};
  n.drain = {true, "kernel upgrade", at(1724099100)};
  return n;
}

}  // namespace cod::models::fixtures
