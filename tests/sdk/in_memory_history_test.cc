// InMemoryHistory's own behaviour, driven by a manual clock: entry times,
// trimming by age, expiry and Sweep, memory accounting, inline reads. The
// cases every History shares are in history_contract_test.cc.

#include "cable/in_memory_history.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/sdk/history_test_util.h"

namespace cable::history_testing {
namespace {

// Time moves only when a test says so.
class ManualClock {
 public:
  InMemoryHistory::Clock clock() {
    return [this] { return now_; };
  }
  absl::Time now() const { return now_; }
  void Advance(absl::Duration d) { now_ += d; }

 private:
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
};

TEST(InMemoryHistory, OffsetsCountFromOnePerStream) {
  ManualClock clock;
  InMemoryHistory history(Policy(100, absl::Minutes(5)), clock.clock());
  const StreamPosition a1 = MustAppend(history, "a", "a1");
  const StreamPosition b1 = MustAppend(history, "b", "b1");
  const StreamPosition a2 = MustAppend(history, "a", "a2");
  const StreamPosition a3 = MustAppend(history, "a", "a3");
  const StreamPosition b2 = MustAppend(history, "b", "b2");
  EXPECT_EQ(a1.offset, 1u);
  EXPECT_EQ(a2.offset, 2u);
  EXPECT_EQ(a3.offset, 3u);
  EXPECT_EQ(b1.offset, 1u);
  EXPECT_EQ(b2.offset, 2u);
  EXPECT_EQ(a1.epoch, a3.epoch);
  EXPECT_EQ(b1.epoch, b2.epoch);
  for (const std::string& epoch : {a1.epoch, b1.epoch}) {
    EXPECT_EQ(epoch.size(), 8u);
    for (char c : epoch) EXPECT_TRUE(absl::ascii_isalnum(c)) << epoch;
  }
  EXPECT_EQ(history.stream_count(), 2u);
}

TEST(InMemoryHistory, ReadsWhatFollowsAPosition) {
  ManualClock clock;
  InMemoryHistory history(Policy(100, absl::Minutes(5)), clock.clock());
  const std::string epoch = MustAppend(history, "chat", "one").epoch;
  clock.Advance(absl::Seconds(1));
  MustAppend(history, "chat", "two");
  clock.Advance(absl::Seconds(1));
  MustAppend(history, "chat", "three");

  absl::StatusOr<HistoryPage> page = ReadNow(history, "chat", After(epoch, 1));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->epoch, epoch);
  EXPECT_EQ(page->last_offset, 3u);
  ASSERT_EQ(page->entries.size(), 2u);
  EXPECT_EQ(page->entries[0].offset, 2u);
  EXPECT_EQ(page->entries[0].data, "two");
  EXPECT_EQ(page->entries[0].time, clock.now() - absl::Seconds(1));
  EXPECT_EQ(page->entries[1].offset, 3u);
  EXPECT_EQ(page->entries[1].data, "three");
  EXPECT_EQ(page->entries[1].time, clock.now());

