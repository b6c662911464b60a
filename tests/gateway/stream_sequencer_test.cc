// StreamSequencer: positioned broadcasts in offset order whatever order the
// pub/sub brings them in, holes filled from the history or skipped.
#include "cable/gateway/stream_sequencer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cable::gateway {
namespace {

std::vector<std::uint64_t> Offsets(const StreamSequencer::Step& step) {
  std::vector<std::uint64_t> out;
  for (const auto& m : step.deliver) out.push_back(m.offset);
  return out;
}

StreamPosition At(std::uint64_t offset, const char* epoch = "e") {
  return {epoch, offset};
}

HistoryPage Page(std::vector<std::uint64_t> offsets, const char* epoch = "e") {
  HistoryPage page;
  page.epoch = epoch;
  for (auto o : offsets) page.entries.push_back({o, absl::Now(), "h"});
  return page;
}

using Offs = std::vector<std::uint64_t>;

TEST(StreamSequencer, InOrderMessagesPassAtOnce) {
  StreamSequencer seq;
  // The first message seen sets where the stream is, whatever its offset.
  EXPECT_EQ(Offsets(seq.Offer(At(41), "a")), Offs{41});
  EXPECT_EQ(Offsets(seq.Offer(At(42), "b")), Offs{42});
  auto step = seq.Offer(At(43), "c");
  EXPECT_EQ(Offsets(step), Offs{43});
  EXPECT_EQ(step.deliver[0].data, "c");
  EXPECT_FALSE(step.fetch_after.has_value());
  EXPECT_EQ(seq.next(), 44u);
}

TEST(StreamSequencer, DuplicatesAreDropped) {
  StreamSequencer seq;
  seq.Offer(At(1), "a");
  seq.Offer(At(2), "b");
  EXPECT_TRUE(seq.Offer(At(2), "b").deliver.empty());
  EXPECT_TRUE(seq.Offer(At(1), "a").deliver.empty());
}

TEST(StreamSequencer, ReorderedMessagesWaitAndTheHoleIsFetched) {
  StreamSequencer seq;
  seq.Offer(At(1), "1");
  // 3 overtook 2 (another replica published it): 3 waits, 2 is fetched.
  auto step = seq.Offer(At(3), "3");
  EXPECT_TRUE(step.deliver.empty());
  ASSERT_TRUE(step.fetch_after.has_value());
  EXPECT_EQ(*step.fetch_after, At(1));
  // 4 comes meanwhile: waits too, no second fetch.
  step = seq.Offer(At(4), "4");
  EXPECT_TRUE(step.deliver.empty());
  EXPECT_FALSE(step.fetch_after.has_value());
  // 2 arrives live before the fetch answers: the run goes out.
  EXPECT_EQ(Offsets(seq.Offer(At(2), "2")), (Offs{2, 3, 4}));
  // The fetch's page then brings nothing new.
  EXPECT_TRUE(seq.Fetched(Page({2, 3, 4})).deliver.empty());
  EXPECT_EQ(Offsets(seq.Offer(At(5), "5")), Offs{5});
}

TEST(StreamSequencer, TheHistoryFillsAHoleAPublisherLeft) {
  StreamSequencer seq;
  seq.Offer(At(1), "1");
  auto step = seq.Offer(At(3), "3");
  ASSERT_TRUE(step.fetch_after.has_value());
  // The publisher of 2 died after keeping it: only the history has it.
  step = seq.Fetched(Page({2, 3}));
  EXPECT_EQ(Offsets(step), (Offs{2, 3}));
  EXPECT_EQ(step.deliver[0].data, "h");
  EXPECT_EQ(step.deliver[1].data, "3");  // the live copy, already here
  EXPECT_TRUE(seq.Offer(At(2), "2").deliver.empty());  // late live copy
}

TEST(StreamSequencer, AHoleTheHistoryCannotFillIsSkipped) {
  StreamSequencer seq;
  seq.Offer(At(1), "1");
  seq.Offer(At(4), "4");
  seq.Offer(At(5), "5");
  // An unreachable history is asked again, then the hole is given up.
  for (int attempt = 1; attempt < StreamSequencer::kFetchAttempts; ++attempt) {
    auto retry = seq.Fetched(absl::UnavailableError("history unreachable"));
    EXPECT_TRUE(retry.deliver.empty());
    ASSERT_TRUE(retry.fetch_after.has_value());
    EXPECT_EQ(*retry.fetch_after, At(1));
  }
  auto step = seq.Fetched(absl::UnavailableError("history unreachable"));
  EXPECT_EQ(Offsets(step), (Offs{4, 5}));
  EXPECT_FALSE(step.fetch_after.has_value());
  EXPECT_EQ(seq.next(), 6u);
  // The trimmed case: the history says so.
  seq.Offer(At(8), "8");
  step = seq.Fetched(absl::OutOfRangeError("history trimmed"));
  EXPECT_EQ(Offsets(step), (Offs{8}));
  EXPECT_EQ(seq.next(), 9u);
}

TEST(StreamSequencer, APageOlderThanANewHoleIsNotTakenForItsAnswer) {
  StreamSequencer seq;
  seq.Offer(At(1), "1");
  auto step = seq.Offer(At(3), "3");  // hole at 2: fetch
  ASSERT_TRUE(step.fetch_after.has_value());
  EXPECT_EQ(Offsets(seq.Offer(At(2), "2")), (Offs{2, 3}));  // filled live
  // A second hole opens (5 came before 4) while the first read is out.
  step = seq.Offer(At(5), "5");
  EXPECT_TRUE(step.deliver.empty());
  EXPECT_FALSE(step.fetch_after.has_value());  // one read at a time
  // The first read answers with what was kept when it ran: up to 3. It
  // says nothing about 4, which is asked for, not skipped.
  step = seq.Fetched(Page({2, 3}));
  EXPECT_TRUE(step.deliver.empty());
  ASSERT_TRUE(step.fetch_after.has_value());
  EXPECT_EQ(*step.fetch_after, At(3));
  EXPECT_EQ(Offsets(seq.Fetched(Page({4, 5}))), (Offs{4, 5}));
}

TEST(StreamSequencer, ANewEpochStartsOver) {
  StreamSequencer seq;
  seq.Offer(At(10), "10");
  seq.Offer(At(12), "12");  // waits for 11
  auto step = seq.Offer(At(1, "f"), "new");
  EXPECT_EQ(Offsets(step), Offs{1});
  EXPECT_EQ(step.epoch, "f");
  EXPECT_EQ(seq.next(), 2u);
  // A page of the old epoch fills nothing.
  EXPECT_TRUE(seq.Fetched(Page({11, 12}, "e")).deliver.empty());
}

TEST(StreamSequencer, TooManyWaitingSkipsTheHole) {
  StreamSequencer seq;
  seq.Offer(At(1), "1");
  StreamSequencer::Step step;
  for (std::uint64_t o = 3; o <= 3 + StreamSequencer::kMaxWaiting; ++o) {
    step = seq.Offer(At(o), "x");
  }
  EXPECT_EQ(step.deliver.size(), StreamSequencer::kMaxWaiting + 1);
  EXPECT_EQ(seq.next(), 4 + StreamSequencer::kMaxWaiting);
}

}  // namespace
}  // namespace cable::gateway

