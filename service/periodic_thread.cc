#include "cable/service/periodic_thread.h"

#include <utility>

namespace cable::service {

PeriodicThread::PeriodicThread(Clock& clock, absl::Duration interval,
                               std::function<void()> tick)
    : clock_(clock), interval_(interval), tick_(std::move(tick)) {
  if (interval_ > absl::ZeroDuration()) {
    thread_ = std::thread([this] { Loop(); });
  }
}

PeriodicThread::~PeriodicThread() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    cv_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
}

void PeriodicThread::Loop() {
  while (!StopBefore(clock_.Now() + interval_)) tick_();
}

bool PeriodicThread::StopBefore(absl::Time t) {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    if (clock_.WaitWithDeadline(&mu_, &cv_, t)) return stopping_;
  }
  return true;
}

}  // namespace cable::service
