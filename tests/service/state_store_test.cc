// The StateStore contract, run against every implementation: the in-memory
// store and NatsStateStore on a real nats-server with JetStream (one
// server for the process, a fresh prefix, so fresh buckets, per test).

#include "cable/service/state_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cable/service/in_memory_state_store.h"
#include "cable/service/nats_state_store.h"
#include "tests/service/test_util.h"
#include "tests/support/nats_server.h"

namespace cable::service {
namespace {

using ::cable::service::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Stores ("replicas") over one shared backing state.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual StateStore& Replica(int i) = 0;
};

class InMemoryBackend final : public Backend {
 public:
  explicit InMemoryBackend(absl::Duration lease) : store_(lease) {}
  // One process: every replica is the same store.
  StateStore& Replica(int) override { return store_; }

 private:
  InMemoryStateStore store_;
};

class NatsBackend final : public Backend {
 public:
  NatsBackend(absl::Duration lease, NatsStateStoreOptions base = {}) {
    static std::atomic<int> next{0};
    options_ = std::move(base);
    options_.prefix = absl::StrCat("t", next++);
    options_.lock_lease = lease;
  }
  StateStore& Replica(int i) override {
    absl::MutexLock lock(&mu_);
    while (static_cast<int>(replicas_.size()) <= i) {
      NatsStateStoreOptions options = options_;
      options.name = absl::StrCat("replica-", replicas_.size());
      // Only replica 0 ever "crashes".
      if (!replicas_.empty()) options.crash_at = nullptr;
      absl::StatusOr<std::unique_ptr<NatsStateStore>> store =
          NatsStateStore::Connect(
              ::cable::testing::SharedJetStreamServer().url(), options);
      if (!store.ok()) {
        ADD_FAILURE() << store.status();
        std::abort();
      }
      replicas_.push_back(*std::move(store));
    }
    return *replicas_[i];
  }

 private:
  NatsStateStoreOptions options_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<NatsStateStore>> replicas_ ABSL_GUARDED_BY(mu_);
};

struct BackendFactory {
  std::string name;
  std::function<std::unique_ptr<Backend>(absl::Duration lease)> make;
};

void PrintTo(const BackendFactory& factory, std::ostream* os) {
  *os << factory.name;
}

ChannelSpec Spec(std::string name, std::string state = "{}",
                 std::string type = "", bool keep_events = true) {
  return ChannelSpec{std::move(name), std::move(state), std::move(type),
                     keep_events};
}

ChannelWrite Write(std::string name, std::uint64_t expected_revision,
                   std::optional<std::string> state = std::nullopt,
                   std::vector<std::string> events = {}) {
  ChannelWrite w;
  w.name = std::move(name);
  w.expected_revision = expected_revision;
  w.state = std::move(state);
  w.events = std::move(events);
  return w;
}

ChannelWrite GuardWrite(std::string name, std::uint64_t expected_revision,
                        std::string worker, std::int64_t delta,
                        std::vector<std::string> clear = {}) {
  ChannelWrite w = Write(std::move(name), expected_revision);
  w.worker = std::move(worker);
  w.guard_delta = delta;
  w.clear_guards_of = std::move(clear);
  return w;
}

std::vector<std::uint64_t> Ids(const std::vector<StoredEvent>& events) {
  std::vector<std::uint64_t> ids;
  for (const StoredEvent& e : events) ids.push_back(e.id);
  return ids;
}

std::vector<std::uint64_t> Range(std::uint64_t from, std::uint64_t to) {
  std::vector<std::uint64_t> ids;
  for (std::uint64_t i = from; i <= to; ++i) ids.push_back(i);
  return ids;
}

std::string Owner() {
  static std::atomic<int> next{0};
  return absl::StrCat("owner-", next++);
}

// Waits until the wall clock has passed `t` (ages of events and
// heartbeats are wall-clock; this waits for time, not for another thread).
void WaitUntilPast(absl::Time t) {
  while (absl::Now() <= t) absl::SleepFor(absl::Milliseconds(5));
}

MATCHER_P3(IsGuard, channel, worker, count, "") {
  return arg.channel == channel && arg.worker == worker && arg.count == count;
}

class StateStoreTest : public ::testing::TestWithParam<BackendFactory> {
 protected:
  // Before the first store() call.
  void UseLease(absl::Duration lease) { lease_ = lease; }

