#pragma once

// The transport conformance suite: the same cases against every implementation, so that the
// in-process hub and NATS agree on the contract of transport.h. An implementation's test file
// instantiates it:
//
//   INSTANTIATE_TEST_SUITE_P(Inproc, TransportConformanceTest,
//                            ::testing::Values(TransportFactory{"Inproc", makeInprocHarness}),
//                            transportFactoryName);
//
// Also the recording handlers the transport tests share.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "transport/log_stream.h"
#include "transport/transport.h"

namespace cod::transport::testing {

// One implementation's world: makes connected ends. Lives for one test.
class TransportHarness {
 public:
  virtual ~TransportHarness() = default;
  virtual std::unique_ptr<OrchestratorTransport> orchestrator() = 0;
  virtual std::unique_ptr<ComputeTransport> compute() = 0;
  // For the transports made after the call.
  virtual void setLogStreamLimits(const LogStreamLimits& limits) = 0;
};

struct TransportFactory {
  std::string name;
  std::function<std::unique_ptr<TransportHarness>()> make;
};
std::string transportFactoryName(const ::testing::TestParamInfo<TransportFactory>& info);
// NOLINTNEXTLINE(readability-identifier-naming): the name GoogleTest looks for.
inline void PrintTo(const TransportFactory& factory, std::ostream* os) { *os << factory.name; }

inline constexpr auto kWaitDeadline = std::chrono::seconds(10);

// Answers control requests predictably and records everything it is given. A node called
// "n-refused" is refused at handshake; "n-unknown" is not known at heartbeat. Reconcile requests
// are answered from a thread of its own after the handler has returned, as the orchestrator
// answers them; the others on the transport's thread.
class RecordingOrchestrator final : public OrchestratorHandler {
 public:
  ~RecordingOrchestrator() override;
  void onHandshake(const HandshakeRequest& req, Reply<HandshakeResponse> reply) override;
  void onHeartbeat(const HeartbeatRequest& req, Reply<HeartbeatResponse> reply) override;
  void onUpdateNodeInfo(const UpdateNodeInfoRequest& req,
                        Reply<UpdateNodeInfoResponse> reply) override;
  void onReconcile(const ReconcileRequest& req, Reply<ReconcileResponse> reply) override;
  // A URL naming the request's IDs; refused for node "n-unmanaged".
  void onPresignUpload(const PresignUploadRequest& req,
                       Reply<PresignUploadResponse> reply) override;
  void onMessage(const ToOrchestratorMessage& msg) override;

  // While blocked, onMessage waits (a slow handler); unblock() lets it go on.
  void block();
  void unblock();
  // True once n messages arrived (false at the deadline).
  bool waitForMessages(size_t n, std::chrono::milliseconds deadline = kWaitDeadline);
  // True once onMessage has been entered n times (even if still blocked).
  bool waitForEntered(size_t n, std::chrono::milliseconds deadline = kWaitDeadline);

  std::vector<ToOrchestratorMessage> messages();
  std::vector<HandshakeRequest> handshakes();
  std::vector<HeartbeatRequest> heartbeats();
  std::vector<UpdateNodeInfoRequest> updates();
  std::vector<ReconcileRequest> reconciles();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool blocked_ = false;
  size_t entered_ = 0;
  std::vector<ToOrchestratorMessage> messages_;
  std::vector<HandshakeRequest> handshakes_;
  std::vector<HeartbeatRequest> heartbeats_;
  std::vector<UpdateNodeInfoRequest> updates_;
  std::vector<ReconcileRequest> reconciles_;
  std::vector<std::thread> answering_;  // reconcile answers
};

class RecordingCompute final : public ComputeHandler {
 public:
  void onMessage(const ToComputeMessage& msg) override;
  void onConnectionChanged(bool connected) override;
  // Keeps the writer for the test to drive (takeLogStream).
  void onLogStream(const LogStreamRequest& request,
                   std::unique_ptr<LogStreamWriter> writer) override;

  struct OpenedLog {
    LogStreamRequest request;
    std::unique_ptr<LogStreamWriter> writer;
  };
  // The next log stream the orchestrator opened (writer null at the deadline).
  OpenedLog takeLogStream(std::chrono::milliseconds deadline = kWaitDeadline);

  bool waitForMessages(size_t n, std::chrono::milliseconds deadline = kWaitDeadline);
  // True once onConnectionChanged(connected) has been called at least `times` times.
  bool waitForConnection(bool connected, size_t times = 1,
                         std::chrono::milliseconds deadline = kWaitDeadline);
  std::vector<ToComputeMessage> messages();
  std::vector<bool> connectionEvents();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ToComputeMessage> messages_;
  std::vector<bool> events_;
  std::deque<OpenedLog> logs_;
};

// Records a log stream's entries and end; can be made to stall in onEntries.
class RecordingLogConsumer final : public LogStreamConsumer {
 public:
  void onEntries(std::vector<LogStreamEntry> entries) override;
  void onEnd(Status status) override;

  void block();
  void unblock();
  bool waitForEntries(size_t n, std::chrono::milliseconds deadline = kWaitDeadline);
  // The end status (nullopt at the deadline).
  std::optional<Status> waitForEnd(std::chrono::milliseconds deadline = kWaitDeadline);
  std::vector<LogStreamEntry> entries();
  size_t calls();  // onEntries and onEnd calls so far

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool blocked_ = false;
  size_t calls_ = 0;
  std::vector<LogStreamEntry> entries_;
  std::optional<Status> end_;
};

// Messages with every field set, for intact-arrival checks.
HandshakeRequest fullHandshake(const std::string& node_id);
models::Execution fullExecution(const std::string& node_id);
std::vector<ToComputeMessage> allToComputeMessages(const std::string& node_id);
std::vector<ToOrchestratorMessage> allToOrchestratorMessages(const std::string& node_id);

// Polls `condition` until it holds or the deadline passes, for states that are not events
// (e.g. "the orchestrator answers again"). Returns the condition's last value.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds deadline = kWaitDeadline);

class TransportConformanceTest : public ::testing::TestWithParam<TransportFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Started ends; their handlers live as long as the fixture.
  OrchestratorTransport* startOrchestrator();
  ComputeTransport* startCompute(const std::string& node_id, RecordingCompute** handler = nullptr);

  std::unique_ptr<TransportHarness> harness_;
  RecordingOrchestrator orchestrator_handler_;
  std::vector<std::unique_ptr<RecordingCompute>> compute_handlers_;
  std::unique_ptr<OrchestratorTransport> orchestrator_;
  std::vector<std::unique_ptr<ComputeTransport>> computes_;
};

}  // namespace cod::transport::testing
