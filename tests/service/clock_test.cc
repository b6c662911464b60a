// ManualClock: the clock tests of the stores' timing run on.

#include "cable/service/clock.h"

#include <gtest/gtest.h>

#include <thread>

namespace cable::service {
namespace {

TEST(ManualClockTest, MovesOnlyWhenAdvanced) {
  const absl::Time start = absl::FromUnixSeconds(1000);
  ManualClock clock(start);
  EXPECT_EQ(clock.Now(), start);
  EXPECT_EQ(clock.Now(), start);
  clock.Advance(absl::Seconds(3));
  EXPECT_EQ(clock.Now(), start + absl::Seconds(3));
}

TEST(ManualClockTest, WaitEndsWhenTheClockReachesTheDeadline) {
  ManualClock clock;
  absl::Mutex mu;
  absl::CondVar cv;
  const absl::Time deadline = clock.Now() + absl::Seconds(10);
  bool timed_out = false;
  std::thread waiter([&] {
    absl::MutexLock lock(&mu);
    // Woken early by each Advance; waits again until the deadline.
    while (!clock.WaitWithDeadline(&mu, &cv, deadline)) {
    }
    timed_out = true;
  });
  clock.AwaitWaiters(1);
  clock.Advance(absl::Seconds(4));
  clock.AwaitWaiters(1);
  {
    absl::MutexLock lock(&mu);
    EXPECT_FALSE(timed_out);
  }
  clock.Advance(absl::Seconds(6));
  waiter.join();
  EXPECT_TRUE(timed_out);
  EXPECT_EQ(clock.waiters(), 0u);
}

TEST(ManualClockTest, SignalEndsTheWaitBeforeTheDeadline) {
  ManualClock clock;
  absl::Mutex mu;
  absl::CondVar cv;
  bool ready = false;
  bool timed_out = true;
  std::thread waiter([&] {
    absl::MutexLock lock(&mu);
    bool passed = false;
    while (!ready && !passed) {
      passed = clock.WaitWithDeadline(&mu, &cv, clock.Now() + absl::Hours(1));
    }
    timed_out = passed;
  });
  clock.AwaitWaiters(1);
  {
    absl::MutexLock lock(&mu);
    ready = true;
    cv.Signal();
  }
  waiter.join();
  EXPECT_FALSE(timed_out);
}

TEST(ManualClockTest, PastDeadlineReturnsAtOnce) {
  ManualClock clock;
  absl::Mutex mu;
  absl::CondVar cv;
  absl::MutexLock lock(&mu);
  EXPECT_TRUE(clock.WaitWithDeadline(&mu, &cv, clock.Now()));
  EXPECT_EQ(clock.waiters(), 0u);
}

TEST(RealClockTest, FollowsTheSystemClock) {
  const absl::Time before = absl::Now();
  const absl::Time now = RealClock().Now();
  EXPECT_LE(before, now);
  EXPECT_LE(now, absl::Now());
}

}  // namespace
}  // namespace cable::service
