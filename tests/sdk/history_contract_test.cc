// The History contract (cable/history.h), the same cases on every
// implementation: InMemoryHistory (the reference) and JetStreamHistory on
// a real nats-server. Cases driven by a manual clock (expiry, Sweep) are
// InMemoryHistory's own (in_memory_history_test.cc); JetStream's own cases
// (several processes, restarts, lost streams) are in
// jetstream_history_test.cc.

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "tests/sdk/history_backends.h"
#include "tests/sdk/history_test_util.h"

namespace cable::history_testing {
namespace {

class HistoryContractTest : public ::testing::TestWithParam<HistoryFactory> {
 protected:
  History& Make(HistoryPolicy policy) {
    backend_ = GetParam().make(std::move(policy));
    return backend_->Instance(0);
  }
  HistoryBackend& backend() { return *backend_; }

 private:
  std::unique_ptr<HistoryBackend> backend_;
};

TEST_P(HistoryContractTest, OffsetsCountFromOnePerStream) {
  History& history = Make(Policy(100, absl::Minutes(5)));
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
  EXPECT_NE(a1.epoch, b1.epoch);
  for (const std::string& epoch : {a1.epoch, b1.epoch}) {
    EXPECT_EQ(epoch.size(), 8u);
    for (char c : epoch) EXPECT_TRUE(absl::ascii_isalnum(c)) << epoch;
  }
}

TEST_P(HistoryContractTest, StreamNamesAreKeptApart) {
  // Names that a careless subject mapping would merge.
  History& history = Make(Policy(100, absl::Minutes(5)));
  const std::vector<std::string> names = {
      "chat.1", "chat_2E1", "chat 1", "chat*", "chat>", "", "é"};
  for (const std::string& name : names) MustAppend(history, name, name);
  for (const std::string& name : names) {
    absl::StatusOr<HistoryPage> page = ReadNow(history, name, HistoryQuery{});
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_EQ(page->entries.size(), 1u) << name;
    EXPECT_EQ(page->entries[0].data, name);
  }
}

TEST_P(HistoryContractTest, ReadsWhatFollowsAPosition) {
  History& history = Make(Policy(100, absl::Minutes(5)));
  const std::string epoch = MustAppend(history, "chat", "one").epoch;
  MustAppend(history, "chat", "two");
  MustAppend(history, "chat", "three");

  absl::StatusOr<HistoryPage> page = ReadNow(history, "chat", After(epoch, 1));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->epoch, epoch);
  EXPECT_EQ(page->last_offset, 3u);
  ASSERT_EQ(page->entries.size(), 2u);
  EXPECT_EQ(page->entries[0].offset, 2u);
  EXPECT_EQ(page->entries[0].data, "two");
  EXPECT_EQ(page->entries[1].offset, 3u);
  EXPECT_EQ(page->entries[1].data, "three");
  EXPECT_LT(page->entries[0].time, page->entries[1].time);
  EXPECT_LT(absl::Now() - page->entries[1].time, absl::Minutes(1));

  page = ReadNow(history, "chat", After(epoch, 0));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(Offsets(*page), (Offs{1, 2, 3}));
  EXPECT_EQ(page->entries[0].data, "one");
  page = ReadNow(history, "chat", After(epoch, 3));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_TRUE(page->entries.empty());
  EXPECT_EQ(page->last_offset, 3u);
  // Neither `after` nor `since`: everything kept.
  page = ReadNow(history, "chat", HistoryQuery{});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(Offsets(*page), (Offs{1, 2, 3}));
  EXPECT_EQ(page->epoch, epoch);
}

TEST_P(HistoryContractTest, DataIsKeptByteForByte) {
  History& history = Make(Policy(100, absl::Minutes(5)));
  const std::string binary("a\0b\x1F\xFF\r\n", 7);
  const std::string big(200 * 1024, 'x');
  MustAppend(history, "chat", binary);
  MustAppend(history, "chat", "");
  MustAppend(history, "chat", big);
  absl::StatusOr<HistoryPage> page = ReadNow(history, "chat", HistoryQuery{});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->entries.size(), 3u);
  EXPECT_EQ(page->entries[0].data, binary);
  EXPECT_EQ(page->entries[1].data, "");
  EXPECT_EQ(page->entries[2].data, big);
}

