// The StateStore contract, timing: event ages, heartbeat expiry, lock
// timeouts and leases. Where the time is the store's own (the in-memory
// store; heartbeats in both) it runs on a ManualClock; NatsStateStore's
// lease and event timestamps are the server's, waited for in real time.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/service/state_store_fixture.h"

namespace cable::service::state_store_testing {
namespace {

// Old events (committed before `old_until`), then young ones (committed
// after the clock passed old_until + gap): DeleteEvents cuts between.
TEST_P(StateStoreTest, DeleteEventsByAgeAndBothRules) {
  // NATS: ages by the server's timestamps, so real time.
  if (!ServerKeepsTime()) UseManualClock();
  const absl::Duration gap = absl::Milliseconds(600);
  for (const char* name : {"age", "both_num", "both_age"}) Create(Spec(name));
  AppendEvents("age", 3);
  AppendEvents("both_num", 4);
  AppendEvents("both_age", 4);
  const absl::Time old_until = Now();
  PassUntil(old_until + gap);
  AppendEvents("age", 3);
  AppendEvents("both_num", 3);
  AppendEvents("both_age", 3);
  // The cut is at old_until + gap/2: clear of both groups by gap/2.
  auto keep_young = [&] { return Now() - (old_until + gap / 2); };

  EXPECT_EQ(store().DeleteEvents("age", std::nullopt, keep_young()).value_or(0),
            3u);
  EXPECT_THAT(Ids(MustEvents("age", 0, std::nullopt)), ElementsAre(4, 5, 6));
  EXPECT_EQ(
      store().DeleteEvents("age", std::nullopt, absl::Hours(1)).value_or(99),
      0u);
  // Whichever rule keeps more wins: age keeps 3 > 2 ...
  EXPECT_EQ(store().DeleteEvents("both_num", 2, keep_young()).value_or(0), 4u);
  EXPECT_THAT(Ids(MustEvents("both_num", 0, std::nullopt)),
              ElementsAre(5, 6, 7));
  // ... count keeps 5 > 3.
  EXPECT_EQ(store().DeleteEvents("both_age", 5, keep_young()).value_or(0), 2u);
  EXPECT_THAT(Ids(MustEvents("both_age", 0, std::nullopt)),
              ElementsAre(3, 4, 5, 6, 7));
  // Nothing is younger than a nanosecond.
  Tick();
  EXPECT_EQ(store()
                .DeleteEvents("age", std::nullopt, absl::Nanoseconds(1))
                .value_or(0),
            3u);
  EXPECT_THAT(MustEvents("age", 0, std::nullopt), IsEmpty());
}

TEST_P(StateStoreTest, HeartbeatsExpireAfterTheirTtl) {
  // Both stores keep heartbeats by their own clock.
  UseManualClock();
  const absl::Duration short_ttl = absl::Milliseconds(300);
  ASSERT_TRUE(store().Heartbeat("long", absl::Hours(1)).ok());
  ASSERT_TRUE(store().Heartbeat("short", short_ttl).ok());
  const absl::Time sent = Now();
  EXPECT_THAT(store().AliveWorkers().value_or(std::vector<std::string>{}),
              ElementsAre("long", "short"));
  Pass(short_ttl - absl::Milliseconds(1));
  EXPECT_THAT(store().AliveWorkers().value_or(std::vector<std::string>{}),
              ElementsAre("long", "short"));
  PassUntil(sent + short_ttl);
  EXPECT_THAT(store().AliveWorkers().value_or(std::vector<std::string>{}),
              ElementsAre("long"));
  ASSERT_TRUE(store().Heartbeat("short", absl::Hours(1)).ok());
  EXPECT_THAT(store().AliveWorkers().value_or(std::vector<std::string>{}),
              ElementsAre("long", "short"));
}

TEST_P(StateStoreTest, ServiceHeartbeatsAreApartFromWorkers) {
  UseManualClock();
  const absl::Duration ttl = absl::Milliseconds(300);
  ASSERT_TRUE(store().Heartbeat("gw", absl::Hours(1)).ok());
  ASSERT_TRUE(store().ServiceHeartbeat("svc-b", ttl).ok());
  ASSERT_TRUE(store().ServiceHeartbeat("svc-a", absl::Hours(1)).ok());
  // The same name in both spaces is two things.
  ASSERT_TRUE(store().ServiceHeartbeat("gw", absl::Hours(1)).ok());
  const absl::Time sent = Now();
  EXPECT_THAT(store().AliveWorkers().value_or(std::vector<std::string>{}),
              ElementsAre("gw"));
  EXPECT_THAT(store().AliveServices().value_or(std::vector<std::string>{}),
              ElementsAre("gw", "svc-a", "svc-b"));
  PassUntil(sent + ttl);
  EXPECT_THAT(store().AliveServices().value_or(std::vector<std::string>{}),
              ElementsAre("gw", "svc-a"));
  EXPECT_THAT(store().ServiceHeartbeat("", ttl),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(StateStoreTest, LockTimesOutAndReportsMissingChannels) {
  // NATS: the lock is polled on the server, in real time.
  if (!ServerKeepsTime()) UseManualClock();
  for (const char* name : {"x", "y", "z"}) Create(Spec(name));
  const std::string a = Owner();
  const std::string b = Owner();
  ASSERT_TRUE(store().Lock(a, {"x"}, absl::Seconds(5)).ok());
  ASSERT_TRUE(store(1).Lock(b, {"z"}, absl::Seconds(5)).ok());
  const absl::Time start = Now();
  EXPECT_THAT(
      WhilePassing(
          absl::Milliseconds(200),
          [&] { return store(1).Lock(b, {"x"}, absl::Milliseconds(200)); }),
      StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_GE(Now() - start, absl::Milliseconds(190));
  // y is taken and given back; z, held before, stays held.
  EXPECT_THAT(
      WhilePassing(
          absl::Milliseconds(100),
          [&] {
            return store(1).Lock(b, {"z", "y", "x"}, absl::Milliseconds(100));
          }),
      StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(store(1).Lock(b, {"y", "missing"}, absl::Seconds(1)),
              StatusIs(absl::StatusCode::kNotFound));
  const std::string c = Owner();
  EXPECT_TRUE(store().Lock(c, {"y"}, absl::Milliseconds(500)).ok());
  EXPECT_TRUE(store(1).Commit(b, {Write("z", 1, "1")}).ok());
  EXPECT_THAT(store(1).Commit(b, {Write("y", 1, "1")}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // Locks held are kept by a new Lock of the same owner; unknown names are
  // ignored by Unlock.
  EXPECT_TRUE(store().Lock(a, {"x", "x"}, absl::Milliseconds(500)).ok());
  store().Unlock(a, {"y", "nope", "x"});
  EXPECT_TRUE(store(1).Lock(b, {"x"}, absl::Seconds(5)).ok());
  EXPECT_TRUE(store().Commit(c, {Write("y", 1, "2")}).ok());
  store().Unlock(c, {"y"});
  store(1).Unlock(b, {"x", "z"});
}

TEST_P(StateStoreTest, LeaseOfADeadHolderIsBroken) {
  const absl::Duration lease = absl::Milliseconds(500);
  UseLease(lease);
  // NATS: the lease is the server's MaxAge, so real time.
  if (!ServerKeepsTime()) UseManualClock();
  Create(Spec("x", "0"));
  const std::string dead = Owner();
  const absl::Time start = Now();
  ASSERT_TRUE(store().Lock(dead, {"x"}, absl::Seconds(5)).ok());
  // `dead` never unlocks; another replica gets the lock once the lease ran
  // out.
  const std::string next = Owner();
  ASSERT_TRUE(WhilePassing(lease, [&] {
                return store(1).Lock(next, {"x"}, absl::Seconds(10));
              }).ok());
  const absl::Duration waited = Now() - start;
  EXPECT_GE(waited, lease - absl::Milliseconds(50));
  Report("lease break wait", waited);
  EXPECT_THAT(store().Commit(dead, {Write("x", 1, "1")}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(store(1).Commit(next, {Write("x", 1, "2")}).ok());
  // The late Unlock of `dead` does not release `next`'s lock.
  store().Unlock(dead, {"x"});
  const std::string late = Owner();
  EXPECT_THAT(
      WhilePassing(
          absl::Milliseconds(100),
          [&] { return store().Lock(late, {"x"}, absl::Milliseconds(100)); }),
      StatusIs(absl::StatusCode::kDeadlineExceeded));
  // Commits renew the lease: `next` keeps the lock across several leases.
  for (int i = 0; i < 4; ++i) {
    Pass(lease / 3);
    ASSERT_TRUE(store(1).Commit(next, {Write("x", 2 + i, "3")}).ok()) << i;
  }
  store(1).Unlock(next, {"x"});
  EXPECT_EQ(MustGet("x").revision, 6u);
}

}  // namespace
}  // namespace cable::service::state_store_testing
