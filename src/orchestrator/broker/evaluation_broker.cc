#include "orchestrator/broker/evaluation_broker.h"

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

namespace cod::orchestrator {

EvaluationBroker::EvaluationBroker(const Clock* clock, BrokerConfig config)
    : clock_(clock), config_(config) {}

void EvaluationBroker::setDeadLetterHandler(
    std::function<void(const models::Evaluation&)> handler) {
  std::lock_guard lock(mu_);
  dead_letter_handler_ = std::move(handler);
}

void EvaluationBroker::enqueue(models::Evaluation eval) {
  {
    std::lock_guard lock(mu_);
    if (shutdown_ || !known_ids_.insert(eval.id).second) return;
    Entry entry{std::move(eval), 0, next_seq_++};
    if (entry.eval.wait_until.time_since_epoch().count() != 0 &&
        entry.eval.wait_until > clock_->now()) {
      Time due = entry.eval.wait_until;
      delayed_.emplace(due, std::move(entry));
    } else {
      makeReadyLocked(std::move(entry));
    }
  }
  cv_.notify_all();
}

void EvaluationBroker::makeReadyLocked(Entry entry) {
  const std::string& job_id = entry.eval.job_id;
  if (jobs_in_flight_or_ready_.count(job_id)) {
    waiting_[job_id].push_back(std::move(entry));
    return;
  }
  jobs_in_flight_or_ready_.insert(job_id);
  ReadyKey key{entry.eval.priority, entry.seq};
  ready_.emplace(key, std::move(entry));
}

void EvaluationBroker::releaseJobLocked(const std::string& job_id) {
  jobs_in_flight_or_ready_.erase(job_id);
  auto w = waiting_.find(job_id);
  if (w == waiting_.end()) return;
  // The newest waiting evaluation sees everything the older ones would have seen: run it alone.
  auto newest = std::max_element(w->second.begin(), w->second.end(),
                                 [](const Entry& a, const Entry& b) { return a.seq < b.seq; });
  Entry next = std::move(*newest);
  for (auto& e : w->second) {
    if (&e == &*newest) continue;
    cancelled_ids_.push_back(e.eval.id);
    known_ids_.erase(e.eval.id);
  }
  waiting_.erase(w);
  makeReadyLocked(std::move(next));
}

std::optional<EvaluationBroker::Delivery> EvaluationBroker::popLocked() {
  if (ready_.empty()) return std::nullopt;
  auto it = ready_.begin();
  Entry entry = std::move(it->second);
  ready_.erase(it);
  entry.deliveries++;
  std::string token = std::to_string(++next_token_);
  Delivery delivery{entry.eval, token};
  std::string id = entry.eval.id;
  in_flight_[id] = InFlight{std::move(entry), token, clock_->now() + config_.visibility_timeout};
  return delivery;
}

void EvaluationBroker::tickLocked(std::vector<models::Evaluation>* dead) {
  Time now = clock_->now();
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    Entry entry = std::move(delayed_.begin()->second);
    delayed_.erase(delayed_.begin());
    makeReadyLocked(std::move(entry));
  }
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    if (it->second.deadline > now) {
      ++it;
      continue;
    }
    Entry entry = std::move(it->second.entry);
    it = in_flight_.erase(it);
    spdlog::warn(
        "evaluation {} of job {} was not acknowledged within {}s; redelivering", entry.eval.id,
        entry.eval.job_id,
        std::chrono::duration_cast<std::chrono::seconds>(config_.visibility_timeout).count());
    // The job's slot stays taken: the redelivered entry goes straight back to ready.
    jobs_in_flight_or_ready_.erase(entry.eval.job_id);
    if (entry.deliveries >= config_.max_deliveries) {
      known_ids_.erase(entry.eval.id);
      dead_lettered_++;
      dead->push_back(entry.eval);
      releaseJobLocked(entry.eval.job_id);
      continue;
    }
    makeReadyLocked(std::move(entry));
  }
}

Duration EvaluationBroker::nextWakeLocked(Duration timeout) const {
  Duration wait = timeout;
  Time now = clock_->now();
  if (!delayed_.empty())
    wait = std::min(wait, std::max(Duration(0), delayed_.begin()->first - now));
  for (const auto& [id, f] : in_flight_) {
    wait = std::min(wait, std::max(Duration(0), f.deadline - now));
  }
  return wait;
}

