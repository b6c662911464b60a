#pragma once

#include <chrono>

namespace cable::gateway {

// The time the gateway's heartbeats go by (pings, idle clients, stalled
// writes): the steady clock in the servers, a hand-moved one in tests.
class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::steady_clock::duration;
  virtual ~Clock() = default;
  virtual time_point now() const = 0;
};

class SteadyClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
  // One for everyone: it has no state.
  static const SteadyClock& Instance() {
    static const SteadyClock clock;
    return clock;
  }
};

}  // namespace cable::gateway
