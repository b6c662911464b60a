// The C++ API of stateful channels (StateChannels, Txn, the handler
// registry) and StateCommandHandler, run against both stores: the
// in-memory one and NatsStateStore on a real nats-server with JetStream
// (one server for the process, a fresh prefix, so fresh buckets, per test).
// Updates are recorded from a real InMemoryPubSub, which delivers on the
// publisher's thread: they are all there when lock_state returns.

#include "cable/service/state_channels.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "cable/command_kind.h"
#include "cable/in_memory_pubsub.h"
#include "cable/internal/v1/cable.pb.h"
#include "cable/protocol.h"
#include "cable/service/in_memory_state_store.h"
#include "cable/service/nats_state_store.h"
#include "cable/service/state_command_handler.h"
#include "tests/service/test_util.h"
#include "tests/support/nats_server.h"

namespace cable::service {
namespace {

using ::cable::service::testing::StatusIs;
using ::cable::service::testing::StreamRecorder;
using ::nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// Long enough that no test ever waits for a lease to run out: a lock left
// behind makes the next lock_state fail after kLockTimeout instead.
constexpr absl::Duration kLease = absl::Seconds(60);
constexpr absl::Duration kLockTimeout = absl::Seconds(2);
// Bound of every wait for another thread.
constexpr absl::Duration kWait = absl::Seconds(10);

struct StoreFactory {
  std::string name;
  std::function<std::unique_ptr<StateStore>()> make;
};

void PrintTo(const StoreFactory& factory, std::ostream* os) {
  *os << factory.name;
}

std::unique_ptr<StateStore> MakeInMemoryStore() {
  return std::make_unique<InMemoryStateStore>(kLease);
}

std::unique_ptr<StateStore> MakeNatsStore() {
  static std::atomic<int> next{0};
  NatsStateStoreOptions options;
  options.prefix = absl::StrCat("sc", next++);
  options.lock_lease = kLease;
  options.memory_storage = true;
  absl::StatusOr<std::unique_ptr<NatsStateStore>> store =
      NatsStateStore::Connect(::cable::testing::SharedJetStreamServer().url(),
                              options);
  if (!store.ok()) {
    std::fprintf(stderr, "NatsStateStore: %s\n",
                 store.status().ToString().c_str());
    std::abort();
  }
  return *std::move(store);
}

MATCHER_P3(IsGuard, channel, worker, count, "") {
  return arg.channel == channel && arg.worker == worker && arg.count == count;
}

json Parse(const std::string& text) { return json::parse(text); }

class StateChannelsTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  StateChannelsTest()
      : store_(GetParam().make()),
        channels_(std::make_unique<StateChannels>(
            *store_, pubsub_,
            StateChannelsOptions{.lock_timeout = kLockTimeout,
                                 .heartbeat_timeout = absl::Seconds(5),
                                 .cleanup_interval = absl::ZeroDuration()})) {}

  StateChannels& channels() { return *channels_; }
  StateStore& store() { return *store_; }

  void Create(const std::string& name, const json& state,
              ChannelOptions options = {}) {
    absl::StatusOr<bool> created =
        channels().create_channel(name, state, std::move(options));
    ASSERT_TRUE(created.ok()) << created.status();
    ASSERT_TRUE(*created) << name;
  }

  std::unique_ptr<StreamRecorder> Record(const std::string& name) {
    return std::make_unique<StreamRecorder>(pubsub_,
                                            protocol::StateStream(name));
  }

  ChannelRecord MustGet(const std::string& name) {
    absl::StatusOr<ChannelRecord> record = store().Get(name);
    EXPECT_TRUE(record.ok()) << record.status();
    return record.value_or(ChannelRecord{});
  }

  json StateOf(const std::string& name) { return Parse(MustGet(name).state); }

  std::vector<Guard> Guards() {
    absl::StatusOr<std::vector<Guard>> guards = store().Guards();
    EXPECT_TRUE(guards.ok()) << guards.status();
    return guards.value_or(std::vector<Guard>{});
  }

  // Whether another owner can take `name`'s lock right now (released again
  // at once).
  bool Lockable(const std::string& name) {
    const absl::Status locked =
        store().Lock("probe", {name}, absl::Milliseconds(100));
    store().Unlock("probe", {name});
    return locked.ok();
  }

