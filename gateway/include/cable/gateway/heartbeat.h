#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "cable/gateway/clock.h"

namespace cable::gateway {

// A connection's liveness, decided every ping interval: whether the client
// is still reading (a write that waits too long, or bytes the kernel holds
// that the client stops acknowledging) and still talking (silent for half
// the idle period: probe it with a protocol ping; for all of it: gone).
// Pure: times are handed in, so tests run it on a controlled clock.
class Heartbeat final {
 public:
  enum class Verdict {
    kPing,          // send the Action Cable ping
    kPingAndProbe,  // and a protocol ping, which every client answers
    kSlow,          // the client stopped reading: disconnect as too slow
    kGone,          // nothing heard for the idle period: cut the socket
  };
  // The kernel's view of the socket: bytes it took from us, and how many
  // of them the client has not acknowledged yet.
  struct SendQueue {
    std::uint64_t sent = 0;
    std::uint64_t unacked = 0;
  };

  Heartbeat(Clock::duration write_timeout, Clock::duration idle_period,
            Clock::time_point now)
      : write_timeout_(write_timeout), idle_(idle_period), last_heard_(now) {}

  // How long a client may stay silent before it is taken for gone, for a
  // ping interval: max(10 s, 10 pings).
  static Clock::duration IdlePeriod(Clock::duration ping_interval);

  // The client sent something.
  void Heard(Clock::time_point now) { last_heard_ = now; }
  // A write waits for the socket to take more, since `now`; and is through.
  void WriteWaits(Clock::time_point now) {
    writing_ = true;
    write_started_ = now;
  }
  void WriteDone() { writing_ = false; }
  bool writing() const { return writing_; }
  Clock::duration silent(Clock::time_point now) const {
    return now - last_heard_;
  }

  // Called every ping interval. `queue` is the kernel's view, when known.
  Verdict Check(Clock::time_point now, std::optional<SendQueue> queue);

 private:
  // Whether the client has taken none of what the kernel holds for it for
  // longer than the write timeout (its receive window is closed).
  bool stalled(Clock::time_point now, const SendQueue& queue);

  const Clock::duration write_timeout_;
  const Clock::duration idle_;
  Clock::time_point last_heard_;
  bool writing_ = false;
  Clock::time_point write_started_;
  std::uint64_t acked_ = 0;
  std::optional<Clock::time_point> stalled_since_;
};

}  // namespace cable::gateway
