// The StateStore contract (state_store_fixture.h): creating, reading,
// committing, events and guards, on every implementation. Timing is in
// state_store_timing_test.cc, load and large values in
// state_store_load_test.cc, NatsStateStore alone in nats_state_store_test.cc.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/service/state_store_fixture.h"

namespace cable::service::state_store_testing {
namespace {

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

INSTANTIATE_TEST_SUITE_P(
    Stores, StateStoreTest, ::testing::ValuesIn(AllBackends()),
    [](const ::testing::TestParamInfo<BackendFactory>& info) {
      return info.param.name;
    });

}  // namespace
}  // namespace cable::service::state_store_testing
