#include "cable/gateway/heartbeat.h"

#include <algorithm>

namespace cable::gateway {

Clock::duration Heartbeat::IdlePeriod(Clock::duration ping_interval) {
  return std::max<Clock::duration>(std::chrono::seconds(10),
                                   ping_interval * 10);
}

Heartbeat::Verdict Heartbeat::Check(Clock::time_point now,
                                    std::optional<SendQueue> queue) {
  if ((writing_ && now - write_started_ > write_timeout_) ||
      (queue && stalled(now, *queue))) {
    return Verdict::kSlow;
  }
  const auto quiet = silent(now);
  if (quiet > idle_) return Verdict::kGone;
  return quiet > idle_ / 2 ? Verdict::kPingAndProbe : Verdict::kPing;
}

bool Heartbeat::stalled(Clock::time_point now, const SendQueue& queue) {
  // The part of what went to the kernel that the client acknowledged is
  // its progress.
  const std::uint64_t acked = queue.sent - queue.unacked;
  const bool progress = queue.unacked == 0 || acked != acked_;
  acked_ = acked;
  if (progress) {
    stalled_since_.reset();
    return false;
  }
  if (!stalled_since_) stalled_since_ = now;
  return now - *stalled_since_ > write_timeout_;
}

}  // namespace cable::gateway
