// A connection's subscriptions without a socket: streams, timers by
// generation, the state gate, and the wait for streams to go live.

#include "cable/gateway/subscription_set.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace cable::gateway {
namespace {

SharedFrame F(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

std::vector<std::string> Texts(const std::vector<SharedFrame>& frames) {
  std::vector<std::string> out;
  for (const auto& f : frames) out.push_back(*f);
  return out;
}

TEST(SubscriptionSet, AddsStreamsOnceAndRemovesThem) {
  SubscriptionSet set;
  auto& sub = set.Add("id", internal::v1::COMMAND_KIND_SUBSCRIBE);
  EXPECT_EQ(sub.opened_by, internal::v1::COMMAND_KIND_SUBSCRIBE);
  EXPECT_EQ(set.AddStreams(sub, {"a", "b"}),
            (std::vector<std::string>{"a", "b"}));
  // Already listed streams are not started again.
  EXPECT_EQ(set.AddStreams(sub, {"b", "c"}), (std::vector<std::string>{"c"}));
  EXPECT_TRUE(SubscriptionSet::RemoveStream(sub, "b"));
  EXPECT_FALSE(SubscriptionSet::RemoveStream(sub, "b"));
  EXPECT_EQ(set.Remove("id"), (std::vector<std::string>{"a", "c"}));
  EXPECT_FALSE(set.contains("id"));
  EXPECT_TRUE(set.Remove("id").empty());
}

TEST(SubscriptionSet, IdentifiersAreKeptByteForByte) {
  SubscriptionSet set;
  set.Add(R"({"channel":"A","x":1})", internal::v1::COMMAND_KIND_SUBSCRIBE);
  EXPECT_TRUE(set.contains(R"({"channel":"A","x":1})"));
  EXPECT_FALSE(set.contains(R"({"x":1,"channel":"A"})"));
}

TEST(SubscriptionSet, TimersAreKnownByGeneration) {
  SubscriptionSet set;
  auto& sub = set.Add("id", internal::v1::COMMAND_KIND_SUBSCRIBE);
  const auto first =
      set.set_timers(sub, {{std::chrono::milliseconds(100), "tick"}});
  EXPECT_TRUE(set.timer_current("id", first));
  // Replaced: a timer of the first generation that fires now is stale.
  const auto second =
      set.set_timers(sub, {{std::chrono::milliseconds(50), "tock"}});
  EXPECT_FALSE(set.timer_current("id", first));
  EXPECT_TRUE(set.timer_current("id", second));
  set.StopTimers(sub);
  EXPECT_FALSE(set.timer_current("id", second));
  // A subscription removed and made again does not revive old timers.
  const auto third =
      set.set_timers(sub, {{std::chrono::milliseconds(50), "tock"}});
  set.Remove("id");
  auto& again = set.Add("id", internal::v1::COMMAND_KIND_SUBSCRIBE);
  set.set_timers(again, {{std::chrono::milliseconds(50), "tock"}});
  EXPECT_FALSE(set.timer_current("id", third));
  EXPECT_FALSE(set.timer_current("other", third));
}

TEST(StateGate, HeldUpdatesWaitForTheSyncAndSkipWhatTheStateCovers) {
  StateGate gate;
  gate.Hold();
  EXPECT_EQ(gate.Offer({F("r1"), 1, true}, 10), StateGate::Verdict::kHeld);
  EXPECT_EQ(gate.Offer({F("r2"), 2, true}, 10), StateGate::Verdict::kHeld);
  EXPECT_EQ(gate.Offer({F("r3a"), 3, false}, 10), StateGate::Verdict::kHeld);
  EXPECT_EQ(gate.Offer({F("r3b"), 3, true}, 10), StateGate::Verdict::kHeld);
  // The sync's state is at revision 2: only what is newer goes out.
  EXPECT_EQ(Texts(gate.Release(2)), (std::vector<std::string>{"r3a", "r3b"}));
  EXPECT_FALSE(gate.held());
  // Live now; an update the client has (an overtaken trip) is dropped.
  EXPECT_EQ(gate.Offer({F("r3"), 3, true}, 10), StateGate::Verdict::kCovered);
  EXPECT_EQ(gate.Offer({F("r4"), 4, true}, 10), StateGate::Verdict::kSend);
  EXPECT_EQ(gate.Offer({F("plain"), 0, false}, 10), StateGate::Verdict::kSend);
}

TEST(StateGate, AFailedSyncDropsWhatWasHeldAndOverflowIsReported) {
  StateGate gate;
  gate.Hold();
  EXPECT_EQ(gate.Offer({F("a"), 1, true}, 1), StateGate::Verdict::kHeld);
  EXPECT_EQ(gate.Offer({F("b"), 2, true}, 1), StateGate::Verdict::kOverflow);
  EXPECT_TRUE(gate.Release(std::nullopt).empty());
  EXPECT_FALSE(gate.held());
}

TEST(StreamWait, SettlesWhenEveryStreamAnswered) {
  StreamWait wait;
  const auto gen = wait.Begin(2);
  EXPECT_TRUE(wait.waiting());
  EXPECT_FALSE(wait.Settle(gen, "a", absl::OkStatus()));
  EXPECT_TRUE(wait.Settle(gen, "b", absl::OkStatus()));
  EXPECT_FALSE(wait.waiting());
  EXPECT_TRUE(wait.status().ok());
}

TEST(StreamWait, RemembersTheFailuresAndIgnoresStaleAnswers) {
  StreamWait wait;
  const auto old = wait.Begin(1);
  wait.Abandon();  // the socket closed
  EXPECT_FALSE(wait.Settle(old, "a", absl::OkStatus()));
  const auto gen = wait.Begin(3);
  EXPECT_FALSE(wait.Settle(old, "a", absl::OkStatus()));  // stale
  EXPECT_FALSE(wait.Settle(gen, "a", absl::UnavailableError("down")));
  EXPECT_FALSE(wait.Settle(gen, "b", absl::OkStatus()));
  EXPECT_TRUE(wait.Settle(gen, "c", absl::DeadlineExceededError("slow")));
  EXPECT_EQ(wait.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(wait.failed(), (std::vector<std::string>{"a", "c"}));
  // A new wait starts clean.
  wait.Begin(1);
  EXPECT_TRUE(wait.status().ok());
  EXPECT_TRUE(wait.failed().empty());
}

}  // namespace
}  // namespace cable::gateway
