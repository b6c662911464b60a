#pragma once
// The clock seam (STYLE: the clock is one of the real seams): time that the
// state stores and the stateful channels measure themselves — lock leases
// and lock timeouts, heartbeat expiry, event ages in the in-memory store,
// the guard-cleanup loop — read and waited on through a Clock, so that
// tests of that timing run on a ManualClock instead of sleeping.
//
// Times a server keeps (JetStream's MaxAge, its message timestamps) are not
// this process's to fake and stay on the real clock.

#include <cstddef>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cable::service {

class Clock {
 public:
  virtual ~Clock() = default;

  virtual absl::Time Now() = 0;

  // Waits on `cv` (with `mu` held, as absl::CondVar::WaitWithDeadline)
  // until it is signalled or this clock reaches `deadline`. Returns true
  // if the deadline passed. Like any condition wait it may return early:
  // callers re-check their condition.
  virtual bool WaitWithDeadline(absl::Mutex* mu, absl::CondVar* cv,
                                absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) = 0;
};

// The system clock. Stateless; one instance for the process.
Clock& RealClock();

// A clock that moves only when told to (tests). Waiters are woken when it
// is advanced to or past their deadline; AwaitWaiters lets a test know that
// a thread is waiting before it advances. A mutex and condition variable
// waited on must outlive the Advance calls made meanwhile.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start = absl::UnixEpoch() + absl::Hours(1));

  absl::Time Now() override;
  bool WaitWithDeadline(absl::Mutex* mu, absl::CondVar* cv,
                        absl::Time deadline) override
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  // Moves the clock forward and wakes every waiter (they re-check).
  void Advance(absl::Duration d);
  // Blocks until at least `n` threads wait on this clock.
  void AwaitWaiters(std::size_t n);
  std::size_t waiters();
  // Waits that went to sleep on this clock so far (not those that found
  // their deadline passed). After an Advance that ends a loop's wait,
  // AwaitWaitsStarted(waits_started() + 1), read before the Advance, tells
  // that the loop did its work and waits again.
  std::size_t waits_started();
  void AwaitWaitsStarted(std::size_t n);

 private:
  struct Waiter {
    absl::Mutex* mu;
    absl::CondVar* cv;
  };

  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  // Keyed by a per-wait ticket: the same condition variable may have
  // several waiters.
  absl::flat_hash_map<std::size_t, Waiter> waiters_ ABSL_GUARDED_BY(mu_);
  std::size_t next_ticket_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace cable::service
