// The in-process hub against the transport conformance suite.

#include "transport/inproc/inproc_transport.h"

#include "transport/transport_conformance.h"

namespace cod::transport::testing {
namespace {

class InprocHarness final : public TransportHarness {
 public:
  std::unique_ptr<OrchestratorTransport> orchestrator() override {
    return hub_.orchestratorTransport();
  }
  std::unique_ptr<ComputeTransport> compute() override { return hub_.computeTransport(); }
  void setLogStreamLimits(const LogStreamLimits& limits) override {
    hub_.setLogStreamLimits(limits);
  }

 private:
  InprocHub hub_;
};

INSTANTIATE_TEST_SUITE_P(Inproc, TransportConformanceTest,
                         ::testing::Values(TransportFactory{
                             "Inproc", [] { return std::make_unique<InprocHarness>(); }}),
                         transportFactoryName);

}  // namespace
}  // namespace cod::transport::testing
