#pragma once

// The one suite every Publisher passes (DESIGN §9). A backend registers a Backend: how to make the
// publisher, the Task.Publisher spec to publish with, how to read a published result back with a
// client independent of cod's (tar, awscli, the js-ipfs CLI), and specs it must refuse.
// Instantiate with INSTANTIATE_TEST_SUITE_P(Name, PublisherConformanceTest, Values(...)).

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "publisher/publisher.h"

namespace cod::publisher::conformance {

struct Backend {
  std::string name;
  // Null (with the test skipped or, under make test, failed) when its service is missing.
  std::function<std::unique_ptr<Publisher>(const std::string& fixture_dir)> make;
  std::function<models::SpecConfig()> spec;
  // Fetches what `published` names into the folder `into`; false when it cannot.
  std::function<bool(const models::SpecConfig& published, const std::string& fixture_dir,
                     const std::string& into)>
      fetch;
  std::function<std::vector<models::SpecConfig>()> bad_specs;
};

class PublisherConformanceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  void TearDown() override;
  // A result folder as the run pipeline leaves it: stdout, stderr, exitCode, outputs/….
  std::string makeResults();
  models::Job job() const;

  std::string dir_;
  std::unique_ptr<Publisher> publisher_;
};

// Every file under a folder: relative path → content.
std::map<std::string, std::string> readTree(const std::string& dir);

}  // namespace cod::publisher::conformance
