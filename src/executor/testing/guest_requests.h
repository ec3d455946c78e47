#pragma once

// Test helpers for the engines that run a guest in the sandbox (wasm, python): files, and the
// inputs and outputs of an ExecutionRequest, changed the way the compute node would stage them.

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "common/ids.h"
#include "executor/executor.h"

namespace cod::executor::testing {

inline std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void writeFile(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// Adds an input folder under `dir` holding `files`, mounted read-only at `target`. The folder and
// files are writable by anyone, so that only the read-only mount can stop a guest writing them.
inline void addInput(ExecutionRequest& r, const std::filesystem::path& dir,
                     const std::string& target, const std::map<std::string, std::string>& files) {
  namespace fs = std::filesystem;
  fs::path host = dir / newUuid();
  for (const auto& [name, text] : files) {
    writeFile(host / name, text);
    fs::permissions(host / name, fs::perms::all);
  }
  fs::create_directories(host);
  fs::permissions(host, fs::perms::all);
  auto job = std::make_shared<models::Job>(*r.job);
  job->tasks[0].input_sources.push_back({{"inline", {}}, "", target});
  r.job = job;
  r.inputs.push_back({host.string(), target, true});
}

inline void addOutput(ExecutionRequest& r, const std::string& name, const std::string& path) {
  auto job = std::make_shared<models::Job>(*r.job);
  job->tasks[0].result_paths.push_back({name, path});
  r.job = job;
}

}  // namespace cod::executor::testing
