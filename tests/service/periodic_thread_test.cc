// PeriodicThread on a ManualClock: a tick per interval, none before the
// first interval, none after destruction, no thread for a zero interval.
#include "cable/service/periodic_thread.h"

#include <gtest/gtest.h>

#include <atomic>

#include "cable/service/clock.h"

namespace cable::service {
namespace {

TEST(PeriodicThread, TicksOncePerIntervalAndStopsWhenDestroyed) {
  ManualClock clock;
  std::atomic<int> ticks{0};
  {
    PeriodicThread thread(clock, absl::Seconds(1), [&] { ++ticks; });
    clock.AwaitWaiters(1);  // waiting out its first interval
    EXPECT_EQ(ticks.load(), 0);
    for (int n = 1; n <= 3; ++n) {
      const std::size_t started = clock.waits_started();
      clock.Advance(absl::Seconds(1));
      clock.AwaitWaitsStarted(started + 1);  // ticked, and waiting again
      EXPECT_EQ(ticks.load(), n);
    }
  }  // wakes it from its wait: it returns without a tick
  EXPECT_EQ(ticks.load(), 3);
}

TEST(PeriodicThread, AZeroIntervalStartsNoThread) {
  ManualClock clock;
  std::atomic<int> ticks{0};
  {
    PeriodicThread thread(clock, absl::ZeroDuration(), [&] { ++ticks; });
    clock.Advance(absl::Hours(1));
  }
  EXPECT_EQ(ticks.load(), 0);
}

}  // namespace
}  // namespace cable::service