std::optional<EvaluationBroker::Delivery> EvaluationBroker::tryDequeue() {
  std::vector<models::Evaluation> dead;
  std::optional<Delivery> out;
  std::function<void(const models::Evaluation&)> handler;
  {
    std::lock_guard lock(mu_);
    if (shutdown_) return std::nullopt;
    tickLocked(&dead);
    out = popLocked();
    handler = dead_letter_handler_;
  }
  if (handler) {
    for (const auto& e : dead) handler(e);
  }
  return out;
}

std::optional<EvaluationBroker::Delivery> EvaluationBroker::dequeue(Duration timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<models::Evaluation> dead;
  std::optional<Delivery> out;
  std::function<void(const models::Evaluation&)> handler;
  {
    std::unique_lock lock(mu_);
    while (!shutdown_) {
      tickLocked(&dead);
      out = popLocked();
      if (out) break;
      auto remaining = deadline - std::chrono::steady_clock::now();
      if (remaining <= Duration(0)) break;
      // Wake for new work, or when the earliest delayed/in-flight deadline comes due.
      auto wait = nextWakeLocked(std::chrono::duration_cast<Duration>(remaining));
      cv_.wait_for(lock, std::max(wait, Duration(std::chrono::milliseconds(1))));
    }
    handler = dead_letter_handler_;
  }
  if (handler) {
    for (const auto& e : dead) handler(e);
  }
  return out;
}

Status EvaluationBroker::ack(const std::string& eval_id, const std::string& token) {
  {
    std::lock_guard lock(mu_);
    auto it = in_flight_.find(eval_id);
    if (it == in_flight_.end() || it->second.token != token) {
      return notFound("evaluation " + eval_id + " is not in flight with that token");
    }
    std::string job_id = it->second.entry.eval.job_id;
    in_flight_.erase(it);
    known_ids_.erase(eval_id);
    releaseJobLocked(job_id);
  }
  cv_.notify_all();
  return Status::ok();
}

Status EvaluationBroker::nack(const std::string& eval_id, const std::string& token) {
  std::vector<models::Evaluation> dead;
  std::function<void(const models::Evaluation&)> handler;
  {
    std::lock_guard lock(mu_);
    auto it = in_flight_.find(eval_id);
    if (it == in_flight_.end() || it->second.token != token) {
      return notFound("evaluation " + eval_id + " is not in flight with that token");
    }
    if (it->second.entry.deliveries >= config_.max_deliveries) {
      // Expire it now; tickLocked dead-letters it and frees the job's slot.
      it->second.deadline = clock_->now() - Duration(1);
      tickLocked(&dead);
    } else {
      // Back off before the next attempt: 50 ms, 100 ms, … up to 5 s. The job's slot is freed so
      // newer evaluations of the job are not held up behind a failing one.
      Entry entry = std::move(it->second.entry);
      in_flight_.erase(it);
      std::string job_id = entry.eval.job_id;
      auto backoff = std::min<Duration>(
          std::chrono::milliseconds(50) * (int64_t{1} << std::min(entry.deliveries - 1, 10)),
          std::chrono::seconds(5));
      delayed_.emplace(clock_->now() + backoff, std::move(entry));
      releaseJobLocked(job_id);
    }
    handler = dead_letter_handler_;
  }
  cv_.notify_all();
  if (handler) {
    for (const auto& e : dead) handler(e);
  }
  return Status::ok();
}

void EvaluationBroker::tick() {
  std::vector<models::Evaluation> dead;
  std::function<void(const models::Evaluation&)> handler;
  {
    std::lock_guard lock(mu_);
    tickLocked(&dead);
    handler = dead_letter_handler_;
  }
  cv_.notify_all();
  if (handler) {
    for (const auto& e : dead) handler(e);
  }
}

void EvaluationBroker::shutdown() {
  {
    std::lock_guard lock(mu_);
    shutdown_ = true;
  }
  cv_.notify_all();
}

std::vector<std::string> EvaluationBroker::takeCancelled() {
  std::lock_guard lock(mu_);
  return std::exchange(cancelled_ids_, {});
}

BrokerStats EvaluationBroker::stats() const {
  std::lock_guard lock(mu_);
  BrokerStats s;
  s.ready = ready_.size();
  s.delayed = delayed_.size();
  s.in_flight = in_flight_.size();
  for (const auto& [job, q] : waiting_) s.waiting += q.size();
  s.dead_lettered = dead_lettered_;
  return s;
}

}  // namespace cod::orchestrator
