// The StateStore contract under load: contended increments and transfers
// from two replicas, 4 MB values, hostile names.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/service/state_store_fixture.h"

namespace cable::service::state_store_testing {
namespace {

TEST_P(StateStoreTest, ConcurrentIncrementsFromTwoReplicasAreExact) {
  Create(Spec("counter", "0"));
  constexpr int kReplicas = 2;
  constexpr int kThreadsPerReplica = 4;
  constexpr int kPerReplica = 200;
  std::atomic<int> failures{0};
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int r = 0; r < kReplicas; ++r) {
    StateStore& s = store(r);
    for (int t = 0; t < kThreadsPerReplica; ++t) {
      threads.emplace_back([&s, &failures] {
        for (int i = 0; i < kPerReplica / kThreadsPerReplica; ++i) {
          const std::string owner = Owner();
          if (!s.Lock(owner, {"counter"}, absl::Seconds(30)).ok()) {
            ++failures;
            continue;
          }
          absl::StatusOr<ChannelRecord> r = s.Get("counter");
          int value = 0;
          if (!r.ok() || !absl::SimpleAtoi(r->state, &value) ||
              !s.Commit(owner, {Write("counter", r->revision,
                                      absl::StrCat(value + 1), {"\"inc\""})})
                   .ok()) {
            ++failures;
          }
          s.Unlock(owner, {"counter"});
        }
      });
    }
  }
  for (std::thread& t : threads) t.join();
  Report("400 contended increments", absl::Now() - start);
  EXPECT_EQ(failures.load(), 0);
  const ChannelRecord r = MustGet("counter");
  EXPECT_EQ(r.state, "400");
  EXPECT_EQ(r.revision, 401u);
  EXPECT_EQ(r.last_event_id, 400u);
  EXPECT_THAT(Ids(MustEvents("counter", 0, std::nullopt)),
              ElementsAreArray(Range(1, 400)));
}

TEST_P(StateStoreTest, UncontendedIncrements) {
  Create(Spec("counter", "0"));
  constexpr int kIncrements = 100;
  const absl::Time start = absl::Now();
  for (int i = 0; i < kIncrements; ++i) {
    const std::string owner = Owner();
    ASSERT_TRUE(store().Lock(owner, {"counter"}, absl::Seconds(5)).ok());
    absl::StatusOr<ChannelRecord> r = store().Get("counter");
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(store()
                    .Commit(owner, {Write("counter", r->revision,
                                          absl::StrCat(i + 1), {"\"inc\""})})
                    .ok());
    store().Unlock(owner, {"counter"});
  }
  Report("one lock+get+commit+unlock", (absl::Now() - start) / kIncrements);
  EXPECT_EQ(MustGet("counter").state, absl::StrCat(kIncrements));
  const absl::Time reads = absl::Now();
  for (int i = 0; i < kIncrements; ++i)
    ASSERT_TRUE(store().Get("counter").ok());
  Report("one Get", (absl::Now() - reads) / kIncrements);
}

TEST_P(StateStoreTest, ConcurrentTransfersKeepTheSum) {
  Create(Spec("a", "1000"));
  Create(Spec("b", "1000"));
  constexpr int kThreads = 4;
  constexpr int kTransfers = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  const absl::Time start = absl::Now();
  for (int t = 0; t < kThreads; ++t) {
    StateStore& s = store(t % 2);
    threads.emplace_back([&s, &failures, t] {
      std::mt19937 rng(t);
      for (int i = 0; i < kTransfers; ++i) {
        const std::string owner = Owner();
        // Both orders: Lock sorts, so they cannot deadlock.
        const std::vector<std::string> names =
            (i + t) % 2 ? std::vector<std::string>{"a", "b"}
                        : std::vector<std::string>{"b", "a"};
        if (!s.Lock(owner, names, absl::Seconds(30)).ok()) {
          ++failures;
          continue;
        }
        absl::StatusOr<ChannelRecord> from = s.Get(names[0]);
        absl::StatusOr<ChannelRecord> to = s.Get(names[1]);
        int from_value = 0;
        int to_value = 0;
        const int amount = static_cast<int>(rng() % 50);
        if (!from.ok() || !to.ok() ||
            !absl::SimpleAtoi(from->state, &from_value) ||
            !absl::SimpleAtoi(to->state, &to_value) ||
            !s.Commit(owner, {Write(names[0], from->revision,
                                    absl::StrCat(from_value - amount),
                                    {absl::StrCat(-amount)}),
                              Write(names[1], to->revision,
                                    absl::StrCat(to_value + amount),
                                    {absl::StrCat(amount)})})
                 .ok()) {
          ++failures;
        }
        s.Unlock(owner, names);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  Report("100 contended two-channel transfers", absl::Now() - start);
  EXPECT_EQ(failures.load(), 0);
  int a = 0;
  int b = 0;
  ASSERT_TRUE(absl::SimpleAtoi(MustGet("a").state, &a));
  ASSERT_TRUE(absl::SimpleAtoi(MustGet("b").state, &b));
  EXPECT_EQ(a + b, 2000);
  EXPECT_EQ(MustGet("a").revision, 1u + kThreads * kTransfers);
  // Every transfer logged on both sides, and the logs sum up too.
  int logged = 0;
  for (const char* name : {"a", "b"}) {
    const std::vector<StoredEvent> events = MustEvents(name, 0, std::nullopt);
    EXPECT_EQ(events.size(), static_cast<std::size_t>(kThreads * kTransfers));
    for (const StoredEvent& e : events) {
      int amount = 0;
      EXPECT_TRUE(absl::SimpleAtoi(e.data, &amount));
      logged += amount;
    }
  }
  EXPECT_EQ(logged, 0);
}

TEST_P(StateStoreTest, FourMegabyteStatesAndEvents) {
  const std::string big1 = BigJson(4 << 20, 1);
  const std::string big2 = BigJson(4 << 20, 2);
  const std::string event = BigJson((4 << 20) + 123, 3);
  const absl::Time start = absl::Now();
  Create(Spec("big", big1));
  EXPECT_EQ(MustGet("big").state, big1);
  absl::StatusOr<std::vector<CommitResult>> r =
      Apply({Write("big", 1, big2, {"1", event, "3"})});
  ASSERT_TRUE(r.ok()) << r.status();
  const ChannelRecord record = MustGet("big", 1);
  EXPECT_EQ(record.state.size(), big2.size());
  EXPECT_TRUE(record.state == big2);
  const std::vector<StoredEvent> events = MustEvents("big", 0, std::nullopt);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].data, "1");
  EXPECT_EQ(events[1].data.size(), event.size());
  EXPECT_TRUE(events[1].data == event);
  EXPECT_EQ(events[2].data, "3");
  // An events-only commit keeps the big state; a small one replaces it.
  ASSERT_TRUE(Apply({Write("big", 2, std::nullopt, {"4"})}).ok());
  EXPECT_TRUE(MustGet("big").state == big2);
  ASSERT_TRUE(Apply({Write("big", 3, "{}")}).ok());
  EXPECT_EQ(MustGet("big").state, "{}");
  EXPECT_EQ(store().DeleteEvents("big", 1, std::nullopt).value_or(0), 3u);
  EXPECT_THAT(Ids(MustEvents("big", 0, std::nullopt)), ElementsAre(4));
  // Two channels with large states in one commit (for NATS: inline heads
  // near the chunk size, so the commit's intent is chunked).
  const std::string medium = BigJson(900 * 1024, 4);
  Create(Spec("big2"));
  ASSERT_TRUE(Apply({Write("big", 4, medium), Write("big2", 1, medium)}).ok());
  EXPECT_TRUE(MustGet("big").state == medium);
  EXPECT_TRUE(MustGet("big2").state == medium);
  Report("4 MB round trips", absl::Now() - start);
}

TEST_P(StateStoreTest, HostileNames) {
  std::vector<std::string> names = {
      "a.b",   "*", ">",  "a b",   "emoji \xF0\x9F\x8E\x89",
      "_2E",   ".", "..", "a.*.>", "tab\tnl\n",
      "$KV.x", "-", "_",  "__"};
  std::string longest;
  while (longest.size() + 4 <= kMaxChannelNameBytes) {
    longest += "\xF0\x9F\x98\x80";  // 4 bytes each
  }
  names.push_back(longest);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    Create(Spec(name, R"({"n":1})", "t.y p>e"));
  }
  const std::string worker = "w.*> \xF0\x9F\x90\x9B";
  const std::string owner = Owner();
  ASSERT_TRUE(store().Lock(owner, names, absl::Seconds(10)).ok());
  std::vector<ChannelWrite> writes;
  for (const std::string& name : names) {
    ChannelWrite w =
        Write(name, 1, absl::StrCat("{\"len\":", name.size(), "}"), {"\"e\""});
    w.worker = worker;
    w.guard_delta = 1;
    writes.push_back(std::move(w));
  }
  absl::StatusOr<std::vector<CommitResult>> r = store().Commit(owner, writes);
  ASSERT_TRUE(r.ok()) << r.status();
  store().Unlock(owner, names);

  EXPECT_THAT(
      store().ListChannels(std::nullopt).value_or(std::vector<std::string>{}),
      ElementsAreArray(names));
  EXPECT_THAT(
      store().ListChannels("t.y p>e").value_or(std::vector<std::string>{}),
      ElementsAreArray(names));
  std::vector<::testing::Matcher<Guard>> guards;
  for (const std::string& name : names) {
    const ChannelRecord record = MustGet(name);
    EXPECT_EQ(record.name, name);
    EXPECT_EQ(record.state, absl::StrCat("{\"len\":", name.size(), "}"));
    EXPECT_EQ(record.revision, 2u);
    EXPECT_THAT(Ids(MustEvents(name, 0, std::nullopt)), ElementsAre(1));
    guards.push_back(IsGuard(name, worker, 1));
  }
  EXPECT_THAT(store().Guards().value_or(std::vector<Guard>{}),
              ElementsAreArray(guards));
  ASSERT_TRUE(store().Heartbeat(worker, absl::Hours(1)).ok());
  ASSERT_TRUE(store().Heartbeat("_2E", absl::Hours(1)).ok());
  ASSERT_TRUE(store().Heartbeat(".", absl::Hours(1)).ok());
  EXPECT_THAT(store().AliveWorkers().value_or(std::vector<std::string>{}),
              ElementsAre(".", "_2E", worker));
}

}  // namespace
}  // namespace cable::service::state_store_testing