  InMemoryPubSub pubsub_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<StateChannels> channels_;
};

// ---- create_channel ----

TEST_P(StateChannelsTest, CreateChannelOnceThenFalseAndListByType) {
  absl::StatusOr<bool> first =
      channels().create_channel("b1", json{{"v", 1}}, {.type = "board"});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(*first);
  absl::StatusOr<bool> second =
      channels().create_channel("b1", json{{"v", 2}}, {.type = "chat"});
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
      channels().create_channel("x", json::object(),
                                {.type = std::string(51, 't')}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("characters")));
  EXPECT_THAT(store().Get("x"), StatusIs(absl::StatusCode::kNotFound));
  // 50 characters of two bytes each are fine.
  std::string type;
  for (int i = 0; i < 50; ++i) type += "\xc3\xa9";
  EXPECT_TRUE(channels()
                  .create_channel("x", json::object(), {.type = type})
                  .value_or(false));
  EXPECT_EQ(MustGet("x").type, type);
}

// ---- lock_state on one channel ----

TEST_P(StateChannelsTest, LockStatePublishesPatchOfInPlaceChange) {
  Create("doc", json{{"a", 1}, {"keep", true}});
  auto updates = Record("doc");
  ASSERT_TRUE(channels()
                  .lock_state("doc",
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
                  .lock_state("doc",
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
                  .lock_state("room",
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
          .lock_state(
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
  EXPECT_THAT(channels().lock_state("doc",
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
  EXPECT_THAT(channels().lock_state("doc",
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
      channels().lock_state("doc", [](json& state) -> absl::StatusOr<Change> {
        state["a"] = 3;
        return Change{};
      });
  EXPECT_TRUE(again.ok()) << again;
  EXPECT_EQ(StateOf("doc"), json({{"a", 3}}));
}

// ---- lock_state on several channels ----

TEST_P(StateChannelsTest, LockStateOverSeveralChannelsInOrderOfNames) {
  Create("m:a", json{{"n", "a"}});
  Create("m:b", json{{"n", "b"}});
  Create("m:c", json{{"n", "c"}});
  auto a = Record("m:a");
  auto b = Record("m:b");
  auto c = Record("m:c");
  std::vector<std::string> order;
  ASSERT_TRUE(channels()
                  .lock_state({"m:b", "m:c", "m:a"},
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
      channels().lock_state(
          {"m:a", "m:b", "m:c"},
          [](std::vector<json>& states) -> absl::StatusOr<std::vector<Change>> {
            for (json& s : states) s["changed"] = true;
            return std::vector<Change>{Change{.events = {json{{"e", 1}}}},
                                       Change{}};
          }),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("2 changes for 3 channels")));
  EXPECT_THAT(
      channels().lock_state(
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
      txn.lock_state("t:a", [&](json& state) -> absl::StatusOr<Change> {
        state["v"] = 1;
        nested = txn.lock_state("t:b", [](json& b) -> absl::StatusOr<Change> {
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

  ASSERT_TRUE(txn.commit().ok());
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
  EXPECT_THAT(txn.commit(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_P(StateChannelsTest, TxnErrorInSecondLockStateChangesNeither) {
  Create("t:a", json{{"v", 0}});
  Create("t:b", json{{"v", 0}});
  auto a = Record("t:a");
  auto b = Record("t:b");
  Txn txn = channels().begin();
  ASSERT_TRUE(txn.lock_state("t:a",
                             [](json& state) -> absl::StatusOr<Change> {
                               state["v"] = 1;
                               return Change{.events = {json{{"a", 1}}}};
                             })
                  .ok());
  EXPECT_THAT(txn.lock_state("t:b",
                             [](json& state) -> absl::StatusOr<Change> {
                               state["v"] = 2;
                               return absl::AbortedError("b says no");
                             }),
              StatusIs(absl::StatusCode::kAborted, "b says no"));
  EXPECT_THAT(txn.commit(), StatusIs(absl::StatusCode::kAborted, "b says no"));
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
  (void)txn.lock_state("t:a", [&](json& state) -> absl::StatusOr<Change> {
    state["v"] = 1;
    nested = txn.lock_state("t:b", [](json&) -> absl::StatusOr<Change> {
      return absl::FailedPreconditionError("b is busy");
    });
    return Change{};
  });
  EXPECT_THAT(nested, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(txn.commit(),
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
    ASSERT_TRUE(txn.lock_state("t:a",
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
      channels().lock_state("t:a", [&](json& state) -> absl::StatusOr<Change> {
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
      txn.lock_state("t:a", [&](json& state) -> absl::StatusOr<Change> {
        state["a"] = 1;
        inner = txn.lock_state("t:a", [](json& s) -> absl::StatusOr<Change> {
          s["b"] = 2;
          return Change{.events = {json{{"inner", 1}}}};
        });
        return Change{.events = {json{{"outer", 1}}}};
      });
  EXPECT_EQ(inner.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(inner.message()), HasSubstr("nested inside"));
  EXPECT_EQ(outer.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(txn.commit().code(), absl::StatusCode::kFailedPrecondition);
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
  ASSERT_TRUE(txn.lock_state("t:a",
                             [](json& state) -> absl::StatusOr<Change> {
                               state["n"] = 1;
                               return Change{.events = {json{{"e", 1}}}};
                             })
                  .ok());
  json seen;
  ASSERT_TRUE(txn.lock_state("t:a",
                             [&](json& state) -> absl::StatusOr<Change> {
                               seen = state;
                               state["n"] = state["n"].get<int>() + 1;
                               return Change{.events = {json{{"e", 2}}}};
                             })
                  .ok());
  EXPECT_EQ(seen, json({{"n", 1}}));
  ASSERT_TRUE(txn.commit().ok());

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

// ---- guard counts and cleanup ----

TEST_P(StateChannelsTest, CleanupRunsOnceForADeadWorkersGuards) {
  const std::string name = "game:1";
  Create(name, json{{"players", 3}});
  std::vector<std::string> cleaned;
  std::vector<std::set<std::string>> alive_seen;
  channels().on_cleanup(
      "game:1",
      [&](const std::string& channel, Txn& txn,
          const std::set<std::string>& alive) -> absl::Status {
        cleaned.push_back(channel);
        alive_seen.push_back(alive);
        return txn.lock_state(channel,
                              [](json& state) -> absl::StatusOr<Change> {
                                state["players"] = 1;
                                return Change{.events = {json{{"left", "w1"}}}};
                              });
      });
  auto updates = Record(name);
  const StateClient w1(channels(), "sid-1", "w1", {});
  auto guard = [](json&) -> absl::StatusOr<Change> {
    return Change{.events = {}, .guard = 1};
  };
  ASSERT_TRUE(w1.lock_state(name, guard).ok());
  ASSERT_TRUE(channels().lock_state(name, guard, "w1").ok());
  ASSERT_TRUE(channels().lock_state(name, guard, "w2").ok());
  EXPECT_THAT(Guards(), ::testing::UnorderedElementsAre(
                            IsGuard(name, "w1", 2), IsGuard(name, "w2", 1)));
  // Guard counts alone are no update.
  EXPECT_EQ(MustGet(name).revision, 1u);
  EXPECT_THAT(updates->messages(), IsEmpty());

  ASSERT_TRUE(channels().heartbeat("w2", absl::Seconds(10)).ok());
  absl::StatusOr<int> ran = channels().cleanup();
  ASSERT_TRUE(ran.ok()) << ran.status();
  EXPECT_EQ(*ran, 1);
  EXPECT_THAT(cleaned, ElementsAre(name));
  ASSERT_THAT(alive_seen, SizeIs(1));
  EXPECT_THAT(alive_seen[0], ElementsAre("w2"));
  EXPECT_THAT(Guards(), ElementsAre(IsGuard(name, "w2", 1)));
  // The handler's transaction committed.
  EXPECT_EQ(StateOf(name), json({{"players", 1}}));
  EXPECT_EQ(MustGet(name).revision, 2u);
  ASSERT_THAT(updates->messages(), SizeIs(1));
  EXPECT_TRUE(Lockable(name));

  ran = channels().cleanup();
  ASSERT_TRUE(ran.ok()) << ran.status();
  EXPECT_EQ(*ran, 0);
  EXPECT_THAT(cleaned, SizeIs(1));
  EXPECT_THAT(Guards(), ElementsAre(IsGuard(name, "w2", 1)));
}

TEST_P(StateChannelsTest, GuardChangeWithoutAWorkerIsInvalid) {
  Create("g", json{{"v", 0}});
  auto updates = Record("g");
  EXPECT_THAT(
      channels().lock_state("g",
                            [](json& state) -> absl::StatusOr<Change> {
                              state["v"] = 1;
                              return Change{.events = {}, .guard = 1};
                            }),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("worker")));
  EXPECT_EQ(MustGet("g").revision, 1u);
  EXPECT_EQ(StateOf("g"), json({{"v", 0}}));
  EXPECT_THAT(Guards(), IsEmpty());
  EXPECT_THAT(updates->messages(), IsEmpty());
  EXPECT_TRUE(Lockable("g"));
}

TEST_P(StateChannelsTest, GuardCountsNeverGoBelowZero) {
  Create("g", json::object());
  auto add = [&](std::int64_t delta) {
    return channels().lock_state(
        "g",
        [delta](json&) -> absl::StatusOr<Change> {
          return Change{.events = {}, .guard = delta};
        },
        "w1");
  };
  ASSERT_TRUE(add(-2).ok());
  EXPECT_THAT(Guards(), IsEmpty());
  ASSERT_TRUE(add(1).ok());
  EXPECT_THAT(Guards(), ElementsAre(IsGuard("g", "w1", 1)));
  ASSERT_TRUE(add(-5).ok());
  EXPECT_THAT(Guards(), IsEmpty());
  ASSERT_TRUE(add(1).ok());
  EXPECT_THAT(Guards(), ElementsAre(IsGuard("g", "w1", 1)));
}

// ---- update_state, delete_events ----

TEST_P(StateChannelsTest, UpdateStateComparesAndSets) {
  Create("doc", json{{"v", 0}});
  auto updates = Record("doc");
  absl::StatusOr<CommitResult> result =
      channels().update_state("doc", 1, R"({"v":1})", {R"({"e":1})", "2"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->revision, 2u);
  EXPECT_EQ(result->first_event_id, 1u);
  result = channels().update_state("doc", 2, std::nullopt, {R"("x")"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->revision, 3u);
  EXPECT_EQ(result->first_event_id, 3u);

  const ChannelRecord record = MustGet("doc");
  EXPECT_EQ(record.revision, 3u);
  EXPECT_EQ(record.last_event_id, 3u);
  EXPECT_EQ(Parse(record.state), json({{"v", 1}}));
  const std::vector<json> messages = updates->json_messages();
  ASSERT_THAT(messages, SizeIs(3));
  EXPECT_EQ(messages[0], Parse(R"({"type":"event","revision":2,
      "event_id":1,"event":{"e":1}})"));
  EXPECT_EQ(messages[1], Parse(R"({"type":"event_patch","revision":2,
      "event_id":2,"event":2,
      "patch":[{"op":"replace","path":"/v","value":1}]})"));
  EXPECT_EQ(messages[2], Parse(R"({"type":"event_patch","revision":3,
      "event_id":3,"event":"x","patch":null})"));
}

TEST_P(StateChannelsTest, UpdateStateAtAStaleRevisionFails) {
  Create("doc", json{{"v", 0}});
  ASSERT_TRUE(channels().update_state("doc", 1, R"({"v":1})", {}).ok());
  auto updates = Record("doc");
  EXPECT_THAT(channels().update_state("doc", 1, R"({"v":2})", {"{}"}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("is at revision 2")));
  EXPECT_EQ(MustGet("doc").revision, 2u);
  EXPECT_EQ(StateOf("doc"), json({{"v", 1}}));
  EXPECT_THAT(updates->messages(), IsEmpty());
  EXPECT_THAT(channels().update_state("nope", 1, "{}", {}),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StateChannelsTest, UpdateStateRejectsInvalidJson) {
  Create("doc", json{{"v", 0}});
  auto updates = Record("doc");
  EXPECT_THAT(channels().update_state("doc", 1, "{nope", {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("state")));
  EXPECT_THAT(
      channels().update_state("doc", 1, std::nullopt, {"{}", "nah"}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events[1]")));
  EXPECT_EQ(MustGet("doc").revision, 1u);
  EXPECT_EQ(MustGet("doc").last_event_id, 0u);
  EXPECT_THAT(updates->messages(), IsEmpty());
}

TEST_P(StateChannelsTest, DeleteEventsNeedsKeepNumOrKeepDuration) {
  Create("doc", json::object());
  ASSERT_TRUE(
      channels().update_state("doc", 1, std::nullopt, {"1", "2", "3"}).ok());
  EXPECT_THAT(channels().delete_events("doc", std::nullopt, std::nullopt),
              StatusIs(absl::StatusCode::kInvalidArgument));
  absl::StatusOr<std::vector<StoredEvent>> stored =
      store().Events("doc", 0, std::nullopt);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_THAT(*stored, SizeIs(3));
  absl::StatusOr<std::uint64_t> deleted =
      channels().delete_events("doc", 1, std::nullopt);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, 2u);
}

// ---- handler lookup ----

TEST_P(StateChannelsTest, ChannelPathMatchesSegmentsByPattern) {
  const ChannelPath boards{"checkers:boards", Pattern(R"(^\d+$)")};
  EXPECT_TRUE(boards.Matches("checkers:boards:15"));
  EXPECT_FALSE(boards.Matches("checkers:boards:x"));
  EXPECT_FALSE(boards.Matches("checkers:boards:15x"));
  EXPECT_FALSE(boards.Matches("checkers:boards:15:chat"));
  EXPECT_FALSE(boards.Matches("checkers:boards"));
  EXPECT_FALSE(boards.Matches("chess:boards:15"));

  const ChannelPath chat{"game", Pattern(R"(^\d+$)"), "chat"};
  EXPECT_TRUE(chat.Matches("game:7:chat"));
  EXPECT_FALSE(chat.Matches("game:7:talk"));
  EXPECT_FALSE(chat.Matches("game:7"));
  EXPECT_FALSE(chat.Matches("game:x:chat"));

  const ChannelPath fixed = "lobby";
  EXPECT_TRUE(fixed.Matches("lobby"));
  EXPECT_FALSE(fixed.Matches("lobby:1"));
}

TEST_P(StateChannelsTest, FindsHandlersByPathAndName) {
  const ChannelPath boards{"checkers:boards", Pattern(R"(^\d+$)")};
  channels().on_join(boards,
                     [](const std::string&, const StateClient&,
                        const JoinAttrs&) -> JoinResult { return Join{}; });
  int moves = 0;
  int chats = 0;
  channels().on_action(
      boards, "move",
      [&](const std::string&, const StateClient&, const json&) -> absl::Status {
        ++moves;
        return absl::OkStatus();
      });
  channels().on_action(
      {"checkers:boards", Pattern(R"(^\d+$)"), "chat"}, "move",
      [&](const std::string&, const StateClient&, const json&) -> absl::Status {
        ++chats;
        return absl::OkStatus();
      });
  channels().on_request(
      boards, "hint",
      [](const std::string&, const StateClient&,
         const json&) -> absl::StatusOr<json> { return json("e4"); });

  EXPECT_NE(channels().find("checkers:boards:15").join, nullptr);
  EXPECT_EQ(channels().find("checkers:boards:15").leave, nullptr);
  EXPECT_EQ(channels().find("checkers:boards:x").join, nullptr);
  EXPECT_EQ(channels().find("checkers:boards:15:chat").join, nullptr);

  const StateClient client(channels(), "sid", "w", {});
  const ActionHandler* move =
      channels().find_action("checkers:boards:15", "move");
  ASSERT_NE(move, nullptr);
  EXPECT_TRUE((*move)("checkers:boards:15", client, json()).ok());
  const ActionHandler* chat_move =
      channels().find_action("checkers:boards:15:chat", "move");
  ASSERT_NE(chat_move, nullptr);
  EXPECT_TRUE((*chat_move)("checkers:boards:15:chat", client, json()).ok());
  EXPECT_EQ(moves, 1);
  EXPECT_EQ(chats, 1);
  EXPECT_EQ(channels().find_action("checkers:boards:15", "jump"), nullptr);
  EXPECT_EQ(channels().find_action("checkers:boards:x", "move"), nullptr);

  const RequestHandler* hint =
      channels().find_request("checkers:boards:15", "hint");
  ASSERT_NE(hint, nullptr);
  std::optional<absl::StatusOr<json>> answer;
  (*hint)("checkers:boards:15", client, json(),
          [&](absl::StatusOr<json> r) { answer = std::move(r); });
  ASSERT_TRUE(answer.has_value());
  ASSERT_TRUE(answer->ok()) << answer->status();
  EXPECT_EQ(**answer, json("e4"));
  EXPECT_EQ(channels().find_request("checkers:boards:15", "move"), nullptr);
  EXPECT_EQ(channels().find_request("checkers:boards:15:chat", "hint"),
            nullptr);
}

// ---- StateCommandHandler ----

// Runs one command and waits (bounded) for its answer. The request lives
// in the callback, which the handler keeps until it has answered.
absl::StatusOr<internal::v1::CommandResponse> RunCommand(
    StateCommandHandler& handler, internal::v1::CommandRequest request) {
  struct Answer {
    absl::Notification done;
    internal::v1::CommandResponse response;
  };
  auto answer = std::make_shared<Answer>();
  auto kept =
      std::make_shared<const internal::v1::CommandRequest>(std::move(request));
  handler.Command(*kept,
                  [answer, kept](internal::v1::CommandResponse response) {
                    answer->response = std::move(response);
                    answer->done.Notify();
                  });
  if (!answer->done.WaitForNotificationWithTimeout(kWait)) {
    return absl::DeadlineExceededError("no answer to the command");
  }
  return answer->response;
}

std::string Identifier(const std::string& channel) {
  return json{{"channel", channel}}.dump();
}

internal::v1::CommandRequest Command(const std::string& command,
                                     const std::string& channel,
                                     const std::string& data = "") {
  internal::v1::CommandRequest request;
  request.set_kind(protocol::CommandKindNamed(command).value_or(
      internal::v1::COMMAND_KIND_UNSPECIFIED));
  request.set_identifier(Identifier(channel));
  request.set_data(data);
  request.set_sid("sid-1");
  request.set_gateway_id("gw-1");
  (*request.mutable_identifiers())["user"] = "ann";
  return request;
}

// A "request" command on a joined subscription.
internal::v1::CommandRequest RequestCommand(const std::string& channel,
                                            const json& id,
                                            const std::string& request,
                                            const json& payload = nullptr) {
  internal::v1::CommandRequest out = Command(
      "request", channel,
      json{{"id", id}, {"request", request}, {"payload", payload}}.dump());
  (*out.mutable_istate())["$state"] = channel;
  out.set_stateful(true);
  return out;
}

// The boards of the header's example: "checkers:boards:<number>".
ChannelPath Boards() { return {"checkers:boards", Pattern(R"(^\d+$)")}; }

TEST_P(StateChannelsTest, CommandJoinOfAnUnregisteredPathIsRejected) {
  Create("nowhere:1", json::object());
  channels().on_join(Boards(),
                     [](const std::string&, const StateClient&,
                        const JoinAttrs&) -> JoinResult { return Join{}; });
  StateCommandHandler handler(channels(), 2);
  absl::StatusOr<internal::v1::CommandResponse> response =
      RunCommand(handler, Command("join", "nowhere:1"));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status(), internal::v1::STATUS_FAILURE);
  EXPECT_THAT(response->transmissions(),
              ElementsAre(protocol::RejectFrame(Identifier("nowhere:1"))));
  EXPECT_TRUE(response->subscription_removed());
  EXPECT_THAT(response->streams(), IsEmpty());
  EXPECT_FALSE(response->sync_after_streams());
}

TEST_P(StateChannelsTest, CommandJoinThenSyncSendsBacklogThenState) {
  const std::string name = "checkers:boards:15";
  Create(name, json{{"turn", "white"}});
  ASSERT_TRUE(channels()
                  .lock_state(name,
                              [](json& state) -> absl::StatusOr<Change> {
                                state["turn"] = "black";
                                return Change{.events = {json{{"m", 1}},
                                                         json{{"m", 2}},
                                                         json{{"m", 3}}}};
                              })
                  .ok());
  std::vector<std::string> joined;
  channels().on_join(
      Boards(),
      [&](const std::string& channel, const StateClient& client,
          const JoinAttrs& attrs) -> JoinResult {
        joined.push_back(absl::StrCat(
            channel, " ", client.sid(), " ", client.worker_uuid(), " ",
            client.identifier("user"), " ", attrs.is_reconnect));
        return Join{.limit = 2};
      });
  StateCommandHandler handler(channels(), 2);

  absl::StatusOr<internal::v1::CommandResponse> join =
      RunCommand(handler, Command("join", name));
  ASSERT_TRUE(join.ok()) << join.status();
  EXPECT_EQ(join->status(), internal::v1::STATUS_SUCCESS) << join->error_msg();
  EXPECT_THAT(joined, ElementsAre(absl::StrCat(name, " sid-1 gw-1 ann 0")));
  EXPECT_THAT(join->streams(), ElementsAre(protocol::StateStream(name)));
  EXPECT_TRUE(join->sync_after_streams());
  EXPECT_TRUE(join->istate_set());
  EXPECT_TRUE(join->stateful());
  ASSERT_TRUE(join->istate().contains("$state"));
  EXPECT_EQ(join->istate().at("$state"), name);
  EXPECT_FALSE(join->subscription_removed());

  internal::v1::CommandRequest sync_request = Command("sync", name);
  *sync_request.mutable_istate() = join->istate();
  sync_request.set_stateful(join->stateful());
  absl::StatusOr<internal::v1::CommandResponse> sync =
      RunCommand(handler, sync_request);
  ASSERT_TRUE(sync.ok()) << sync.status();
  EXPECT_EQ(sync->status(), internal::v1::STATUS_SUCCESS) << sync->error_msg();
  ASSERT_THAT(sync->transmissions(), SizeIs(2));
  EXPECT_EQ(Parse(sync->transmissions(0)),
            json({{"identifier", Identifier(name)},
                  {"type", "backlog"},
                  {"events", Parse(R"([{"id":2,"event":{"m":2}},
                                       {"id":3,"event":{"m":3}}])")}}));
  const json state = Parse(sync->transmissions(1));
  EXPECT_EQ(state, json({{"identifier", Identifier(name)},
                         {"type", "state"},
                         {"revision", 2},
                         {"last_event_id", 3},
                         {"state", {{"turn", "black"}}}}));
  EXPECT_EQ(sync->resume_after_revision(), MustGet(name).revision);
  EXPECT_EQ(sync->resume_after_revision(),
            state["revision"].get<std::uint64_t>());
  // Later syncs send the state alone.
  EXPECT_TRUE(sync->istate_set());
  EXPECT_EQ(sync->istate().at("$state"), name);
  EXPECT_FALSE(sync->istate().contains("$limit"));
}

TEST_P(StateChannelsTest, CommandRequestRepliedLaterFromAnotherThread) {
  const std::string name = "checkers:boards:15";
  Create(name, json::object());
  absl::Mutex mu;
  std::optional<Reply> pending;
  json got;
  absl::Notification asked;
  channels().on_request(
      Boards(), "hint",
      [&](const std::string& channel, const StateClient& client,
          const json& payload, Reply reply) {
        absl::MutexLock lock(&mu);
        got = {
            {"channel", channel}, {"sid", client.sid()}, {"payload", payload}};
        pending = std::move(reply);
        asked.Notify();
      });
  StateCommandHandler handler(channels(), 2);

  auto answered = std::make_shared<absl::Notification>();
  auto response = std::make_shared<internal::v1::CommandResponse>();
  auto request = std::make_shared<const internal::v1::CommandRequest>(
      RequestCommand(name, 7, "hint", json{{"depth", 3}}));
  handler.Command(
      *request, [answered, response, request](internal::v1::CommandResponse r) {
        *response = std::move(r);
        answered->Notify();
      });
  ASSERT_TRUE(asked.WaitForNotificationWithTimeout(kWait));
  // The handler has returned without replying: no answer yet.
  EXPECT_FALSE(answered->HasBeenNotified());
  Reply reply;
  {
    absl::MutexLock lock(&mu);
    EXPECT_EQ(got, Parse(R"({"channel":"checkers:boards:15","sid":"sid-1",
                             "payload":{"depth":3}})"));
    ASSERT_TRUE(pending.has_value());
    reply = *std::move(pending);
  }
  std::thread replier([reply] { reply(json{{"square", "e4"}}); });
  replier.join();
  ASSERT_TRUE(answered->WaitForNotificationWithTimeout(kWait));
  EXPECT_EQ(response->status(), internal::v1::STATUS_SUCCESS);
  ASSERT_THAT(response->transmissions(), SizeIs(1));
  EXPECT_EQ(Parse(response->transmissions(0)),
            json({{"identifier", Identifier(name)},
                  {"type", "reply"},
                  {"id", 7},
                  {"status", "success"},
                  {"data", {{"square", "e4"}}}}));
}

TEST_P(StateChannelsTest, CommandFailingRequestRepliesFailure) {
  const std::string name = "checkers:boards:15";
  Create(name, json::object());
  channels().on_request(Boards(), "hint",
                        [](const std::string&, const StateClient&,
                           const json&) -> absl::StatusOr<json> {
                          return absl::PermissionDeniedError("not your turn");
                        });
  StateCommandHandler handler(channels(), 2);
  absl::StatusOr<internal::v1::CommandResponse> response =
      RunCommand(handler, RequestCommand(name, "r1", "hint"));
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_THAT(response->transmissions(), SizeIs(1));
  EXPECT_EQ(Parse(response->transmissions(0)),
            json({{"identifier", Identifier(name)},
                  {"type", "reply"},
                  {"id", "r1"},
                  {"status", "failure"},
                  {"error", "not your turn"}}));
}

TEST_P(StateChannelsTest, CommandUnknownRequestRepliesFailure) {
  const std::string name = "checkers:boards:15";
  Create(name, json::object());
  channels().on_request(
      Boards(), "hint",
      [](const std::string&, const StateClient&,
         const json&) -> absl::StatusOr<json> { return json("e4"); });
  StateCommandHandler handler(channels(), 2);
  absl::StatusOr<internal::v1::CommandResponse> response =
      RunCommand(handler, RequestCommand(name, 8, "nope"));
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_THAT(response->transmissions(), SizeIs(1));
  const json reply = Parse(response->transmissions(0));
  EXPECT_EQ(reply["type"], "reply");
  EXPECT_EQ(reply["id"], 8);
  EXPECT_EQ(reply["status"], "failure");
  EXPECT_THAT(reply["error"].get<std::string>(), HasSubstr("unknown request"));
  EXPECT_THAT(reply["error"].get<std::string>(), HasSubstr("nope"));
}

TEST_P(StateChannelsTest, CommandRequestOutsideAStatefulSubscriptionErrs) {
  const std::string name = "checkers:boards:15";
  Create(name, json::object());
  int called = 0;
  channels().on_request(Boards(), "hint",
                        [&](const std::string&, const StateClient&,
                            const json&) -> absl::StatusOr<json> {
                          ++called;
                          return json("e4");
                        });
  StateCommandHandler handler(channels(), 2);
  internal::v1::CommandRequest request = RequestCommand(name, 9, "hint");
  request.mutable_istate()->clear();
  absl::StatusOr<internal::v1::CommandResponse> response =
      RunCommand(handler, request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status(), internal::v1::STATUS_ERROR);
  EXPECT_THAT(response->error_msg(), HasSubstr("not a stateful channel"));
  EXPECT_THAT(response->transmissions(),
              ElementsAre(protocol::ErrorFrame(Identifier(name),
                                               response->error_msg())));
  EXPECT_EQ(Parse(response->transmissions(0))["type"], "error");
  EXPECT_EQ(called, 0);
}

INSTANTIATE_TEST_SUITE_P(
    Stores, StateChannelsTest,
    ::testing::Values(StoreFactory{"InMemory", MakeInMemoryStore},
                      StoreFactory{"Nats", MakeNatsStore}),
    [](const ::testing::TestParamInfo<StoreFactory>& info) {
      return info.param.name;
    });

}  // namespace
}  // namespace cable::service
