// StateChannels: CreateChannel, LockState on one and on several
// channels, and transactions (fixture in state_channels_fixture.h).

#include "tests/service/state_channels_fixture.h"

namespace cable::service::state_channels_testing {
namespace {

// ---- CreateChannel ----

TEST_P(StateChannelsTest, CreateChannelOnceThenFalseAndListByType) {
  absl::StatusOr<bool> first =
      channels().CreateChannel("b1", json{{"v", 1}}, {.type = "board"});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(*first);
  absl::StatusOr<bool> second =
      channels().CreateChannel("b1", json{{"v", 2}}, {.type = "chat"});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(*second);
  const ChannelRecord record = MustGet("b1");
  EXPECT_EQ(Parse(record.state), json({{"v", 1}}));
  EXPECT_EQ(record.type, "board");
  EXPECT_EQ(record.revision, 1u);

  Create("b2", json::object(), {.type = "board"});
  Create("c1", json::object(), {.type = "chat"});
  EXPECT_THAT(
      store().ListChannels("board").value_or(std::vector<std::string>{}),
      ElementsAre("b1", "b2"));
  EXPECT_THAT(store().ListChannels("chat").value_or(std::vector<std::string>{}),
              ElementsAre("c1"));
}

TEST_P(StateChannelsTest, CreateChannelBoundsTheTypeInCharacters) {
  EXPECT_THAT(
      channels().CreateChannel("x", json::object(),
                               {.type = std::string(51, 't')}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("characters")));
  EXPECT_THAT(store().Get("x"), StatusIs(absl::StatusCode::kNotFound));
  // 50 characters of two bytes each are fine.
  std::string type;
  for (int i = 0; i < 50; ++i) type += "\xc3\xa9";
  EXPECT_TRUE(channels()
                  .CreateChannel("x", json::object(), {.type = type})
                  .value_or(false));
  EXPECT_EQ(MustGet("x").type, type);
}

// ---- LockState on one channel ----

TEST_P(StateChannelsTest, LockStatePublishesPatchOfInPlaceChange) {
  Create("doc", json{{"a", 1}, {"keep", true}});
  auto updates = Record("doc");
  ASSERT_TRUE(channels()
                  .LockState("doc",
                             [](json& state) -> absl::StatusOr<Change> {
                               state["a"] = 2;
                               state["b"] = "x";
                               return Change{};
                             })
                  .ok());

  const ChannelRecord record = MustGet("doc");
  EXPECT_EQ(record.revision, 2u);
  EXPECT_EQ(record.last_event_id, 0u);
  EXPECT_EQ(Parse(record.state), json({{"a", 2}, {"b", "x"}, {"keep", true}}));

  const std::vector<std::string> raw = updates->messages();
  ASSERT_THAT(raw, SizeIs(1));
  // Gateways read the revision from the message's start.
  EXPECT_EQ(protocol::StateMessageRevision(raw[0]), 2u);
  const json message = Parse(raw[0]);
  EXPECT_EQ(message, Parse(R"({"type":"event_patch","revision":2,
      "event_id":null,"event":null,
      "patch":[{"op":"replace","path":"/a","value":2},
               {"op":"add","path":"/b","value":"x"}]})"));
  // RFC 6902: the patch turns the old state into the new one.
  EXPECT_EQ(json({{"a", 1}, {"keep", true}}).patch(message["patch"]),
            Parse(record.state));
}

TEST_P(StateChannelsTest, LockStateWithoutChangePublishesNothing) {
  Create("doc", json{{"a", 1}});
  auto updates = Record("doc");
  json seen;
  ASSERT_TRUE(channels()
                  .LockState("doc",
                             [&](json& state) -> absl::StatusOr<Change> {
                               seen = state;
                               // Rewritten to the same value.
                               state["a"] = 1;
                               return Change{};
                             })
                  .ok());
  EXPECT_EQ(seen, json({{"a", 1}}));
  EXPECT_THAT(updates->messages(), IsEmpty());
  EXPECT_EQ(MustGet("doc").revision, 1u);
  EXPECT_TRUE(Lockable("doc"));
}

TEST_P(StateChannelsTest, LockStateSendsEventsThenPatchWithConsecutiveIds) {
  Create("room", json{{"n", 0}});
  auto updates = Record("room");
  ASSERT_TRUE(channels()
                  .LockState("room",
                             [](json& state) -> absl::StatusOr<Change> {
                               state["n"] = 3;
                               return Change{.events = {json{{"e", 1}},
                                                        json{{"e", 2}},
                                                        json{{"e", 3}}}};
                             })
                  .ok());
  // Events only: no patch, a new revision all the same.
  ASSERT_TRUE(
      channels()
          .LockState(
              "room",
              [](json&) -> absl::StatusOr<Change> {
                return Change{.events = {json{{"e", 4}}, json{{"e", 5}}}};
              })
          .ok());

  const std::vector<std::string> raw = updates->messages();
  ASSERT_THAT(raw, SizeIs(5));
  EXPECT_EQ(Parse(raw[0]), Parse(R"({"type":"event","revision":2,
      "event_id":1,"event":{"e":1}})"));
  EXPECT_EQ(Parse(raw[1]), Parse(R"({"type":"event","revision":2,
      "event_id":2,"event":{"e":2}})"));
  EXPECT_EQ(Parse(raw[2]), Parse(R"({"type":"event_patch","revision":2,
      "event_id":3,"event":{"e":3},
      "patch":[{"op":"replace","path":"/n","value":3}]})"));
  EXPECT_EQ(Parse(raw[3]), Parse(R"({"type":"event","revision":3,
      "event_id":4,"event":{"e":4}})"));
  EXPECT_EQ(Parse(raw[4]), Parse(R"({"type":"event_patch","revision":3,
      "event_id":5,"event":{"e":5},"patch":null})"));
  for (const std::string& m : raw) {
    EXPECT_GT(protocol::StateMessageRevision(m), 1u) << m;
  }
  // Gateways tell the last message of each commit from its start.
  std::vector<bool> ends;
  for (const std::string& m : raw) {
    ends.push_back(protocol::StateMessageEndsCommit(m));
  }
  EXPECT_EQ(ends, (std::vector<bool>{false, false, true, false, true}));

  const ChannelRecord record = MustGet("room");
  EXPECT_EQ(record.revision, 3u);
  EXPECT_EQ(record.last_event_id, 5u);
  absl::StatusOr<std::vector<StoredEvent>> stored =
      store().Events("room", 0, std::nullopt);
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_THAT(*stored, SizeIs(5));
  for (std::size_t i = 0; i < stored->size(); ++i) {
    EXPECT_EQ((*stored)[i].id, i + 1);
    EXPECT_EQ(Parse((*stored)[i].data), json({{"e", i + 1}}));
  }
}

TEST_P(StateChannelsTest, LockStateErrorWritesNothing) {
  Create("doc", json{{"a", 1}});
  auto updates = Record("doc");
  EXPECT_THAT(channels().LockState("doc",
                                   [](json& state) -> absl::StatusOr<Change> {
                                     state["a"] = 2;
                                     return absl::PermissionDeniedError(
                                         "not your turn");
                                   }),
              StatusIs(absl::StatusCode::kPermissionDenied, "not your turn"));
  const ChannelRecord record = MustGet("doc");
  EXPECT_EQ(record.revision, 1u);
  EXPECT_EQ(Parse(record.state), json({{"a", 1}}));
  EXPECT_THAT(updates->messages(), IsEmpty());
  EXPECT_TRUE(Lockable("doc"));
}

TEST_P(StateChannelsTest, LockStateThrowIsInternalAndReleasesTheLock) {
  Create("doc", json{{"a", 1}});
  auto updates = Record("doc");
  EXPECT_THAT(channels().LockState("doc",
                                   [](json& state) -> absl::StatusOr<Change> {
                                     state["a"] = 2;
                                     throw std::runtime_error("boom");
                                   }),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("boom")));
  EXPECT_EQ(MustGet("doc").revision, 1u);
  EXPECT_THAT(updates->messages(), IsEmpty());
  // A lock left behind would make this wait kLockTimeout and fail (the
  // lease is far longer).
  absl::Status again =
      channels().LockState("doc", [](json& state) -> absl::StatusOr<Change> {
        state["a"] = 3;
        return Change{};
      });
  EXPECT_TRUE(again.ok()) << again;
  EXPECT_EQ(StateOf("doc"), json({{"a", 3}}));
}

// ---- LockState on several channels ----

TEST_P(StateChannelsTest, LockStateOverSeveralChannelsInOrderOfNames) {
  Create("m:a", json{{"n", "a"}});
  Create("m:b", json{{"n", "b"}});
  Create("m:c", json{{"n", "c"}});
  auto a = Record("m:a");
  auto b = Record("m:b");
  auto c = Record("m:c");
  std::vector<std::string> order;
  ASSERT_TRUE(channels()
                  .LockState({"m:b", "m:c", "m:a"},
                             [&](std::vector<json>& states)
                                 -> absl::StatusOr<std::vector<Change>> {
                               for (const json& s : states) {
                                 order.push_back(s["n"].get<std::string>());
                               }
                               states[0]["moved"] = true;  // m:b
                               states[2]["moved"] = true;  // m:a
                               return std::vector<Change>{
                                   Change{},
                                   Change{.events = {json{{"to", "c"}}}},
                                   Change{.events = {json{{"to", "a"}}}}};
                             })
                  .ok());
  EXPECT_THAT(order, ElementsAre("b", "c", "a"));

  EXPECT_EQ(StateOf("m:a"), json({{"n", "a"}, {"moved", true}}));
  EXPECT_EQ(StateOf("m:b"), json({{"n", "b"}, {"moved", true}}));
  EXPECT_EQ(StateOf("m:c"), json({{"n", "c"}}));
  EXPECT_EQ(MustGet("m:a").last_event_id, 1u);
  EXPECT_EQ(MustGet("m:b").last_event_id, 0u);
  EXPECT_EQ(MustGet("m:c").last_event_id, 1u);
  ASSERT_THAT(a->messages(), SizeIs(1));
  EXPECT_EQ(Parse(a->messages()[0]), Parse(R"({"type":"event_patch",
      "revision":2,"event_id":1,"event":{"to":"a"},
      "patch":[{"op":"add","path":"/moved","value":true}]})"));
  ASSERT_THAT(b->messages(), SizeIs(1));
  EXPECT_EQ(Parse(b->messages()[0]), Parse(R"({"type":"event_patch",
      "revision":2,"event_id":null,"event":null,
      "patch":[{"op":"add","path":"/moved","value":true}]})"));
  ASSERT_THAT(c->messages(), SizeIs(1));
  EXPECT_EQ(Parse(c->messages()[0]), Parse(R"({"type":"event_patch",
      "revision":2,"event_id":1,"event":{"to":"c"},"patch":null})"));
}

TEST_P(StateChannelsTest, LockStateOverSeveralChannelsNeedsOneChangeEach) {
  Create("m:a", json{{"n", "a"}});
  Create("m:b", json{{"n", "b"}});
  Create("m:c", json{{"n", "c"}});
  auto a = Record("m:a");
  EXPECT_THAT(
      channels().LockState(
          {"m:a", "m:b", "m:c"},
          [](std::vector<json>& states) -> absl::StatusOr<std::vector<Change>> {
            for (json& s : states) s["changed"] = true;
            return std::vector<Change>{Change{.events = {json{{"e", 1}}}},
                                       Change{}};
          }),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("2 changes for 3 channels")));
  EXPECT_THAT(
      channels().LockState(
          {"m:a", "m:b", "m:c"},
          [](std::vector<json>& states) -> absl::StatusOr<std::vector<Change>> {
            for (json& s : states) s["changed"] = true;
            return std::vector<Change>(4);
          }),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("4 changes for 3 channels")));
  for (const char* name : {"m:a", "m:b", "m:c"}) {
    const ChannelRecord record = MustGet(name);
    EXPECT_EQ(record.revision, 1u) << name;
    EXPECT_EQ(record.last_event_id, 0u) << name;
    EXPECT_FALSE(Parse(record.state).contains("changed")) << name;
    EXPECT_TRUE(Lockable(name)) << name;
  }
  EXPECT_THAT(a->messages(), IsEmpty());
}