  page = ReadNow(history, "chat", After(epoch, 0));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(Offsets(*page), (Offs{1, 2, 3}));
  page = ReadNow(history, "chat", After(epoch, 3));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_TRUE(page->entries.empty());
  EXPECT_EQ(page->last_offset, 3u);
  // Neither `after` nor `since`: everything kept.
  page = ReadNow(history, "chat", HistoryQuery{});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(Offsets(*page), (Offs{1, 2, 3}));
}

TEST(InMemoryHistory, EntriesExpireByAge) {
  ManualClock clock;
  InMemoryHistory history(Policy(100, absl::Minutes(1)), clock.clock());
  const std::string epoch = MustAppend(history, "chat", "one").epoch;
  clock.Advance(absl::Seconds(30));
  MustAppend(history, "chat", "two");
  clock.Advance(absl::Seconds(29));
  absl::StatusOr<HistoryPage> page = ReadNow(history, "chat", After(epoch, 0));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(Offsets(*page), (Offs{1, 2}));

  clock.Advance(absl::Seconds(1));  // "one" is a minute old
  page = ReadNow(history, "chat", After(epoch, 1));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(Offsets(*page), (Offs{2}));
  page = ReadNow(history, "chat", After(epoch, 0));
  EXPECT_EQ(page.status().code(), absl::StatusCode::kOutOfRange);
}

TEST(InMemoryHistory, EpochStaysUntilTheStreamExpiresThenChanges) {
  ManualClock clock;
  InMemoryHistory history(Policy(100, absl::Minutes(1)), clock.clock());
  const StreamPosition first = MustAppend(history, "chat", "one");
  clock.Advance(absl::Seconds(50));
  const StreamPosition second = MustAppend(history, "chat", "two");
  EXPECT_EQ(second.epoch, first.epoch);
  EXPECT_EQ(second.offset, 2u);
  clock.Advance(absl::Seconds(59));  // "two" is still kept
  EXPECT_EQ(MustAppend(history, "chat", "three").epoch, first.epoch);

  clock.Advance(absl::Minutes(1));  // everything expired: history lost
  const StreamPosition reborn = MustAppend(history, "chat", "four");
  EXPECT_NE(reborn.epoch, first.epoch);
  EXPECT_EQ(reborn.offset, 1u);
  absl::StatusOr<HistoryPage> page =
      ReadNow(history, "chat", After(first.epoch, 3));
  EXPECT_EQ(page.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(history.stream_count(), 1u);
}

TEST(InMemoryHistory, AnExpiredStreamIsUnknownEvenBeforeSweep) {
  ManualClock clock;
  InMemoryHistory history(Policy(100, absl::Minutes(1)), clock.clock());
  const StreamPosition pos = MustAppend(history, "chat", "one");
  clock.Advance(absl::Minutes(1));
  absl::StatusOr<HistoryPage> page =
      ReadNow(history, "chat", After(pos.epoch, 1));
  EXPECT_EQ(page.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StartsWith(page.status().message(), "epoch changed"))
      << page.status();
  EXPECT_EQ(history.stream_count(), 0u);
  EXPECT_EQ(history.kept_bytes(), 0u);
}

TEST(InMemoryHistory, AnUnknownStreamWithAPositionIsFailedPrecondition) {
  InMemoryHistory history(Policy(100, absl::Minutes(1)));
  absl::StatusOr<HistoryPage> page =
      ReadNow(history, "never", After("AAAAAAAA", 0));
  EXPECT_EQ(page.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(history.stream_count(), 0u);  // nothing created
}

TEST(InMemoryHistory, AnUnknownStreamReadSinceReportsTheEpochToCome) {
  ManualClock clock;
  InMemoryHistory history(Policy(100, absl::Minutes(1)), clock.clock());
  absl::StatusOr<HistoryPage> page =
      ReadNow(history, "chat", Since(clock.now() - absl::Hours(1)));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_TRUE(page->entries.empty());
  EXPECT_EQ(page->last_offset, 0u);
  ASSERT_FALSE(page->epoch.empty());
  // The reader may now wait for offset 1 of that epoch.
  clock.Advance(absl::Seconds(59));
  const StreamPosition pos = MustAppend(history, "chat", "one");
  EXPECT_EQ(pos.epoch, page->epoch);
  EXPECT_EQ(pos.offset, 1u);
  absl::StatusOr<HistoryPage> after =
      ReadNow(history, "chat", After(page->epoch, 0));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(Offsets(*after), (Offs{1}));

  // A stream only read expires ttl after its creation.
  absl::StatusOr<HistoryPage> other = ReadNow(history, "other", HistoryQuery{});
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(history.stream_count(), 2u);
  clock.Advance(absl::Minutes(1));
  EXPECT_EQ(history.Sweep(), 2u);
  EXPECT_EQ(history.stream_count(), 0u);
}

TEST(InMemoryHistory, SinceSelectsByTime) {
  ManualClock clock;
  InMemoryHistory history(Policy(100, absl::Minutes(5)), clock.clock());
  const absl::Time t0 = clock.now();
  MustAppend(history, "chat", "one");
  clock.Advance(absl::Seconds(10));
  MustAppend(history, "chat", "two");
  clock.Advance(absl::Seconds(10));
  MustAppend(history, "chat", "three");

  auto since = [&](absl::Time t, std::size_t limit = 0) {
    absl::StatusOr<HistoryPage> page =
        ReadNow(history, "chat", Since(t, limit));
    EXPECT_TRUE(page.ok()) << page.status();
    if (page.ok()) {
      EXPECT_EQ(page->last_offset, 3u);
    }
    return page.ok() ? Offsets(*page) : Offs{};
  };
  EXPECT_EQ(since(t0 - absl::Hours(1)), (Offs{1, 2, 3}));
  EXPECT_EQ(since(t0), (Offs{1, 2, 3}));
  EXPECT_EQ(since(t0 + absl::Nanoseconds(1)), (Offs{2, 3}));
  EXPECT_EQ(since(t0 + absl::Seconds(10)), (Offs{2, 3}));
  EXPECT_EQ(since(t0 + absl::Seconds(20)), (Offs{3}));
  EXPECT_EQ(since(t0 + absl::Seconds(21)), (Offs{}));
  EXPECT_EQ(since(absl::InfiniteFuture()), (Offs{}));
  EXPECT_EQ(since(t0, 2), (Offs{1, 2}));
}

TEST(InMemoryHistory, StreamsWithoutHistoryRefuseBoth) {
  InMemoryHistory history(Policy(100, absl::Minutes(5), "ticker:*=0"));
  for (absl::string_view stream : {"ticker:AAPL", "$state:chat:1"}) {
    absl::StatusOr<StreamPosition> pos = history.Append(stream, "x");
    EXPECT_EQ(pos.status().code(), absl::StatusCode::kFailedPrecondition)
        << stream;
    absl::StatusOr<HistoryPage> page = ReadNow(history, stream, HistoryQuery{});
    EXPECT_EQ(page.status().code(), absl::StatusCode::kFailedPrecondition)
        << stream;
  }
  EXPECT_EQ(history.stream_count(), 0u);
}

TEST(InMemoryHistory, OverridesApplyPerStream) {
  ManualClock clock;
  InMemoryHistory history(Policy(100, absl::Hours(1), "logs:*=2/30s"),
                          clock.clock());
  for (int i = 0; i < 3; ++i) {
    MustAppend(history, "logs:web", "l");
    MustAppend(history, "chat", "c");
  }
  absl::StatusOr<HistoryPage> logs =
      ReadNow(history, "logs:web", HistoryQuery{});
  ASSERT_TRUE(logs.ok()) << logs.status();
  EXPECT_EQ(Offsets(*logs), (Offs{2, 3}));
  clock.Advance(absl::Seconds(30));
  EXPECT_EQ(history.Sweep(), 1u);  // logs:web expired, chat kept
  absl::StatusOr<HistoryPage> chat = ReadNow(history, "chat", HistoryQuery{});
  ASSERT_TRUE(chat.ok()) << chat.status();
  EXPECT_EQ(Offsets(*chat), (Offs{1, 2, 3}));
}

TEST(InMemoryHistory, SweepReturnsTheMemoryOfOneOffStreams) {
  ManualClock clock;
  InMemoryHistory history(Policy(10, absl::Minutes(1)), clock.clock());
  const std::string data(100, 'x');
  for (int i = 0; i < 10000; ++i) {
    MustAppend(history, absl::StrCat("once:", i), data);
  }
  EXPECT_EQ(history.stream_count(), 10000u);
  // Close to the data: the bytes and a small fixed overhead per entry.
  EXPECT_GE(history.kept_bytes(), 10000 * data.size());
  EXPECT_LE(history.kept_bytes(), 10000 * (data.size() + 64));

  clock.Advance(absl::Seconds(30));
  MustAppend(history, "live", data);
  EXPECT_EQ(history.Sweep(), 0u);
  clock.Advance(absl::Seconds(30));
  EXPECT_EQ(history.Sweep(), 10000u);
  EXPECT_EQ(history.stream_count(), 1u);
  EXPECT_LE(history.kept_bytes(), data.size() + 64);
  clock.Advance(absl::Seconds(30));
  EXPECT_EQ(history.Sweep(), 1u);
  EXPECT_EQ(history.stream_count(), 0u);
  EXPECT_EQ(history.kept_bytes(), 0u);
}

TEST(InMemoryHistory, SweepDropsExpiredEntriesOfLiveStreams) {
  ManualClock clock;
  InMemoryHistory history(Policy(100, absl::Minutes(1)), clock.clock());
  MustAppend(history, "chat", std::string(1000, 'a'));
  clock.Advance(absl::Seconds(40));
  MustAppend(history, "chat", std::string(10, 'b'));
  const std::size_t both = history.kept_bytes();
  clock.Advance(absl::Seconds(20));
  EXPECT_EQ(history.Sweep(), 0u);
  EXPECT_LE(history.kept_bytes(), both - 1000);
  EXPECT_EQ(history.stream_count(), 1u);
}

TEST(InMemoryHistory, ALimitTrimReturnsMemory) {
  InMemoryHistory history(Policy(2, absl::Minutes(1)));
  for (int i = 0; i < 100; ++i) {
    MustAppend(history, "chat", std::string(1000, 'x'));
  }
  EXPECT_LE(history.kept_bytes(), 2 * (1000 + 64));
}

TEST(InMemoryHistory, TimesStayInOrderWhenTheClockStepsBack) {
  ManualClock clock;
  InMemoryHistory history(Policy(100, absl::Minutes(1)), clock.clock());
  const absl::Time t0 = clock.now();
  MustAppend(history, "chat", "one");
  clock.Advance(-absl::Seconds(10));
  MustAppend(history, "chat", "two");
  absl::StatusOr<HistoryPage> page = ReadNow(history, "chat", Since(t0));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(Offsets(*page), (Offs{1, 2}));
  EXPECT_EQ(page->entries[1].time, t0);
}

TEST(InMemoryHistory, ReadCompletesInlineAndMayCallBack) {
  InMemoryHistory history(Policy(100, absl::Minutes(1)));
  MustAppend(history, "chat", "one");
  bool ran = false;
  history.Read("chat", HistoryQuery{}, [&](absl::StatusOr<HistoryPage> page) {
    ASSERT_TRUE(page.ok());
    // No lock is held: appending from the callback does not deadlock.
    EXPECT_EQ(MustAppend(history, "chat", "two").offset, 2u);
    ran = true;
  });
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace cable::history_testing