TEST_P(HistoryContractTest, APositionOnlyReadGivesWhereTheStreamStands) {
  History& history = Make(Policy(100, absl::Minutes(5)));
  HistoryQuery position;
  position.position_only = true;
  // Nothing yet: no epoch, and none is made (the first append makes it).
  absl::StatusOr<HistoryPage> none = ReadNow(history, "chat", position);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->epoch, "");
  EXPECT_EQ(none->last_offset, 0u);
  const StreamPosition first = MustAppend(history, "chat", "one");
  EXPECT_EQ(first.offset, 1u);
  MustAppend(history, "chat", "two");
  absl::StatusOr<HistoryPage> page = ReadNow(history, "chat", position);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->epoch, first.epoch);
  EXPECT_EQ(page->last_offset, 2u);
  EXPECT_TRUE(page->entries.empty());
}

TEST_P(HistoryContractTest, ADifferentEpochIsFailedPrecondition) {
  History& history = Make(Policy(100, absl::Minutes(5)));
  const std::string epoch = MustAppend(history, "chat", "one").epoch;
  absl::StatusOr<HistoryPage> page =
      ReadNow(history, "chat", After(epoch + "x", 1));
  EXPECT_EQ(page.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StartsWith(page.status().message(), "epoch changed"))
      << page.status();
}

TEST_P(HistoryContractTest, TrimmedByLimitIsOutOfRange) {
  History& history = Make(Policy(3, absl::Minutes(5)));
  std::string epoch;
  for (int i = 1; i <= 5; ++i) {
    epoch = MustAppend(history, "chat", absl::StrCat("m", i)).epoch;
  }
  absl::StatusOr<HistoryPage> page = ReadNow(history, "chat", HistoryQuery{});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(Offsets(*page), (Offs{3, 4, 5}));
  EXPECT_EQ(page->entries[0].data, "m3");

  // After 2 the reader needs 3 onwards: all kept.
  page = ReadNow(history, "chat", After(epoch, 2));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(Offsets(*page), (Offs{3, 4, 5}));
  // After 1 it needs 2, gone.
  for (std::uint64_t offset : {0, 1}) {
    page = ReadNow(history, "chat", After(epoch, offset));
    EXPECT_EQ(page.status().code(), absl::StatusCode::kOutOfRange) << offset;
    EXPECT_TRUE(absl::StartsWith(page.status().message(), "history trimmed"))
        << page.status();
  }
  // Trimming keeps the epoch and the count.
  const StreamPosition next = MustAppend(history, "chat", "m6");
  EXPECT_EQ(next.epoch, epoch);
  EXPECT_EQ(next.offset, 6u);
}

TEST_P(HistoryContractTest, AnOffsetAheadOfTheStreamIsOutOfRange) {
  History& history = Make(Policy(3, absl::Minutes(5)));
  const std::string epoch = MustAppend(history, "chat", "one").epoch;
  absl::StatusOr<HistoryPage> page = ReadNow(history, "chat", After(epoch, 2));
  EXPECT_EQ(page.status().code(), absl::StatusCode::kOutOfRange);
}

TEST_P(HistoryContractTest, AnUnknownStreamWithAPositionIsFailedPrecondition) {
  History& history = Make(Policy(100, absl::Minutes(1)));
  absl::StatusOr<HistoryPage> page =
      ReadNow(history, "never", After("AAAAAAAA", 0));
  EXPECT_EQ(page.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StartsWith(page.status().message(), "epoch changed"))
      << page.status();
  // Nothing was created: the first append starts an epoch of its own.
  const StreamPosition pos = MustAppend(history, "never", "one");
  EXPECT_EQ(pos.offset, 1u);
  EXPECT_NE(pos.epoch, "AAAAAAAA");
}

