// The stored record encoding (store/record_codec.h) against what the stores wrote before it, the
// API's JSON (models/json.h), in the same run: for the records one job leaves in the
// orchestrator's store, the bytes each takes and the CPU time to write and to read it (median of
// repeated batches; the process's CPU clock, so a busy machine shows less than in wall time).
//   record_bench [--batches 15] [--iterations 2000]

#include <ctime>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "bench_util.h"
#include "models/evaluation.h"
#include "models/execution.h"
#include "models/history.h"
#include "models/json.h"
#include "store/record_codec.h"

namespace cod::bench {
namespace {

namespace m = models;
namespace records = store::records;

constexpr int64_t kSubmitted = 1764806400123456789;  // 2025-12-04, in Unix ns

m::Job submitted(m::Job job) {
  job.id = "j-0193a1b2-7c4d-7e5f-8a9b-0c1d2e3f4a5b";
  job.ns = m::kDefaultNamespace;
  job.meta = {{"bacalhau.org/requester.id", "n-orchestrator-1"},
              {"bacalhau.org/client.id", "c0ffee0123456789abcdef0123456789abcdef0123456789"}};
  job.state = {m::JobStateType::kCompleted, "", {}};
  job.version = 1;
  job.revision = 3;
  job.create_time = kSubmitted;
  job.modify_time = kSubmitted + 900'000'000;
  return job;
}

// A docker job as a user writes one: image, command, env, an S3 input, an S3 publisher.
m::Job dockerJob() {
  m::Job job;
  job.type = m::kJobTypeBatch;
  job.count = 1;
  job.labels = {{"team", "data"}};
  m::Task t;
  t.name = "main";
  t.engine.type = "docker";
  t.engine.params["Image"] = "python:3.12-slim";
  t.engine.params["Entrypoint"] = boost::json::array{"python", "-c"};
  t.engine.params["Parameters"] = boost::json::array{"import sys; print(sys.version)"};
  t.publisher.type = "s3";
  t.publisher.params["Bucket"] = "results";
  t.publisher.params["Key"] = "runs/{jobID}/{executionID}";
  t.env = {{"MODE", "batch"}};
  t.input_sources.push_back(
      {{"s3", {{"Bucket", "data"}, {"Key", "set1/"}, {"Region", "eu-west-1"}}}, "in", "/inputs"});
  t.result_paths = {{"outputs", "/outputs"}};
  t.resources = {"1", "1gb", "", ""};
  t.timeouts.execution_timeout = 600;
  job.tasks.push_back(t);
  return job;
}

m::Execution completedExecution(const m::Job& job) {
  m::Execution e;
  e.id = "e-0193a1b2-7c4e-7f60-9a1b-2c3d4e5f6a7b";
  e.ns = job.ns;
  e.job_id = job.id;
  e.eval_id = "0193a1b2-7c4d-7e60-8a9b-0c1d2e3f4a5c";
  e.node_id = "n-compute-2";
  e.job_version = 1;
  e.allocated_resources.tasks["main"].cpu = 0.1;
  e.allocated_resources.tasks["main"].memory = 100 << 20;
  e.desired_state = {m::ExecutionDesiredStateType::kStopped, "execution completed", {}};
  e.compute_state = {m::ExecutionStateType::kCompleted, "", {}};
  e.published_result.type = "local";
  e.published_result.params["URL"] =
      "http://10.0.0.5:6001/e-0193a1b2-7c4e-7f60-9a1b-2c3d4e5f6a7b.tar.gz";
  e.run_output.stdout_text = "3.12.7 (main, Oct  1 2024, 02:05:46) [GCC 12.2.0]\n";
  e.revision = 4;
  e.create_time = kSubmitted + 2'000'000;
  e.modify_time = kSubmitted + 880'000'000;
  return e;
}

m::Evaluation evaluation(const m::Job& job) {
  return {"0193a1b2-7c4d-7e60-8a9b-0c1d2e3f4a5c",
          job.ns,
          job.id,
          m::kEvalTriggerJobRegister,
          0,
          job.type,
          m::kEvalStatusComplete,
          "",
          Time{},
          kSubmitted + 1'000'000,
          kSubmitted + 3'000'000};
}

m::JobHistory history(const m::Job& job) {
  m::JobHistory h;
  h.seq_num = 2;
  h.type = m::JobHistoryType::kExecutionLevel;
  h.job_id = job.id;
  h.job_version = 1;
  h.execution_id = "e-0193a1b2-7c4e-7f60-9a1b-2c3d4e5f6a7b";
  h.event = {"Execution completed",
             m::kTopicExecution,
             fromUnixNanos(kSubmitted + 880'000'000),
             {{m::kDetailNewState, "Completed"}}};
  h.time = h.event.timestamp;
  return h;
}

int64_t cpuNanos() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1'000'000'000 + ts.tv_nsec;
}

// Median CPU ns per call of `op` over `batches` batches of `iterations` calls.
double medianNanos(const std::function<void()>& op, int batches, int iterations) {
  std::vector<double> per_call;
  for (int b = 0; b < batches; ++b) {
    int64_t start = cpuNanos();
    for (int i = 0; i < iterations; ++i) op();
    per_call.push_back(static_cast<double>(cpuNanos() - start) / iterations);
  }
  std::sort(per_call.begin(), per_call.end());
  return per_call[per_call.size() / 2];
}

struct Codec {
  std::function<std::string()> encode;
  std::function<bool(const std::string&)> decode;
};

void report(const char* what, const Codec& api, const Codec& stored, int batches, int iterations) {
  std::string api_text = api.encode();
  std::string stored_text = stored.encode();
  if (!api.decode(api_text) || !stored.decode(stored_text)) {
    std::fprintf(stderr, "%s: a codec failed to read its own text\n", what);
    std::exit(1);
  }
  volatile size_t sink = 0;
  double api_enc = medianNanos([&] { sink = sink + api.encode().size(); }, batches, iterations);
  double rec_enc = medianNanos([&] { sink = sink + stored.encode().size(); }, batches, iterations);
  double api_dec = medianNanos([&] { sink = sink + api.decode(api_text); }, batches, iterations);
  double rec_dec =
      medianNanos([&] { sink = sink + stored.decode(stored_text); }, batches, iterations);
  std::printf("| %s | %zu | %zu | %.2f | %.1f / %.1f | %.1f / %.1f | %.2f / %.2f |\n", what,
              api_text.size(), stored_text.size(),
              static_cast<double>(stored_text.size()) / static_cast<double>(api_text.size()),
              api_enc / 1000, rec_enc / 1000, api_dec / 1000, rec_dec / 1000, rec_enc / api_enc,
              rec_dec / api_dec);
}

template <typename T, typename ApiDecode, typename StoredDecode>
void compare(const char* what, const T& record, ApiDecode api_decode, StoredDecode stored_decode,
             int batches, int iterations) {
  Codec api{[&] { return m::serialize(m::toJson(record)); },
            [&](const std::string& text) {
              auto v = m::parseJson(text, m::InvalidUtf8::kRepair);
              return v.isOk() && api_decode(*v, m::DecodeOptions{}).isOk();
            }};
  Codec stored{[&] { return records::encode(record); },
               [&](const std::string& text) { return stored_decode(text).isOk(); }};
  report(what, api, stored, batches, iterations);
}

}  // namespace
}  // namespace cod::bench

int main(int argc, char** argv) {
  using namespace cod;
  using namespace cod::bench;
  int batches = static_cast<int>(numberFlag(argc, argv, "--batches", 15));
  int iterations = static_cast<int>(numberFlag(argc, argv, "--iterations", 2000));
  m::Job noop = submitted(noopJob());
  m::Job docker = submitted(dockerJob());
  m::Execution execution = completedExecution(docker);
  std::printf(
      "| record | API JSON bytes | stored bytes | ratio | write µs API / stored | "
      "read µs API / stored | CPU ratio write / read |\n|---|---|---|---|---|---|---|\n");
  compare("noop job", noop, m::jobFromJson, records::decodeJob, batches, iterations);
  compare("docker job", docker, m::jobFromJson, records::decodeJob, batches, iterations);
  compare("execution", execution, m::executionFromJson, records::decodeExecution, batches,
          iterations);
  compare("evaluation", evaluation(docker), m::evaluationFromJson, records::decodeEvaluation,
          batches, iterations);
  compare("history", history(docker), m::jobHistoryFromJson, records::decodeHistory, batches,
          iterations);
  return 0;
}
