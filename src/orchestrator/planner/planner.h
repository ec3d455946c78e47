#pragma once

// Applies a Plan: one store transaction with optimistic checks (the job's revision must be the one
// the scheduler read, and so must each changed execution's), the evaluation marked complete in
// the same transaction; then, once committed, the follow-up evaluations go to the broker and the
// messages to the compute nodes.

#include "common/clock.h"
#include "common/status.h"
#include "orchestrator/broker/evaluation_broker.h"
#include "orchestrator/scheduler/plan.h"
#include "store/job_store.h"
#include "transport/transport.h"

namespace cod::orchestrator {

class Planner {
 public:
  Planner(store::JobStore* store, EvaluationBroker* broker,
          transport::OrchestratorTransport* transport, const Clock* clock);

  // Aborted when the job or an execution changed since the scheduler read them (the evaluation
  // should be retried); nothing is written then.
  Status apply(Plan& plan);

 private:
  store::JobStore* store_;
  EvaluationBroker* broker_;
  transport::OrchestratorTransport* transport_;
  const Clock* clock_;
};

}  // namespace cod::orchestrator