TEST_P(HistoryContractTest, AnUnknownStreamReadSinceReportsTheEpochToCome) {
  History& history = Make(Policy(100, absl::Minutes(1)));
  absl::StatusOr<HistoryPage> page =
      ReadNow(history, "chat", Since(absl::Now() - absl::Hours(1)));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_TRUE(page->entries.empty());
  EXPECT_EQ(page->last_offset, 0u);
  ASSERT_FALSE(page->epoch.empty());
  // Reading again reports the same epoch, with or without a position.
  absl::StatusOr<HistoryPage> again = ReadNow(history, "chat", HistoryQuery{});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->epoch, page->epoch);
  EXPECT_TRUE(again->entries.empty());
  again = ReadNow(history, "chat", After(page->epoch, 0));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->entries.empty());
  EXPECT_EQ(again->last_offset, 0u);
  // The reader may now wait for offset 1 of that epoch.
  const StreamPosition pos = MustAppend(history, "chat", "one");
  EXPECT_EQ(pos.epoch, page->epoch);
  EXPECT_EQ(pos.offset, 1u);
  absl::StatusOr<HistoryPage> after =
      ReadNow(history, "chat", After(page->epoch, 0));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(Offsets(*after), (Offs{1}));
  EXPECT_EQ(after->entries[0].data, "one");
}

TEST_P(HistoryContractTest, SinceSelectsByTime) {
  History& history = Make(Policy(100, absl::Minutes(5)));
  MustAppend(history, "chat", "one");
  MustAppend(history, "chat", "two");
  MustAppend(history, "chat", "three");
  // The times are the implementation's (the server's for JetStream).
  absl::StatusOr<HistoryPage> all = ReadNow(history, "chat", HistoryQuery{});
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->entries.size(), 3u);
  const absl::Time t1 = all->entries[0].time;
  const absl::Time t2 = all->entries[1].time;
  const absl::Time t3 = all->entries[2].time;
  ASSERT_LT(t1, t2);
  ASSERT_LT(t2, t3);

  auto since = [&](absl::Time t, std::size_t limit = 0) {
    absl::StatusOr<HistoryPage> page =
        ReadNow(history, "chat", Since(t, limit));
    EXPECT_TRUE(page.ok()) << page.status();
    if (page.ok()) {
      EXPECT_EQ(page->last_offset, 3u);
      EXPECT_EQ(page->epoch, all->epoch);
    }
    return page.ok() ? Offsets(*page) : Offs{};
  };
  EXPECT_EQ(since(t1 - absl::Hours(1)), (Offs{1, 2, 3}));
  EXPECT_EQ(since(absl::InfinitePast()), (Offs{1, 2, 3}));
  EXPECT_EQ(since(t1), (Offs{1, 2, 3}));
  EXPECT_EQ(since(t1 + absl::Nanoseconds(1)), (Offs{2, 3}));
  EXPECT_EQ(since(t2), (Offs{2, 3}));
  EXPECT_EQ(since(t3), (Offs{3}));
  EXPECT_EQ(since(t3 + absl::Nanoseconds(1)), (Offs{}));
  EXPECT_EQ(since(absl::InfiniteFuture()), (Offs{}));
  EXPECT_EQ(since(t1, 2), (Offs{1, 2}));
  EXPECT_EQ(since(t2, 1), (Offs{2}));
}

TEST_P(HistoryContractTest, QueryLimitGivesTheOldestMatches) {
  History& history = Make(Policy(100, absl::Minutes(5)));
  std::string epoch;
  for (int i = 1; i <= 5; ++i) epoch = MustAppend(history, "chat", "m").epoch;
  absl::StatusOr<HistoryPage> page =
      ReadNow(history, "chat", After(epoch, 1, 2));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(Offsets(*page), (Offs{2, 3}));
  EXPECT_EQ(page->last_offset, 5u);
  // The next page continues after the last entry.
  page = ReadNow(history, "chat", After(epoch, 3, 2));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(Offsets(*page), (Offs{4, 5}));
  page = ReadNow(history, "chat", After(epoch, 0, 100));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(Offsets(*page), (Offs{1, 2, 3, 4, 5}));
  HistoryQuery first_two;
  first_two.limit = 2;
  page = ReadNow(history, "chat", first_two);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(Offsets(*page), (Offs{1, 2}));
  EXPECT_EQ(page->last_offset, 5u);
}

