#pragma once

// The evaluation broker (reference/bacalhau-api.md §8.1): holds evaluations until a scheduler
// worker takes them.
//
// * At most one evaluation per job is in flight. Others for the same job wait; when the in-flight
//   one is acked, the newest waiting one runs and older waiting duplicates are cancelled (they
//   would only re-check the same job).
// * Delayed evaluations (WaitUntil in the future) are held until due.
// * A delivered evaluation that is neither acked nor nacked within the visibility timeout is
//   redelivered; after max_deliveries deliveries it is dropped ("dead-lettered") and reported.
// * Ready evaluations are served by priority (higher first), then FIFO.
//
// Thread-safety: every method is thread-safe. Time comes from the injected clock; tests call
// tick() after advancing a ManualClock instead of sleeping.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "models/evaluation.h"

namespace cod::orchestrator {

struct BrokerConfig {
  Duration visibility_timeout = std::chrono::minutes(1);
  int max_deliveries = 10;
};

struct BrokerStats {
  size_t ready = 0;
  size_t delayed = 0;
  size_t in_flight = 0;
  size_t waiting = 0;  // blocked behind an in-flight evaluation of the same job
  uint64_t dead_lettered = 0;
};

class EvaluationBroker {
 public:
  struct Delivery {
    models::Evaluation eval;
    std::string token;  // must be passed back to ack/nack
  };

  EvaluationBroker(const Clock* clock, BrokerConfig config);

  // Adds an evaluation. Duplicates of an evaluation ID already held are ignored.
  void enqueue(models::Evaluation eval);

  // Waits up to `timeout` (real time) for a ready evaluation; nullopt on timeout or shutdown.
  std::optional<Delivery> dequeue(Duration timeout);
  // Non-blocking dequeue.
  std::optional<Delivery> tryDequeue();

  // The evaluation is done. NotFound when the ID/token pair is not in flight (e.g. it timed out
  // and was redelivered).
  Status ack(const std::string& eval_id, const std::string& token);
  // The evaluation failed; it is made ready again (or dead-lettered after max deliveries).
  Status nack(const std::string& eval_id, const std::string& token);

  // Releases due delayed evaluations and redelivers timed-out ones. Also done inside dequeue().
  void tick();

  // Wakes every waiting dequeue; later dequeues return nullopt at once.
  void shutdown();

  // IDs of waiting evaluations superseded by a newer one of the same job since the last call; the
  // orchestrator marks them canceled in the store.
  std::vector<std::string> takeCancelled();

  // Called (outside the lock) when an evaluation is dead-lettered.
  void setDeadLetterHandler(std::function<void(const models::Evaluation&)> handler);

  BrokerStats stats() const;

 private:
  struct Entry {
    models::Evaluation eval;
    int deliveries = 0;
    uint64_t seq = 0;  // FIFO order among equal priorities
  };
  struct InFlight {
    Entry entry;
    std::string token;
    Time deadline;
  };
  struct ReadyKey {
    int64_t priority;
    uint64_t seq;
    bool operator<(const ReadyKey& o) const {
      return priority != o.priority ? priority > o.priority : seq < o.seq;
    }
  };

  void makeReadyLocked(Entry entry);
  // Frees the job's in-flight slot and promotes its newest waiting evaluation.
  void releaseJobLocked(const std::string& job_id);
  void tickLocked(std::vector<models::Evaluation>* dead);
  std::optional<Delivery> popLocked();
  Duration nextWakeLocked(Duration timeout) const;

  const Clock* clock_;
  BrokerConfig config_;
  std::function<void(const models::Evaluation&)> dead_letter_handler_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool shutdown_ = false;
  uint64_t next_seq_ = 0;
  uint64_t next_token_ = 0;
  uint64_t dead_lettered_ = 0;
  std::vector<std::string> cancelled_ids_;
  std::set<std::string> known_ids_;                   // every ID held anywhere
  std::map<ReadyKey, Entry> ready_;                   // runnable now
  std::multimap<Time, Entry> delayed_;                // by WaitUntil
  std::map<std::string, InFlight> in_flight_;         // by eval ID
  std::set<std::string> jobs_in_flight_or_ready_;     // jobs with an entry in ready_ or in_flight_
  std::map<std::string, std::deque<Entry>> waiting_;  // by job ID, behind the one in flight
};

}  // namespace cod::orchestrator
