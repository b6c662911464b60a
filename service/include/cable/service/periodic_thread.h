#pragma once

#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cable/service/clock.h"

namespace cable::service {

// A thread that runs `tick` every `interval` of `clock` (the first after
// one interval) until destroyed; the destructor wakes it and waits for a
// tick under way. An interval of zero or less starts no thread. The owner
// declares it last, so that it stops before what `tick` uses is gone.
class PeriodicThread final {
 public:
  PeriodicThread(Clock& clock, absl::Duration interval,
                 std::function<void()> tick);
  ~PeriodicThread();
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;

 private:
  void Loop();
  // Waits until the clock reaches `t`; true if stopping instead.
  bool StopBefore(absl::Time t);

  Clock& clock_;
  const absl::Duration interval_;
  const std::function<void()> tick_;
  absl::Mutex mu_;
  absl::CondVar cv_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace cable::service
