// The NATS state store's local lock table (service/nats_state_lock_table.h)
// on a ManualClock: who waits for whom, leases, timeouts. No server.

#include "service/nats_state_lock_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <thread>

#include "tests/service/test_util.h"

namespace cable::service::nats_state {
namespace {

using ::cable::service::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::Duration kLease = absl::Seconds(10);

MATCHER_P(Is, reserved, "") { return arg.ok() && *arg == reserved; }

class LockTableTest : public ::testing::Test {
 protected:
  absl::StatusOr<LockTable::Reserved> Reserve(const std::string& owner,
                                              const std::string& name,
                                              absl::Duration timeout) {
    return table_.Reserve(owner, name, clock_.Now() + timeout, timeout);
  }
  // Reserves and takes `name` for `owner` at entry sequence `seq`.
  void Take(const std::string& owner, const std::string& name,
            std::uint64_t seq) {
    ASSERT_THAT(Reserve(owner, name, absl::ZeroDuration()),
                Is(LockTable::Reserved::kReserved));
    table_.Acquired(name, owner, seq, clock_.Now());
  }

  ManualClock clock_;
  LockTable table_{clock_, kLease};
};

TEST_F(LockTableTest, FreeIsReservedHeldIsAlreadyHeld) {
  EXPECT_THAT(table_.Find("a", "x").holder, LockTable::Holder::kNone);
  ASSERT_THAT(Reserve("a", "x", absl::ZeroDuration()),
              Is(LockTable::Reserved::kReserved));
  // Reserved, not yet taken in NATS: nobody's to commit with.
  EXPECT_EQ(table_.Find("a", "x").holder, LockTable::Holder::kOther);
  table_.Acquired("x", "a", 5, clock_.Now());
  const LockTable::Lookup found = table_.Find("a", "x");
  EXPECT_EQ(found.holder, LockTable::Holder::kOwner);
  EXPECT_EQ(found.seq, 5u);
  EXPECT_EQ(table_.Find("b", "x").holder, LockTable::Holder::kOther);
  EXPECT_THAT(Reserve("a", "x", absl::ZeroDuration()),
              Is(LockTable::Reserved::kAlreadyHeld));
}

TEST_F(LockTableTest, AnotherOwnerTimesOutOnTheClock) {
  Take("a", "x", 1);
  absl::StatusOr<LockTable::Reserved> result;
  std::thread waiter([&] { result = Reserve("b", "x", absl::Seconds(2)); });
  clock_.AwaitWaiters(1);
  clock_.Advance(absl::Seconds(2));
  waiter.join();
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kDeadlineExceeded,
                               HasSubstr("channel \"x\"")));
  EXPECT_EQ(table_.Find("a", "x").holder, LockTable::Holder::kOwner);
}

TEST_F(LockTableTest, DropWakesTheNextOwner) {
  Take("a", "x", 1);
  absl::StatusOr<LockTable::Reserved> result;
  std::thread waiter([&] { result = Reserve("b", "x", absl::Seconds(5)); });
  clock_.AwaitWaiters(1);
  // A drop by someone else's name changes nothing.
  table_.Drop({"x"}, "c");
  table_.Drop({"x"}, "a");
  waiter.join();
  EXPECT_THAT(result, Is(LockTable::Reserved::kReserved));
  // b's reservation: a's late drop leaves it alone.
  table_.Drop({"x"}, "a");
  EXPECT_THAT(table_.HeldBy("b", {"x"}),
              ElementsAre(::testing::Field(&LockTable::Entry::seq, 0u)));
}

TEST_F(LockTableTest, AnExpiredLeaseIsTakenOver) {
  Take("a", "x", 1);
  absl::StatusOr<LockTable::Reserved> result;
  std::thread waiter([&] { result = Reserve("b", "x", absl::Minutes(1)); });
  clock_.AwaitWaiters(1);
  // The waiter wakes when the lease it saw runs out, not at its deadline.
  clock_.Advance(kLease);
  waiter.join();
  EXPECT_THAT(result, Is(LockTable::Reserved::kReserved));
  EXPECT_TRUE(table_.HeldBy("a", {"x"}).empty());
  // The old holder's own lease ran out too: it reserves afresh.
  table_.Acquired("x", "b", 2, clock_.Now());
  EXPECT_EQ(table_.Find("a", "x").holder, LockTable::Holder::kOther);
}

TEST_F(LockTableTest, RenewalKeepsTheLease) {
  Take("a", "x", 1);
  clock_.Advance(kLease - absl::Seconds(1));
  table_.Renewed("x", "a", 7, clock_.Now());
  clock_.Advance(absl::Seconds(5));
  // Within the renewed lease: still held, and another owner would wait.
  EXPECT_THAT(Reserve("a", "x", absl::ZeroDuration()),
              Is(LockTable::Reserved::kAlreadyHeld));
  EXPECT_EQ(table_.Find("a", "x").seq, 7u);
  EXPECT_THAT(Reserve("b", "x", absl::ZeroDuration()),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  // A renewal for an owner that no longer holds it changes nothing.
  table_.Renewed("x", "b", 9, clock_.Now());
  EXPECT_EQ(table_.Find("a", "x").seq, 7u);
}

TEST_F(LockTableTest, HeldByAndUntracked) {
  Take("a", "x", 3);
  ASSERT_TRUE(Reserve("a", "y", absl::ZeroDuration()).ok());
  Take("b", "z", 4);
  const std::vector<LockTable::Entry> held =
      table_.HeldBy("a", {"x", "y", "z", "w"});
  ASSERT_EQ(held.size(), 2u);
  EXPECT_EQ(held[0].name, "x");
  EXPECT_EQ(held[0].seq, 3u);
  EXPECT_EQ(held[1].name, "y");
  EXPECT_EQ(held[1].seq, 0u);
  EXPECT_THAT(table_.Untracked({"x", "w", "z", "v"}), ElementsAre("w", "v"));
}

TEST_F(LockTableTest, KnownChannels) {
  EXPECT_FALSE(table_.Known("x"));
  table_.Remember("x");
  EXPECT_TRUE(table_.Known("x"));
  EXPECT_FALSE(table_.Known("y"));
}

}  // namespace
}  // namespace cable::service::nats_state