namespace cable::gateway {
namespace {

HistoryPage LastAt(std::uint64_t last, const char* epoch = "e") {
  HistoryPage page;
  page.epoch = epoch;
  page.last_offset = last;
  return page;
}

TEST(StreamSequencerAnchor, TheRaceOfTwoPublishersLosesNothing) {
  StreamSequencer seq;
  seq.BeginAnchor();  // live; the history says nothing was published yet
  // Offset 2 (through one replica) overtakes offset 1 (through another).
  EXPECT_TRUE(seq.Offer(At(2), "2").deliver.empty());
  auto step = seq.Anchored(LastAt(0));
  EXPECT_TRUE(step.deliver.empty());
  ASSERT_TRUE(step.fetch_after.has_value());  // 1 is a hole: fetch it
  EXPECT_EQ(*step.fetch_after, At(0));
  EXPECT_EQ(Offsets(seq.Offer(At(1), "1")), (Offs{1, 2}));
}

TEST(StreamSequencerAnchor, AStreamWithNoHistoryYetStartsAtOne) {
  StreamSequencer seq;
  seq.BeginAnchor();
  EXPECT_TRUE(seq.Anchored(HistoryPage{}).deliver.empty());  // epoch ""
  // Its first append's epoch is taken; 2 overtook 1 and waits for it.
  auto step = seq.Offer(At(2, "new"), "2");
  EXPECT_TRUE(step.deliver.empty());
  ASSERT_TRUE(step.fetch_after.has_value());
  EXPECT_EQ(*step.fetch_after, At(0, "new"));
  EXPECT_EQ(Offsets(seq.Offer(At(1, "new"), "1")), (Offs{1, 2}));
  // The same with 2 already waiting when the page comes.
  StreamSequencer held;
  held.BeginAnchor();
  held.Offer(At(2, "new"), "2");
  EXPECT_TRUE(held.Anchored(HistoryPage{}).deliver.empty());
  EXPECT_EQ(Offsets(held.Offer(At(1, "new"), "1")), (Offs{1, 2}));
}

TEST(StreamSequencerAnchor, StartsAfterTheHistorysLastOffset) {
  StreamSequencer seq;
  seq.BeginAnchor();
  EXPECT_TRUE(seq.Anchored(LastAt(40)).deliver.empty());
  EXPECT_EQ(seq.next(), 41u);
  EXPECT_EQ(Offsets(seq.Offer(At(41), "a")), Offs{41});
  // Kept before the read, published after the stream went live: had
  // nothing been delivered yet it would start there; now it is late.
  EXPECT_TRUE(seq.Offer(At(40), "late").deliver.empty());
}

TEST(StreamSequencerAnchor, AMessageKeptBeforeTheReadStillGoesOut) {
  StreamSequencer seq;
  seq.BeginAnchor();
  EXPECT_TRUE(seq.Offer(At(5), "5").deliver.empty());
  // The read saw 5 kept already; its broadcast came after the stream went
  // live, so the subscribers get it.
  EXPECT_EQ(Offsets(seq.Anchored(LastAt(5))), Offs{5});
  StreamSequencer later;
  later.BeginAnchor();
  EXPECT_TRUE(later.Anchored(LastAt(5)).deliver.empty());
  // Nothing delivered yet: 5 arriving now moves the start back.
  EXPECT_EQ(Offsets(later.Offer(At(5), "5")), Offs{5});
  EXPECT_EQ(Offsets(later.Offer(At(6), "6")), Offs{6});
}

TEST(StreamSequencerAnchor, WithoutHistoryTheFirstMessageSetsTheStart) {
  StreamSequencer seq;
  seq.BeginAnchor();
  seq.Offer(At(7), "7");
  seq.Offer(At(9), "9");
  auto step = seq.Anchored(absl::FailedPreconditionError("keeps none"));
  EXPECT_EQ(Offsets(step), Offs{7});
  ASSERT_TRUE(step.fetch_after.has_value());  // 8 is missing
  // Another epoch in the page than in the messages: the messages win.
  StreamSequencer other;
  other.BeginAnchor();
  other.Offer(At(3, "new"), "3");
  EXPECT_EQ(Offsets(other.Anchored(LastAt(90, "old"))), Offs{3});
  // A read that never ends: past kMaxWaiting held messages, they go.
  StreamSequencer stuck;
  stuck.BeginAnchor();
  StreamSequencer::Step last;
  for (std::uint64_t o = 1; o <= StreamSequencer::kMaxWaiting + 1; ++o) {
    last = stuck.Offer(At(o), "m");
  }
  EXPECT_EQ(last.deliver.size(), StreamSequencer::kMaxWaiting + 1);
  EXPECT_TRUE(stuck.Anchored(LastAt(0)).deliver.empty());  // ignored now
  EXPECT_EQ(stuck.next(), StreamSequencer::kMaxWaiting + 2);
}

}  // namespace
}  // namespace cable::gateway
