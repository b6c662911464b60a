#pragma once
// A token bucket for one connection's commands: `rate` commands a second on
// average, up to `burst` at once. A command over the limit is refused (the
// client gets an error frame); a client that goes on sending while refused
// — `burst` refusals in a row — is cut (close 1008). Plain state on the
// connection's event loop; no locking.

#include <algorithm>
#include <chrono>

namespace cable::gateway {

class CommandRateLimiter final {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Verdict { kAllow, kRefuse, kCut };

  // `rate` <= 0 turns the limit off. `burst` is at least 1.
  CommandRateLimiter(double rate, double burst, Clock::time_point now)
      : rate_(rate),
        burst_(std::max(1.0, burst)),
        tokens_(burst_),
        last_(now) {}

  Verdict Admit(Clock::time_point now) {
    if (rate_ <= 0) return Verdict::kAllow;
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    tokens_ = std::min(burst_, tokens_ + std::max(0.0, elapsed) * rate_);
    if (tokens_ >= 1) {
      tokens_ -= 1;
      refused_in_a_row_ = 0;
      return Verdict::kAllow;
    }
    return ++refused_in_a_row_ >= burst_ ? Verdict::kCut : Verdict::kRefuse;
  }

 private:
  double rate_;
  double burst_;
  double tokens_;
  double refused_in_a_row_ = 0;
  Clock::time_point last_;
};

}  // namespace cable::gateway
