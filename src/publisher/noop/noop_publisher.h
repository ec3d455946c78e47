#pragma once

#include "publisher/publisher.h"

namespace cod::publisher {

// Publishes nothing: the execution's RunOutput (first 2 KiB of stdout/stderr) is all that is kept.
class NoopPublisher final : public Publisher {
 public:
  std::string name() const override { return "noop"; }
  bool isInstalled() override { return true; }
  Status validate(const models::SpecConfig&) override { return Status::ok(); }
  Result<models::SpecConfig> publish(const std::string&, const models::Job&, const std::string&,
                                     CancelToken&) override {
    return models::SpecConfig{};
  }
};

}  // namespace cod::publisher
