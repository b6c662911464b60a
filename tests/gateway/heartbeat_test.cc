// Pings, idle clients and stalled writes on a controlled clock.

#include "cable/gateway/heartbeat.h"

#include <gtest/gtest.h>

#include "tests/gateway/manual_clock.h"

namespace cable::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Verdict = Heartbeat::Verdict;

TEST(Heartbeat, IdlePeriodIsTenPingsButAtLeastTenSeconds) {
  EXPECT_EQ(Heartbeat::IdlePeriod(seconds(3)), seconds(30));
  EXPECT_EQ(Heartbeat::IdlePeriod(milliseconds(100)), seconds(10));
}

TEST(Heartbeat, ProbesASilentClientThenGivesUpOnIt) {
  ManualClock clock;
  Heartbeat beat(seconds(2), seconds(30), clock.now());
  clock.Advance(seconds(3));
  EXPECT_EQ(beat.Check(clock.now(), std::nullopt), Verdict::kPing);
  clock.Advance(seconds(13));  // silent for 16 s: over half the period
  EXPECT_EQ(beat.Check(clock.now(), std::nullopt), Verdict::kPingAndProbe);
  beat.Heard(clock.now());  // it answered
  EXPECT_EQ(beat.Check(clock.now(), std::nullopt), Verdict::kPing);
  clock.Advance(seconds(31));
  EXPECT_EQ(beat.Check(clock.now(), std::nullopt), Verdict::kGone);
}

TEST(Heartbeat, AWriteWaitingPastTheTimeoutIsSlow) {
  ManualClock clock;
  Heartbeat beat(seconds(2), seconds(30), clock.now());
  beat.WriteWaits(clock.now());
  clock.Advance(seconds(1));
  EXPECT_EQ(beat.Check(clock.now(), std::nullopt), Verdict::kPing);
  clock.Advance(milliseconds(1001));
  EXPECT_EQ(beat.Check(clock.now(), std::nullopt), Verdict::kSlow);
  beat.WriteDone();
  EXPECT_EQ(beat.Check(clock.now(), std::nullopt), Verdict::kPing);
}

TEST(Heartbeat, AClientThatStopsAcknowledgingIsSlow) {
  ManualClock clock;
  Heartbeat beat(seconds(2), seconds(30), clock.now());
  // The kernel holds 500 unacknowledged bytes and the client takes none.
  Heartbeat::SendQueue stuck{1000, 500};
  EXPECT_EQ(beat.Check(clock.now(), stuck), Verdict::kPing);
  clock.Advance(seconds(1));
  // No progress since the last check: the stall starts here.
  EXPECT_EQ(beat.Check(clock.now(), stuck), Verdict::kPing);
  clock.Advance(seconds(2));
  EXPECT_EQ(beat.Check(clock.now(), stuck), Verdict::kPing);
  clock.Advance(milliseconds(1));  // stalled for longer than the timeout
  EXPECT_EQ(beat.Check(clock.now(), stuck), Verdict::kSlow);
}

TEST(Heartbeat, ProgressOrAnEmptyKernelQueueIsNotAStall) {
  ManualClock clock;
  Heartbeat beat(seconds(2), seconds(30), clock.now());
  std::uint64_t sent = 1000;
  for (int i = 0; i < 10; ++i) {
    clock.Advance(seconds(1));
    sent += 100;  // the client acknowledges a little every time
    EXPECT_EQ(beat.Check(clock.now(), Heartbeat::SendQueue{sent, 500}),
              Verdict::kPing);
    beat.Heard(clock.now());
  }
  for (int i = 0; i < 5; ++i) {
    clock.Advance(seconds(1));
    EXPECT_EQ(beat.Check(clock.now(), Heartbeat::SendQueue{sent, 0}),
              Verdict::kPing);
  }
}

}  // namespace
}  // namespace cable::gateway
