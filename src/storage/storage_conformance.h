#pragma once

// The one suite every StorageProvider passes (DESIGN §9). A backend registers a Backend: how to
// make the provider, an input it can stage and what the task must then read, and inputs it must
// refuse. Instantiate with INSTANTIATE_TEST_SUITE_P(Name, StorageConformanceTest, Values(...)).

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "storage/storage.h"

namespace cod::storage::conformance {

struct Backend {
  std::string name;
  // Called once per test with a fresh temp folder the backend may use for its fixtures.
  std::function<std::unique_ptr<StorageProvider>(const std::string& fixture_dir)> make;
  // A stageable input (Target "/inputs/x") and the files the task then sees under the mount,
  // relative to it ("" = the mount is the file itself).
  std::function<models::InputSource(const std::string& fixture_dir)> good_input;
  std::map<std::string, std::string> expected_files;
  // Inputs that validate() must refuse.
  std::function<std::vector<models::InputSource>(const std::string& fixture_dir)> bad_inputs;
};

class StorageConformanceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  void TearDown() override;
  std::string fixture_dir_;
  std::string work_dir_;
  std::unique_ptr<StorageProvider> provider_;
};

// The files under a mount: relative path → content ("" key when the mount is one file).
std::map<std::string, std::string> readMount(const Mount& mount);

}  // namespace cod::storage::conformance
