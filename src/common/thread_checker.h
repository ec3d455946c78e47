#pragma once

// ThreadChecker: a debug-build check that an object's state is touched on one thread only, for
// components whose design gives a thread the ownership of their state (the compute node's control
// thread, its connection thread). The first check binds it to the calling thread; detach() lets
// the next check bind it again (ownership handed over). Builds with NDEBUG check nothing.
//
//   ThreadChecker control_thread_;
//   void ComputeNode::handleCancel(...) { COD_DCHECK_ON_THREAD(control_thread_); ... }

#include <atomic>
#include <thread>

#include "common/check.h"

namespace cod {

class ThreadChecker {
 public:
#ifdef NDEBUG
  bool calledOnValidThread() const { return true; }
  void detach() {}
#else
  bool calledOnValidThread() const {
    std::thread::id expected{};
    const std::thread::id me = std::this_thread::get_id();
    // Unbound: this thread becomes the owner. Bound: expected is now the owner.
    return owner_.compare_exchange_strong(expected, me) || expected == me;
  }
  void detach() { owner_.store(std::thread::id{}); }

 private:
  mutable std::atomic<std::thread::id> owner_{};
#endif
};

}  // namespace cod

// Aborts (debug builds) when called off the checker's thread.
#define COD_DCHECK_ON_THREAD(checker) \
  COD_CHECK((checker).calledOnValidThread()) << "called off the thread that owns this state"
