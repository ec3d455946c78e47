#pragma once

// Flags that build a job from the command line (reference/bacalhau-api.md §10.3), shared by
// `cod docker run` and the engine commands that will follow it, and the runtime flags that say
// what to do after submitting.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/status.h"
#include "models/job.h"

namespace cod::cli {

// Job- and task-level flags common to every engine.
struct JobFlags {
  std::string name;
  std::string ns = models::kDefaultNamespace;
  int64_t priority = 0;
  int64_t count = 1;
  std::string target = "any";  // any → batch, all → ops
  std::string constraints;     // k8s selector (--constraints and the deprecated -s/--selector)
  std::string selector;
  std::vector<std::string> labels;  // k=v or bare k; comma-separated lists allowed
  std::string task_name = "main";
  std::vector<std::string> inputs;   // -i, one input per value (cli/input_flags.h)
  std::vector<std::string> outputs;  // name:path
  std::string publisher = "local";
  std::string cpu;
  std::string memory;
  std::string disk;
  std::string gpu;
  std::string network;  // none|host|full|http|bridge|default; "" = unset
  std::vector<std::string> domains;
  int64_t timeout_secs = 0;        // → TotalTimeout
  int64_t queue_timeout_secs = 0;  // → QueueTimeout
};

// What to do once the job is submitted.
struct RunFlags {
  bool wait = true;
  int64_t wait_timeout_secs = 600;
  bool id_only = false;
  bool dry_run = false;
  bool node_details = false;
  bool hide_warnings = false;
  bool force = false;
  bool follow = false;     // stream the job's logs once it starts (-f/--follow)
  bool download = false;   // download results after completion
  std::string output_dir;  // where --download writes; "" = ./job-<id>
};

// `short_concurrency`: whether -c is --concurrency (docker, wasm); `cod run python` uses -c for
// --command, as Bacalhau's did.
void addJobFlags(CLI::App* cmd, JobFlags* flags, bool short_concurrency = true);
// `with_download` adds --download/--output-dir (engine run commands only).
void addRunFlags(CLI::App* cmd, RunFlags* flags, bool with_download);

// -e/--env: "NAME=value", where NAME may not start with BACALHAU_ (cod sets those).
Status checkEnvFlag(const std::string& item);
// -e/--env values as Task.Env.
Result<models::StringMap> parseEnvFlags(const std::vector<std::string>& items);

// Builds a one-task job running `engine` from the flags. Errors: InvalidArgument naming the flag.
Result<models::Job> buildJob(const JobFlags& flags, models::SpecConfig engine);

// -p/--publisher: "local", "noop", "ipfs", "s3managed", "s3://bucket/key,opt=region=…,opt=…"
// (s3 params lower-case: bucket, key, region, endpoint, …). "" → no publisher.
Result<models::SpecConfig> parsePublisher(std::string_view text);
// -l/--labels: "k=v", "k" (empty value); each flag value may hold a comma-separated list.
Result<models::StringMap> parseLabels(const std::vector<std::string>& values);
// -o/--output: "name:path" with an absolute path.
Result<std::vector<models::ResultPath>> parseOutputs(const std::vector<std::string>& values);

// Splits every value on commas, dropping empty pieces (cobra's StringSlice behaviour).
std::vector<std::string> splitCommaList(const std::vector<std::string>& values);

}  // namespace cod::cli
