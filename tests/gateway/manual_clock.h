#pragma once

#include "cable/gateway/clock.h"

namespace cable::gateway {

// A clock that moves only when the test says.
class ManualClock final : public Clock {
 public:
  time_point now() const override { return now_; }
  void Advance(duration d) { now_ += d; }

 private:
  time_point now_ = time_point(std::chrono::hours(1));
};

}  // namespace cable::gateway
