#include "cable/service/clock.h"

#include <utility>
#include <vector>

namespace cable::service {
namespace {

class SystemClock final : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
  bool WaitWithDeadline(absl::Mutex* mu, absl::CondVar* cv,
                        absl::Time deadline) override
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return cv->WaitWithDeadline(mu, deadline);
  }
};

}  // namespace

Clock& RealClock() {
  // Immutable (no state at all): not a mutable global.
  static SystemClock clock;
  return clock;
}

ManualClock::ManualClock(absl::Time start) : now_(start) {}

absl::Time ManualClock::Now() {
  absl::MutexLock lock(&mu_);
  return now_;
}

bool ManualClock::WaitWithDeadline(absl::Mutex* mu, absl::CondVar* cv,
                                   absl::Time deadline) {
  std::size_t ticket;
  {
    // Reading the time and registering are one step: an Advance either
    // comes before (seen here) or finds this waiter registered. It then
    // takes `mu` to signal, which this thread holds until cv->Wait
    // releases it, so the wake-up cannot fall in between.
    absl::MutexLock lock(&mu_);
    if (now_ >= deadline) return true;
    ticket = next_ticket_++;
    waiters_.emplace(ticket, Waiter{mu, cv});
  }
  cv->Wait(mu);
  absl::MutexLock lock(&mu_);
  waiters_.erase(ticket);
  return now_ >= deadline;
}

void ManualClock::Advance(absl::Duration d) {
  std::vector<Waiter> wake;
  {
    absl::MutexLock lock(&mu_);
    now_ += d;
    for (const auto& [ticket, waiter] : waiters_) wake.push_back(waiter);
  }
  // Without our own lock: a waiter takes ours while holding its mutex.
  for (const Waiter& w : wake) {
    absl::MutexLock lock(w.mu);
    w.cv->SignalAll();
  }
}

void ManualClock::AwaitWaiters(std::size_t n) {
  std::pair<ManualClock*, std::size_t> arg(this, n);
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](std::pair<ManualClock*, std::size_t>* a)
           ABSL_NO_THREAD_SAFETY_ANALYSIS {
             return a->first->waiters_.size() >= a->second;
           },
      &arg));
}

std::size_t ManualClock::waits_started() {
  absl::MutexLock lock(&mu_);
  return next_ticket_;
}

void ManualClock::AwaitWaitsStarted(std::size_t n) {
  std::pair<ManualClock*, std::size_t> arg(this, n);
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](std::pair<ManualClock*, std::size_t>* a)
           ABSL_NO_THREAD_SAFETY_ANALYSIS {
             return a->first->next_ticket_ >= a->second;
           },
      &arg));
}

std::size_t ManualClock::waiters() {
  absl::MutexLock lock(&mu_);
  return waiters_.size();
}

}  // namespace cable::service