TEST_P(HistoryContractTest, StreamsWithoutHistoryRefuseBoth) {
  History& history = Make(Policy(100, absl::Minutes(5), "ticker:*=0"));
  for (absl::string_view stream : {"ticker:AAPL", "$state:chat:1"}) {
    absl::StatusOr<StreamPosition> pos = history.Append(stream, "x");
    EXPECT_EQ(pos.status().code(), absl::StatusCode::kFailedPrecondition)
        << stream;
    absl::StatusOr<HistoryPage> page = ReadNow(history, stream, HistoryQuery{});
    EXPECT_EQ(page.status().code(), absl::StatusCode::kFailedPrecondition)
        << stream;
    EXPECT_TRUE(absl::StartsWith(page.status().message(), "no history"))
        << page.status();
  }
}

TEST_P(HistoryContractTest, OverridesApplyPerStream) {
  History& history = Make(Policy(100, absl::Hours(1), "logs:*=2/30s"));
  for (int i = 0; i < 3; ++i) {
    MustAppend(history, "logs:web", "l");
    MustAppend(history, "chat", "c");
  }
  absl::StatusOr<HistoryPage> logs =
      ReadNow(history, "logs:web", HistoryQuery{});
  ASSERT_TRUE(logs.ok()) << logs.status();
  EXPECT_EQ(Offsets(*logs), (Offs{2, 3}));
  absl::StatusOr<HistoryPage> chat = ReadNow(history, "chat", HistoryQuery{});
  ASSERT_TRUE(chat.ok()) << chat.status();
  EXPECT_EQ(Offsets(*chat), (Offs{1, 2, 3}));
}

TEST_P(HistoryContractTest, ReadsMayAppendFromTheirCallback) {
  History& history = Make(Policy(100, absl::Minutes(1)));
  MustAppend(history, "chat", "one");
  absl::Notification done;
  history.Read("chat", HistoryQuery{}, [&](absl::StatusOr<HistoryPage> page) {
    EXPECT_TRUE(page.ok()) << page.status();
    // No lock is held: appending from the callback does not deadlock.
    EXPECT_EQ(MustAppend(history, "chat", "two").offset, 2u);
    done.Notify();
  });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(20)));
}

TEST_P(HistoryContractTest, ConcurrentAppendsGetDistinctConsecutiveOffsets) {
  Make(Policy(100000, absl::Minutes(1)));
  // Threads over two instances: two processes for JetStream.
  constexpr int kThreads = 4;
  constexpr int kEach = 100;
  absl::Mutex mu;
  std::set<std::uint64_t> offsets;
  std::set<std::string> epochs;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    History& history = backend().Instance(t % 2);
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const StreamPosition pos = MustAppend(history, "chat", "m");
        MustAppend(history, absl::StrCat("other:", t, ":", i % 5), "o");
        absl::MutexLock lock(&mu);
        offsets.insert(pos.offset);
        epochs.insert(pos.epoch);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(offsets.size(), std::size_t{kThreads * kEach});
  EXPECT_EQ(*offsets.begin(), 1u);
  EXPECT_EQ(*offsets.rbegin(), std::uint64_t{kThreads * kEach});
  EXPECT_EQ(epochs.size(), 1u);
  absl::StatusOr<HistoryPage> page =
      ReadNow(backend().Instance(1), "chat", HistoryQuery{});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->entries.size(), std::size_t{kThreads * kEach});
  EXPECT_EQ(page->last_offset, std::uint64_t{kThreads * kEach});
}

INSTANTIATE_TEST_SUITE_P(
    Histories, HistoryContractTest, ::testing::ValuesIn(AllHistories()),
    [](const ::testing::TestParamInfo<HistoryFactory>& info) {
      return info.param.name;
    });

}  // namespace
}  // namespace cable::history_testing