// ---- transactions ----

TEST_P(StateChannelsTest, TxnCommitsNestedLockStatesTogether) {
  Create("t:a", json{{"v", 0}});
  Create("t:b", json{{"v", 0}});
  auto a = Record("t:a");
  auto b = Record("t:b");
  Txn txn = channels().begin();
  absl::Status nested = absl::UnknownError("not run");
  absl::Status outer =
      txn.LockState("t:a", [&](json& state) -> absl::StatusOr<Change> {
        state["v"] = 1;
        nested = txn.LockState("t:b", [](json& b) -> absl::StatusOr<Change> {
          b["v"] = 2;
          return Change{.events = {json{{"b", 1}}}};
        });
        if (!nested.ok()) return nested;
        return Change{.events = {json{{"a", 1}}}};
      });
  ASSERT_TRUE(outer.ok()) << outer;
  ASSERT_TRUE(nested.ok()) << nested;
  // Nothing is written or sent before the commit.
  EXPECT_EQ(MustGet("t:a").revision, 1u);
  EXPECT_EQ(MustGet("t:b").revision, 1u);
  EXPECT_THAT(a->messages(), IsEmpty());
  EXPECT_THAT(b->messages(), IsEmpty());

  ASSERT_TRUE(txn.Commit().ok());
  EXPECT_EQ(StateOf("t:a"), json({{"v", 1}}));
  EXPECT_EQ(StateOf("t:b"), json({{"v", 2}}));
  EXPECT_EQ(MustGet("t:a").revision, 2u);
  EXPECT_EQ(MustGet("t:b").revision, 2u);
  ASSERT_THAT(a->messages(), SizeIs(1));
  EXPECT_EQ(Parse(a->messages()[0]), Parse(R"({"type":"event_patch",
      "revision":2,"event_id":1,"event":{"a":1},
      "patch":[{"op":"replace","path":"/v","value":1}]})"));
  ASSERT_THAT(b->messages(), SizeIs(1));
  EXPECT_EQ(Parse(b->messages()[0]), Parse(R"({"type":"event_patch",
      "revision":2,"event_id":1,"event":{"b":1},
      "patch":[{"op":"replace","path":"/v","value":2}]})"));
  EXPECT_TRUE(Lockable("t:a"));
  EXPECT_TRUE(Lockable("t:b"));
  // A committed transaction is over.
  EXPECT_THAT(txn.Commit(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(StateChannelsTest, TxnErrorInSecondLockStateChangesNeither) {
  Create("t:a", json{{"v", 0}});
  Create("t:b", json{{"v", 0}});
  auto a = Record("t:a");
  auto b = Record("t:b");
  Txn txn = channels().begin();
  ASSERT_TRUE(txn.LockState("t:a",
                            [](json& state) -> absl::StatusOr<Change> {
                              state["v"] = 1;
                              return Change{.events = {json{{"a", 1}}}};
                            })
                  .ok());
  EXPECT_THAT(txn.LockState("t:b",
                            [](json& state) -> absl::StatusOr<Change> {
                              state["v"] = 2;
                              return absl::AbortedError("b says no");
                            }),
              StatusIs(absl::StatusCode::kAborted, "b says no"));
  EXPECT_THAT(txn.Commit(), StatusIs(absl::StatusCode::kAborted, "b says no"));
  for (const char* name : {"t:a", "t:b"}) {
    const ChannelRecord record = MustGet(name);
    EXPECT_EQ(record.revision, 1u) << name;
    EXPECT_EQ(record.last_event_id, 0u) << name;
    EXPECT_EQ(Parse(record.state), json({{"v", 0}})) << name;
    EXPECT_TRUE(Lockable(name)) << name;
  }
  EXPECT_THAT(a->messages(), IsEmpty());
  EXPECT_THAT(b->messages(), IsEmpty());
}

TEST_P(StateChannelsTest, TxnNestedErrorFailsTheCommitEvenIfIgnored) {
  Create("t:a", json{{"v", 0}});
  Create("t:b", json{{"v", 0}});
  auto a = Record("t:a");
  Txn txn = channels().begin();
  absl::Status nested;
  // The outer function swallows the nested error; the transaction must
  // still not commit half of it.
  (void)txn.LockState("t:a", [&](json& state) -> absl::StatusOr<Change> {
    state["v"] = 1;
    nested = txn.LockState("t:b", [](json&) -> absl::StatusOr<Change> {
      return absl::FailedPreconditionError("b is busy");
    });
    return Change{};
  });
  EXPECT_THAT(nested, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(txn.Commit(),
              StatusIs(absl::StatusCode::kFailedPrecondition, "b is busy"));
  EXPECT_EQ(MustGet("t:a").revision, 1u);
  EXPECT_EQ(StateOf("t:a"), json({{"v", 0}}));
  EXPECT_EQ(MustGet("t:b").revision, 1u);
  EXPECT_THAT(a->messages(), IsEmpty());
  EXPECT_TRUE(Lockable("t:a"));
  EXPECT_TRUE(Lockable("t:b"));
}

TEST_P(StateChannelsTest, TxnDestroyedUncommittedRollsBackAndUnlocks) {
  Create("t:a", json{{"v", 0}});
  auto a = Record("t:a");
  {
    Txn txn = channels().begin();
    ASSERT_TRUE(txn.LockState("t:a",
                              [](json& state) -> absl::StatusOr<Change> {
                                state["v"] = 9;
                                return Change{.events = {json{{"e", 9}}}};
                              })
                    .ok());
    // Held until the transaction ends.
    EXPECT_FALSE(Lockable("t:a"));
  }
  EXPECT_EQ(MustGet("t:a").revision, 1u);
  EXPECT_EQ(StateOf("t:a"), json({{"v", 0}}));
  EXPECT_THAT(a->messages(), IsEmpty());
  // A lock left behind would make this wait kLockTimeout and fail.
  json seen;
  absl::Status next =
      channels().LockState("t:a", [&](json& state) -> absl::StatusOr<Change> {
        seen = state;
        state["v"] = 1;
        return Change{};
      });
  EXPECT_TRUE(next.ok()) << next;
  EXPECT_EQ(seen, json({{"v", 0}}));
  EXPECT_EQ(MustGet("t:a").revision, 2u);
}

TEST_P(StateChannelsTest, TxnNestedLockStateOnTheSameChannelFails) {
  Create("t:a", json{{"a", 0}, {"b", 0}});
  auto a = Record("t:a");
  Txn txn = channels().begin();
  absl::Status inner;
  const absl::Status outer =
      txn.LockState("t:a", [&](json& state) -> absl::StatusOr<Change> {
        state["a"] = 1;
        inner = txn.LockState("t:a", [](json& s) -> absl::StatusOr<Change> {
          s["b"] = 2;
          return Change{.events = {json{{"inner", 1}}}};
        });
        return Change{.events = {json{{"outer", 1}}}};
      });
  EXPECT_EQ(inner.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(inner.message()), HasSubstr("nested inside"));
  EXPECT_EQ(outer.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(txn.Commit().code(), absl::StatusCode::kFailedPrecondition);
  const ChannelRecord record = MustGet("t:a");
  EXPECT_EQ(record.revision, 1u);
  EXPECT_EQ(record.last_event_id, 0u);
  EXPECT_EQ(Parse(record.state), json({{"a", 0}, {"b", 0}}));
  EXPECT_THAT(a->json_messages(), ::testing::IsEmpty());
}

TEST_P(StateChannelsTest, TxnSecondLockStateOfAChannelSeesTheFirst) {
  Create("t:a", json{{"n", 0}});
  auto a = Record("t:a");
  Txn txn = channels().begin();
  ASSERT_TRUE(txn.LockState("t:a",
                            [](json& state) -> absl::StatusOr<Change> {
                              state["n"] = 1;
                              return Change{.events = {json{{"e", 1}}}};
                            })
                  .ok());
  json seen;
  ASSERT_TRUE(txn.LockState("t:a",
                            [&](json& state) -> absl::StatusOr<Change> {
                              seen = state;
                              state["n"] = state["n"].get<int>() + 1;
                              return Change{.events = {json{{"e", 2}}}};
                            })
                  .ok());
  EXPECT_EQ(seen, json({{"n", 1}}));
  ASSERT_TRUE(txn.Commit().ok());

  const ChannelRecord record = MustGet("t:a");
  EXPECT_EQ(record.revision, 2u);  // one commit
  EXPECT_EQ(record.last_event_id, 2u);
  EXPECT_EQ(Parse(record.state), json({{"n", 2}}));
  const std::vector<json> messages = a->json_messages();
  ASSERT_THAT(messages, SizeIs(2));
  EXPECT_EQ(messages[0], Parse(R"({"type":"event","revision":2,
      "event_id":1,"event":{"e":1}})"));
  EXPECT_EQ(messages[1], Parse(R"({"type":"event_patch","revision":2,
      "event_id":2,"event":{"e":2},
      "patch":[{"op":"replace","path":"/n","value":2}]})"));
}

// Instantiates every TEST_P of the suite, those of the
// state_channels_*_test.cc beside this file too.
INSTANTIATE_TEST_SUITE_P(
    Stores, StateChannelsTest,
    ::testing::Values(StoreFactory{"InMemory", MakeInMemoryStore},
                      StoreFactory{"Nats", MakeNatsStore}),
    [](const ::testing::TestParamInfo<StoreFactory>& info) {
      return info.param.name;
    });

}  // namespace
}  // namespace cable::service::state_channels_testing