  StateStore& store(int replica = 0) {
    if (!backend_) backend_ = GetParam().make(lease_);
    return backend_->Replica(replica);
  }

  void Create(const ChannelSpec& spec) {
    absl::StatusOr<bool> created = store().Create(spec);
    ASSERT_TRUE(created.ok()) << created.status();
    ASSERT_TRUE(*created);
  }

  // Lock, commit, unlock with a fresh owner.
  absl::StatusOr<std::vector<CommitResult>> Apply(
      std::vector<ChannelWrite> writes, int replica = 0) {
    const std::string owner = Owner();
    std::vector<std::string> names;
    for (const ChannelWrite& w : writes) names.push_back(w.name);
    StateStore& s = store(replica);
    if (absl::Status locked = s.Lock(owner, names, absl::Seconds(10));
        !locked.ok()) {
      return locked;
    }
    absl::StatusOr<std::vector<CommitResult>> result = s.Commit(owner, writes);
    s.Unlock(owner, names);
    return result;
  }

  ChannelRecord MustGet(absl::string_view name, int replica = 0) {
    absl::StatusOr<ChannelRecord> record = store(replica).Get(name);
    EXPECT_TRUE(record.ok()) << record.status();
    return record.value_or(ChannelRecord{});
  }

  std::vector<StoredEvent> MustEvents(absl::string_view name,
                                      std::uint64_t after,
                                      std::optional<std::uint64_t> limit) {
    absl::StatusOr<std::vector<StoredEvent>> events =
        store().Events(name, after, limit);
    EXPECT_TRUE(events.ok()) << events.status();
    return events.value_or(std::vector<StoredEvent>{});
  }

  void AppendEvents(const std::string& name, int count) {
    const ChannelRecord r = MustGet(name);
    std::vector<std::string> events;
    for (int i = 0; i < count; ++i) {
      events.push_back(absl::StrCat("{\"n\":", r.last_event_id + 1 + i, "}"));
    }
    absl::StatusOr<std::vector<CommitResult>> result =
        Apply({Write(name, r.revision, std::nullopt, events)});
    ASSERT_TRUE(result.ok()) << result.status();
  }

  void Report(const std::string& what, absl::Duration d) {
    std::printf("[   TIME   ] %s %s: %s\n", GetParam().name.c_str(),
                what.c_str(), absl::FormatDuration(d).c_str());
    RecordProperty(what, absl::FormatDuration(d));
  }

