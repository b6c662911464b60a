// HistoryGate: an extended-protocol subscription's positioned frames, live
// and replayed, each sent at most once and in offset order.
#include "cable/gateway/history_gate.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace cable::gateway {
namespace {

SharedFrame F(const std::string& s) {
  return std::make_shared<const std::string>(s);
}

std::vector<std::string> Texts(const std::vector<SharedFrame>& frames) {
  std::vector<std::string> out;
  for (const auto& f : frames) out.push_back(*f);
  return out;
}

TEST(HistoryGate, LiveFramesPassOnceInOrder) {
  HistoryGate gate;
  EXPECT_EQ(gate.Offer("a", "e", 1, F("a1"), 10), HistoryGate::Verdict::kSend);
  EXPECT_EQ(gate.Offer("a", "e", 2, F("a2"), 10), HistoryGate::Verdict::kSend);
  // A frame the client has (a second subscription path, a replay) is not
  // sent again.
  EXPECT_EQ(gate.Offer("a", "e", 2, F("a2"), 10),
            HistoryGate::Verdict::kDuplicate);
  EXPECT_EQ(gate.Offer("a", "e", 1, F("a1"), 10),
            HistoryGate::Verdict::kDuplicate);
  // Streams are counted apart.
  EXPECT_EQ(gate.Offer("b", "e", 1, F("b1"), 10), HistoryGate::Verdict::kSend);
  EXPECT_EQ(gate.sent("a"), 2u);
  EXPECT_EQ(gate.sent("b"), 1u);
  EXPECT_EQ(gate.sent("c"), 0u);
}

TEST(HistoryGate, ReplayThenHeldFramesWithoutGapOrDuplicate) {
  HistoryGate gate;
  gate.Hold();
  EXPECT_TRUE(gate.held());
  // Live frames 5..7 arrive while history is read...
  EXPECT_EQ(gate.Offer("s", "e", 5, F("5"), 10), HistoryGate::Verdict::kHeld);
  EXPECT_EQ(gate.Offer("s", "e", 6, F("6"), 10), HistoryGate::Verdict::kHeld);
  EXPECT_EQ(gate.Offer("s", "e", 7, F("7"), 10), HistoryGate::Verdict::kHeld);
  // ...and the history read covered 3..6 (it ran after 6 was published).
  for (std::uint64_t offset : {3u, 4u, 5u, 6u}) {
    EXPECT_TRUE(gate.Replay("s", "e", offset));
  }
  // Only 7 is still missing.
  EXPECT_EQ(Texts(gate.Release()), std::vector<std::string>{"7"});
  EXPECT_FALSE(gate.held());
  EXPECT_EQ(gate.Offer("s", "e", 8, F("8"), 10), HistoryGate::Verdict::kSend);
}

TEST(HistoryGate, ReplaySkipsWhatWasSentLive) {
  HistoryGate gate;
  EXPECT_EQ(gate.Offer("s", "e", 4, F("4"), 10), HistoryGate::Verdict::kSend);
  gate.Hold();
  EXPECT_FALSE(gate.Replay("s", "e", 3));
  EXPECT_FALSE(gate.Replay("s", "e", 4));
  EXPECT_TRUE(gate.Replay("s", "e", 5));
  EXPECT_TRUE(gate.Release().empty());
}

TEST(HistoryGate, AFailedReplayReleasesEverythingHeld) {
  HistoryGate gate;
  gate.Hold();
  gate.Offer("s", "e", 9, F("9"), 10);
  gate.Offer("t", "e", 2, F("t2"), 10);
  EXPECT_EQ(Texts(gate.Release()), (std::vector<std::string>{"9", "t2"}));
}

TEST(HistoryGate, ANewEpochStartsTheCountOver) {
  HistoryGate gate;
  EXPECT_EQ(gate.Offer("s", "e", 57, F("57"), 10), HistoryGate::Verdict::kSend);
  // The stream's history expired: its next message is offset 1 of a new
  // epoch, and the client must get it.
  EXPECT_EQ(gate.Offer("s", "f", 1, F("1"), 10), HistoryGate::Verdict::kSend);
  EXPECT_EQ(gate.Offer("s", "f", 1, F("1"), 10),
            HistoryGate::Verdict::kDuplicate);
  EXPECT_EQ(gate.sent("s"), 1u);
}

TEST(HistoryGate, HoldingIsBounded) {
  HistoryGate gate;
  gate.Hold();
  EXPECT_EQ(gate.Offer("s", "e", 1, F("1"), 2), HistoryGate::Verdict::kHeld);
  EXPECT_EQ(gate.Offer("s", "e", 2, F("2"), 2), HistoryGate::Verdict::kHeld);
  EXPECT_EQ(gate.Offer("s", "e", 3, F("3"), 2),
            HistoryGate::Verdict::kOverflow);
}

}  // namespace
}  // namespace cable::gateway