 private:
  absl::Duration lease_ = absl::Seconds(10);
  std::unique_ptr<Backend> backend_;
};

TEST_P(StateStoreTest, CreateTwiceReturnsFalseAndKeepsTheFirst) {
  absl::StatusOr<bool> first =
      store().Create(Spec("room", R"({"a":1})", "chat", true));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(*first);
  absl::StatusOr<bool> second =
      store().Create(Spec("room", R"({"a":2})", "other", false));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(*second);

  const ChannelRecord r = MustGet("room");
  EXPECT_EQ(r.name, "room");
  EXPECT_EQ(r.state, R"({"a":1})");
  EXPECT_EQ(r.revision, 1u);
  EXPECT_EQ(r.last_event_id, 0u);
  EXPECT_EQ(r.type, "chat");
  EXPECT_TRUE(r.keep_events);
}

TEST_P(StateStoreTest, RejectsBadInputAndUnknownChannels) {
  EXPECT_THAT(store().Get("nope"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store().Events("nope", 0, std::nullopt),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store().DeleteEvents("nope", 1, std::nullopt),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store().Create(Spec("", "{}")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store().Create(Spec(std::string(kMaxChannelNameBytes + 1, 'x'))),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store().Create(Spec("bad\xff utf8")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store().Create(Spec("x", "{not json")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store().Create(Spec("x", "{}", std::string(51, 't'))),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // 50 characters of 2 bytes each is fine.
  std::string type;
  for (int i = 0; i < 50; ++i) type += "\xc3\xa9";
  EXPECT_TRUE(store().Create(Spec("x", "{}", type)).value_or(false));
  EXPECT_THAT(store().Lock(Owner(), {"nope"}, absl::Seconds(1)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store().Heartbeat("", absl::Seconds(1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  const std::string owner = Owner();
  ASSERT_TRUE(store().Lock(owner, {"x"}, absl::Seconds(5)).ok());
  EXPECT_THAT(store().Commit(owner, {Write("x", 1, "{oops")}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store().Commit(owner, {Write("x", 1, std::nullopt, {"nah"})}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store().Commit(owner, {Write("x", 1, "1"), Write("x", 1, "2")}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store().Commit(owner, {GuardWrite("x", 1, "", 1)}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store().DeleteEvents("x", std::nullopt, std::nullopt),
              StatusIs(absl::StatusCode::kInvalidArgument));
  store().Unlock(owner, {"x"});
  EXPECT_EQ(MustGet("x").revision, 1u);
}

TEST_P(StateStoreTest, ListsChannelsSortedAndByType) {
  Create(Spec("b", "{}", "chat"));
  Create(Spec("a", "{}", "board"));
  Create(Spec("c", "{}", "chat"));
  EXPECT_THAT(
      store().ListChannels(std::nullopt).value_or(std::vector<std::string>{}),
      ElementsAre("a", "b", "c"));
  EXPECT_THAT(store().ListChannels("chat").value_or(std::vector<std::string>{}),
              ElementsAre("b", "c"));
  EXPECT_THAT(
      store().ListChannels("none").value_or(std::vector<std::string>{"x"}),
      IsEmpty());
}

TEST_P(StateStoreTest, LockCommitUnlock) {
  Create(Spec("doc", R"({"v":0})"));
  const std::string owner = Owner();
  ASSERT_TRUE(store().Lock(owner, {"doc"}, absl::Seconds(5)).ok());
  absl::StatusOr<std::vector<CommitResult>> result =
      store().Commit(owner, {Write("doc", 1, R"({"v":1})", {R"({"e":1})"})});
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->size(), 1u);
  EXPECT_EQ((*result)[0].name, "doc");
  EXPECT_EQ((*result)[0].revision, 2u);
  EXPECT_EQ((*result)[0].first_event_id, 1u);
  // Still held: a second commit works.
  result = store().Commit(owner, {Write("doc", 2, R"({"v":2})")});
  ASSERT_TRUE(result.ok()) << result.status();
  store().Unlock(owner, {"doc"});

  const ChannelRecord r = MustGet("doc");
  EXPECT_EQ(r.state, R"({"v":2})");
  EXPECT_EQ(r.revision, 3u);
  EXPECT_EQ(r.last_event_id, 1u);
  // Unlocked: another owner gets it at once.
  const std::string other = Owner();
  EXPECT_TRUE(store().Lock(other, {"doc"}, absl::Milliseconds(500)).ok());
  store().Unlock(other, {"doc"});
}

TEST_P(StateStoreTest, CommitWithoutTheLockFails) {
  Create(Spec("doc"));
  EXPECT_THAT(store().Commit(Owner(), {Write("doc", 1, "1")}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("does not hold the lock")));
  const std::string owner = Owner();
  ASSERT_TRUE(store().Lock(owner, {"doc"}, absl::Seconds(5)).ok());
  EXPECT_THAT(store().Commit(Owner(), {Write("doc", 1, "2")}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  store().Unlock(owner, {"doc"});
  EXPECT_THAT(store().Commit(owner, {Write("doc", 1, "3")}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(MustGet("doc").revision, 1u);
  EXPECT_EQ(MustGet("doc").state, "{}");
}

TEST_P(StateStoreTest, WrongRevisionChangesNothingInAnyChannel) {
  Create(Spec("a", "1"));
  Create(Spec("b", "1"));
  ASSERT_TRUE(Apply({GuardWrite("a", 1, "w", 1)}).ok());
  const std::string owner = Owner();
  ASSERT_TRUE(store().Lock(owner, {"a", "b"}, absl::Seconds(5)).ok());
  ChannelWrite a = Write("a", 1, "2", {"{}"});
  a.worker = "w";
  a.guard_delta = 5;
  EXPECT_THAT(
      store().Commit(owner, {a, Write("b", 7, "2", {"{}"})}),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("revision")));
  store().Unlock(owner, {"a", "b"});
  for (const char* name : {"a", "b"}) {
    const ChannelRecord r = MustGet(name);
    EXPECT_EQ(r.state, "1") << name;
    EXPECT_EQ(r.revision, 1u) << name;
    EXPECT_EQ(r.last_event_id, 0u) << name;
    EXPECT_THAT(MustEvents(name, 0, std::nullopt), IsEmpty()) << name;
  }
  EXPECT_THAT(store().Guards().value_or(std::vector<Guard>{}),
              ElementsAre(IsGuard("a", "w", 1)));
}

TEST_P(StateStoreTest, RevisionCountsStateAndEventChangesOnly) {
  Create(Spec("c"));
  auto revision_after = [&](ChannelWrite w) -> std::uint64_t {
    absl::StatusOr<std::vector<CommitResult>> r = Apply({std::move(w)});
    EXPECT_TRUE(r.ok()) << r.status();
    const std::uint64_t revision = r.ok() ? (*r)[0].revision : 0;
    EXPECT_EQ(MustGet("c").revision, revision);
    return revision;
  };
  EXPECT_EQ(revision_after(GuardWrite("c", 1, "w", 2)), 1u);
  EXPECT_EQ(revision_after(Write("c", 1)), 1u);
  EXPECT_EQ(revision_after(Write("c", 1, R"({"x":1})")), 2u);
  EXPECT_EQ(revision_after(Write("c", 2, std::nullopt, {"1"})), 3u);
  EXPECT_EQ(revision_after(GuardWrite("c", 3, "w", 0, {"w"})), 3u);
  EXPECT_EQ(revision_after(Write("c", 3, "{}", {"2", "3"})), 4u);
  EXPECT_EQ(MustGet("c").last_event_id, 3u);
}

TEST_P(StateStoreTest, EventIdsAreConsecutiveAcrossCommits) {
  Create(Spec("log"));
  absl::StatusOr<std::vector<CommitResult>> r =
      Apply({Write("log", 1, std::nullopt, {"\"a\"", "\"b\""})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].first_event_id, 1u);
  r = Apply({Write("log", 2, std::nullopt, {"\"c\"", "\"d\"", "\"e\""})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].first_event_id, 3u);
  r = Apply({Write("log", 3, "{}")});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].first_event_id, 0u);
  EXPECT_EQ(MustGet("log").last_event_id, 5u);

  const std::vector<StoredEvent> events = MustEvents("log", 0, std::nullopt);
  EXPECT_THAT(Ids(events), ElementsAre(1, 2, 3, 4, 5));
  std::vector<std::string> data;
  for (const StoredEvent& e : events) data.push_back(e.data);
  EXPECT_THAT(data, ElementsAre("\"a\"", "\"b\"", "\"c\"", "\"d\"", "\"e\""));
  for (std::size_t i = 1; i < events.size(); ++i) {
    EXPECT_LE(events[i - 1].time, events[i].time);
  }
  EXPECT_GT(events[0].time, absl::Now() - absl::Minutes(1));
}

TEST_P(StateStoreTest, EventsAfterIdAndLimit) {
  Create(Spec("log"));
  AppendEvents("log", 10);
  EXPECT_THAT(Ids(MustEvents("log", 0, std::nullopt)),
              ElementsAreArray(Range(1, 10)));
  EXPECT_THAT(Ids(MustEvents("log", 4, std::nullopt)),
              ElementsAreArray(Range(5, 10)));
  EXPECT_THAT(Ids(MustEvents("log", 0, 3)), ElementsAre(8, 9, 10));
  EXPECT_THAT(Ids(MustEvents("log", 8, 5)), ElementsAre(9, 10));
  EXPECT_THAT(Ids(MustEvents("log", 0, 10)), ElementsAreArray(Range(1, 10)));
  EXPECT_THAT(Ids(MustEvents("log", 0, 1000)), ElementsAreArray(Range(1, 10)));
  EXPECT_THAT(MustEvents("log", 0, 0), IsEmpty());
  EXPECT_THAT(MustEvents("log", 10, std::nullopt), IsEmpty());
  EXPECT_THAT(MustEvents("log", 99, std::nullopt), IsEmpty());
  EXPECT_EQ(MustEvents("log", 6, 1).at(0).data, "{\"n\":10}");
}

TEST_P(StateStoreTest, ManyEventsAfterDeletingMost) {
  Create(Spec("log"));
  for (int i = 0; i < 6; ++i) AppendEvents("log", 100);
  ASSERT_THAT(store().DeleteEvents("log", 5, std::nullopt).value_or(0), 595u);
  EXPECT_THAT(Ids(MustEvents("log", 0, std::nullopt)),
              ElementsAreArray(Range(596, 600)));
  EXPECT_THAT(Ids(MustEvents("log", 597, std::nullopt)),
              ElementsAre(598, 599, 600));
}

TEST_P(StateStoreTest, KeepEventsFalseCountsIdsButStoresNothing) {
  Create(Spec("live", "{}", "", false));
  absl::StatusOr<std::vector<CommitResult>> r =
      Apply({Write("live", 1, std::nullopt, {"1", "2", "3"})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].first_event_id, 1u);
  EXPECT_EQ((*r)[0].revision, 2u);
  r = Apply({Write("live", 2, std::nullopt, {"4"})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].first_event_id, 4u);
  const ChannelRecord record = MustGet("live");
  EXPECT_EQ(record.last_event_id, 4u);
  EXPECT_FALSE(record.keep_events);
  EXPECT_THAT(MustEvents("live", 0, std::nullopt), IsEmpty());
  EXPECT_EQ(store().DeleteEvents("live", 0, std::nullopt).value_or(99), 0u);
}

TEST_P(StateStoreTest, DeleteEventsByCount) {
  Create(Spec("log"));
  AppendEvents("log", 10);
  EXPECT_EQ(store().DeleteEvents("log", 4, std::nullopt).value_or(0), 6u);
  EXPECT_THAT(Ids(MustEvents("log", 0, std::nullopt)),
              ElementsAre(7, 8, 9, 10));
  EXPECT_EQ(store().DeleteEvents("log", 4, std::nullopt).value_or(99), 0u);
  EXPECT_EQ(store().DeleteEvents("log", 100, std::nullopt).value_or(99), 0u);
  EXPECT_EQ(store().DeleteEvents("log", 0, std::nullopt).value_or(0), 4u);
  EXPECT_THAT(MustEvents("log", 0, std::nullopt), IsEmpty());
  EXPECT_EQ(MustGet("log").last_event_id, 10u);
  AppendEvents("log", 2);
  EXPECT_THAT(Ids(MustEvents("log", 0, std::nullopt)), ElementsAre(11, 12));
  EXPECT_THAT(Ids(MustEvents("log", 0, 1)), ElementsAre(12));
}

// Old events (committed before `old_until`), then young ones (committed
// after the clock passed old_until + gap): DeleteEvents cuts between.
TEST_P(StateStoreTest, DeleteEventsByAgeAndBothRules) {
  const absl::Duration gap = absl::Milliseconds(600);
  for (const char* name : {"age", "both_num", "both_age"}) Create(Spec(name));
  AppendEvents("age", 3);
  AppendEvents("both_num", 4);
  AppendEvents("both_age", 4);
  const absl::Time old_until = absl::Now();
  WaitUntilPast(old_until + gap);
  AppendEvents("age", 3);
  AppendEvents("both_num", 3);
  AppendEvents("both_age", 3);
  // The cut is at old_until + gap/2: clear of both groups by gap/2.
  auto keep_young = [&] { return absl::Now() - (old_until + gap / 2); };

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
  EXPECT_EQ(store()
                .DeleteEvents("age", std::nullopt, absl::Nanoseconds(1))
                .value_or(0),
            3u);
  EXPECT_THAT(MustEvents("age", 0, std::nullopt), IsEmpty());
}

TEST_P(StateStoreTest, GuardsNeverGoBelowZeroAndCanBeCleared) {
  Create(Spec("a"));
  Create(Spec("b"));
  ASSERT_TRUE(Apply({GuardWrite("a", 1, "w1", 2)}).ok());
  ASSERT_TRUE(
      Apply({GuardWrite("a", 1, "w2", 1), GuardWrite("b", 1, "w1", 1)}).ok());
  EXPECT_THAT(store().Guards().value_or(std::vector<Guard>{}),
              ElementsAre(IsGuard("a", "w1", 2), IsGuard("a", "w2", 1),
                          IsGuard("b", "w1", 1)));
  ASSERT_TRUE(Apply({GuardWrite("a", 1, "w1", -5)}).ok());
  EXPECT_THAT(store().Guards().value_or(std::vector<Guard>{}),
              ElementsAre(IsGuard("a", "w2", 1), IsGuard("b", "w1", 1)));
  ASSERT_TRUE(Apply({GuardWrite("a", 1, "w1", 1)}).ok());
  EXPECT_THAT(store().Guards().value_or(std::vector<Guard>{}),
              ElementsAre(IsGuard("a", "w1", 1), IsGuard("a", "w2", 1),
                          IsGuard("b", "w1", 1)));
  // Cleared first, then the delta.
  ASSERT_TRUE(Apply({GuardWrite("a", 1, "w1", 3, {"w1", "w2", "w9"})}).ok());
  EXPECT_THAT(store().Guards().value_or(std::vector<Guard>{}),
              ElementsAre(IsGuard("a", "w1", 3), IsGuard("b", "w1", 1)));
  ASSERT_TRUE(Apply({GuardWrite("b", 1, "", 0, {"w1"})}).ok());
  EXPECT_THAT(store().Guards().value_or(std::vector<Guard>{}),
              ElementsAre(IsGuard("a", "w1", 3)));
  EXPECT_EQ(MustGet("a").revision, 1u);
}

TEST_P(StateStoreTest, HeartbeatsExpireAfterTheirTtl) {
  const absl::Duration short_ttl = absl::Milliseconds(300);
  ASSERT_TRUE(store().Heartbeat("long", absl::Hours(1)).ok());
  ASSERT_TRUE(store().Heartbeat("short", short_ttl).ok());
  const absl::Time sent = absl::Now();
  EXPECT_THAT(store().AliveWorkers().value_or(std::vector<std::string>{}),
              ElementsAre("long", "short"));
  WaitUntilPast(sent + short_ttl);
  EXPECT_THAT(store().AliveWorkers().value_or(std::vector<std::string>{}),
              ElementsAre("long"));
  ASSERT_TRUE(store().Heartbeat("short", absl::Hours(1)).ok());
  EXPECT_THAT(store().AliveWorkers().value_or(std::vector<std::string>{}),
              ElementsAre("long", "short"));
}

TEST_P(StateStoreTest, LockTimesOutAndReportsMissingChannels) {
  for (const char* name : {"x", "y", "z"}) Create(Spec(name));
  const std::string a = Owner();
  const std::string b = Owner();
  ASSERT_TRUE(store().Lock(a, {"x"}, absl::Seconds(5)).ok());
  ASSERT_TRUE(store(1).Lock(b, {"z"}, absl::Seconds(5)).ok());
  const absl::Time start = absl::Now();
  EXPECT_THAT(store(1).Lock(b, {"x"}, absl::Milliseconds(200)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(190));
  // y is taken and given back; z, held before, stays held.
  EXPECT_THAT(store(1).Lock(b, {"z", "y", "x"}, absl::Milliseconds(100)),
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
  Create(Spec("x", "0"));
  const std::string dead = Owner();
  const absl::Time start = absl::Now();
  ASSERT_TRUE(store().Lock(dead, {"x"}, absl::Seconds(5)).ok());
  // `dead` never unlocks; another replica gets the lock once the lease ran
  // out.
  const std::string next = Owner();
  ASSERT_TRUE(store(1).Lock(next, {"x"}, absl::Seconds(10)).ok());
  const absl::Duration waited = absl::Now() - start;
  EXPECT_GE(waited, lease - absl::Milliseconds(50));
  Report("lease break wait", waited);
  EXPECT_THAT(store().Commit(dead, {Write("x", 1, "1")}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(store(1).Commit(next, {Write("x", 1, "2")}).ok());
  // The late Unlock of `dead` does not release `next`'s lock.
  store().Unlock(dead, {"x"});
  EXPECT_THAT(store().Lock(Owner(), {"x"}, absl::Milliseconds(100)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  // Commits renew the lease: `next` keeps the lock across several leases.
  for (int i = 0; i < 4; ++i) {
    absl::SleepFor(lease / 3);
    ASSERT_TRUE(store(1).Commit(next, {Write("x", 2 + i, "3")}).ok()) << i;
  }
  store(1).Unlock(next, {"x"});
  EXPECT_EQ(MustGet("x").revision, 6u);
}

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

// A JSON string of `size` bytes whose content is not periodic, so that
// chunks in the wrong order would show.
std::string BigJson(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s = "\"";
  while (s.size() < size - 1) s.push_back(static_cast<char>('a' + rng() % 26));
  s.push_back('"');
  return s;
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

INSTANTIATE_TEST_SUITE_P(
    Stores, StateStoreTest,
    ::testing::Values(
        BackendFactory{"InMemory",
                       [](absl::Duration lease) -> std::unique_ptr<Backend> {
                         return std::make_unique<InMemoryBackend>(lease);
                       }},
        BackendFactory{"Nats",
                       [](absl::Duration lease) -> std::unique_ptr<Backend> {
                         return std::make_unique<NatsBackend>(lease);
                       }}),
    [](const ::testing::TestParamInfo<BackendFactory>& info) {
      return info.param.name;
    });

// --- NatsStateStore only ---------------------------------------------------

TEST(NatsStateStoreTest, ConnectChecksOptionsAndKeepsExistingBuckets) {
  NatsStateStoreOptions options;
  options.prefix = "bad.prefix";
  EXPECT_THAT(NatsStateStore::Connect(
                  ::cable::testing::SharedJetStreamServer().url(), options),
              StatusIs(absl::StatusCode::kInvalidArgument));
  static int run = 0;
  options.prefix = absl::StrCat("connect_test", run++);
  options.lock_lease = absl::Milliseconds(10);
  EXPECT_THAT(NatsStateStore::Connect(
                  ::cable::testing::SharedJetStreamServer().url(), options),
              StatusIs(absl::StatusCode::kInvalidArgument));

  options.lock_lease = absl::Seconds(3);
  absl::StatusOr<std::unique_ptr<NatsStateStore>> first =
      NatsStateStore::Connect(::cable::testing::SharedJetStreamServer().url(),
                              options);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ((*first)->lease(), absl::Seconds(3));
  // The server's default max payload is 1 MB.
  EXPECT_GT((*first)->chunk_bytes(), 1000000u);
  EXPECT_LT((*first)->chunk_bytes(), 1u << 20);
  ASSERT_TRUE((*first)->Create(Spec("kept")).value_or(false));
  // Another replica finds everything in place, the lease included.
  options.lock_lease = absl::Seconds(7);
  absl::StatusOr<std::unique_ptr<NatsStateStore>> second =
      NatsStateStore::Connect(::cable::testing::SharedJetStreamServer().url(),
                              options);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ((*second)->lease(), absl::Seconds(3));
  EXPECT_EQ((*second)->Get("kept").value_or(ChannelRecord{}).revision, 1u);
}

TEST(NatsStateStoreTest, ConnectFailsWithoutAServer) {
  // A port that was just free: nothing listens there.
  ::cable::testing::NatsServer::Options options;
  options.monitoring_port = 0;
  absl::StatusOr<::cable::testing::NatsServer> server =
      ::cable::testing::NatsServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string url = server->url();
  ASSERT_TRUE(server->Stop().ok());
  NatsStateStoreOptions store_options;
  store_options.request_timeout = absl::Seconds(1);
  EXPECT_THAT(NatsStateStore::Connect(url, store_options),
              StatusIs(absl::StatusCode::kUnavailable));
}

// Recovery of a commit whose writer died.

class NatsStateStoreRecoveryTest : public ::testing::Test {
 protected:
  // Replica 0 "dies" at `stage` of its commits; replica 1 is healthy.
  void Start(const std::string& stage) {
    NatsStateStoreOptions options;
    options.crash_at = [stage](absl::string_view at) { return at == stage; };
    crashing_ = std::make_unique<NatsBackend>(kLease, options);
  }

  // A multi-channel commit from replica 0 that stops at the stage, then a
  // Lock of `lock_with` from replica 1 once the lease ran out.
  void CrashThenRecover(const std::vector<std::string>& lock_with,
                        const std::string& new_state = "2") {
    StateStore& dying = crashing_->Replica(0);
    ASSERT_TRUE(dying.Create(Spec("a", "1")).value_or(false));
    ASSERT_TRUE(dying.Create(Spec("b", "1")).value_or(false));
    const std::string owner = Owner();
    ASSERT_TRUE(dying.Lock(owner, {"a", "b"}, absl::Seconds(5)).ok());
    ChannelWrite a = Write("a", 1, new_state, {"\"a\""});
    a.worker = "w";
    a.guard_delta = 2;
    absl::StatusOr<std::vector<CommitResult>> r =
        dying.Commit(owner, {a, Write("b", 1, new_state, {"\"b\""})});
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kAborted));
    // Replica 1 (a fresh connection) locks after the lease ran out.
    healthy_store_ = &crashing_->Replica(1);
    const std::string next = Owner();
    ASSERT_TRUE(healthy_store_->Lock(next, lock_with, absl::Seconds(10)).ok());
    healthy_store_->Unlock(next, lock_with);
  }

  void ExpectCommitted(const std::string& new_state = "2") {
    for (const char* name : {"a", "b"}) {
      absl::StatusOr<ChannelRecord> r = healthy_store_->Get(name);
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_TRUE(r->state == new_state) << name;
      EXPECT_EQ(r->revision, 2u) << name;
      EXPECT_EQ(r->last_event_id, 1u) << name;
      EXPECT_EQ(healthy_store_->Events(name, 0, std::nullopt)
                    .value_or(std::vector<StoredEvent>{})
                    .size(),
                1u)
          << name;
    }
    EXPECT_THAT(healthy_store_->Guards().value_or(std::vector<Guard>{}),
                ElementsAre(IsGuard("a", "w", 2)));
  }

  static constexpr absl::Duration kLease = absl::Milliseconds(400);
  std::unique_ptr<NatsBackend> crashing_;
  StateStore* healthy_store_ = nullptr;
};

TEST_F(NatsStateStoreRecoveryTest, CrashBeforeTheIntentLeavesNothing) {
  Start("intent");
  CrashThenRecover({"b"});
  for (const char* name : {"a", "b"}) {
    absl::StatusOr<ChannelRecord> r = healthy_store_->Get(name);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->state, "1") << name;
    EXPECT_EQ(r->revision, 1u) << name;
  }
  EXPECT_THAT(healthy_store_->Guards().value_or(std::vector<Guard>{}),
              IsEmpty());
  // The dead commit's events were published: orphans that the next
  // commits replace.
  const std::string owner = Owner();
  ASSERT_TRUE(healthy_store_->Lock(owner, {"a", "b"}, absl::Seconds(5)).ok());
  absl::StatusOr<std::vector<CommitResult>> r = healthy_store_->Commit(
      owner, {Write("a", 1, std::nullopt, {"\"new a\""}),
              Write("b", 1, std::nullopt, {"\"new b\""})});
  ASSERT_TRUE(r.ok()) << r.status();
  healthy_store_->Unlock(owner, {"a", "b"});
  for (const char* name : {"a", "b"}) {
    const std::vector<StoredEvent> events =
        healthy_store_->Events(name, 0, std::nullopt)
            .value_or(std::vector<StoredEvent>{});
    ASSERT_EQ(events.size(), 1u) << name;
    EXPECT_EQ(events[0].data, absl::StrCat("\"new ", name, "\"")) << name;
  }
}

TEST_F(NatsStateStoreRecoveryTest, CrashAfterTheIntentIsRolledForward) {
  Start("guards");
  CrashThenRecover({"b"});
  ExpectCommitted();
}

TEST_F(NatsStateStoreRecoveryTest, CrashBetweenHeadsIsRolledForward) {
  Start("head 1");
  CrashThenRecover({"a"});
  ExpectCommitted();
}

TEST_F(NatsStateStoreRecoveryTest, LargeIntentIsRolledForward) {
  // Two states just under a chunk each: the intent holding both heads is
  // itself chunked.
  Start("head 0");
  const std::string state = BigJson(900 * 1024, 7);
  CrashThenRecover({"b"}, state);
  ExpectCommitted(state);
}

TEST_F(NatsStateStoreRecoveryTest, CrashBeforeCleanupIsHarmless) {
  Start("cleanup");
  CrashThenRecover({"a", "b"});
  ExpectCommitted();
  // The next commit on both channels is not confused by the leftovers.
  const std::string owner = Owner();
  ASSERT_TRUE(healthy_store_->Lock(owner, {"a", "b"}, absl::Seconds(5)).ok());
  EXPECT_TRUE(
      healthy_store_->Commit(owner, {Write("a", 2, "3"), Write("b", 2, "3")})
          .ok());
  healthy_store_->Unlock(owner, {"a", "b"});
}

}  // namespace
}  // namespace cable::service
