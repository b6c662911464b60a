// StateChannels: guard counts and cleanup, UpdateState and
// DeleteEvents, and the handler registry (fixture in
// state_channels_fixture.h).

#include "tests/service/state_channels_fixture.h"

namespace cable::service::state_channels_testing {
namespace {

// ---- guard counts and cleanup ----

TEST_P(StateChannelsTest, CleanupRunsOnceForADeadWorkersGuards) {
  const std::string name = "game:1";
  Create(name, json{{"players", 3}});
  std::vector<std::string> cleaned;
  std::vector<std::set<std::string>> alive_seen;
  channels().OnCleanup("game:1",
                       [&](const std::string& channel, Txn& txn,
                           const std::set<std::string>& alive) -> absl::Status {
                         cleaned.push_back(channel);
                         alive_seen.push_back(alive);
                         return txn.LockState(
                             channel,
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
  ASSERT_TRUE(w1.LockState(name, guard).ok());
  ASSERT_TRUE(channels().LockState(name, guard, "w1").ok());
  ASSERT_TRUE(channels().LockState(name, guard, "w2").ok());
  EXPECT_THAT(Guards(), ::testing::UnorderedElementsAre(
                            IsGuard(name, "w1", 2), IsGuard(name, "w2", 1)));
  // Guard counts alone are no update.
  EXPECT_EQ(MustGet(name).revision, 1u);
  EXPECT_THAT(updates->messages(), IsEmpty());

  ASSERT_TRUE(channels().Heartbeat("w2", absl::Seconds(10)).ok());
  absl::StatusOr<int> ran = channels().Cleanup();
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

  ran = channels().Cleanup();
  ASSERT_TRUE(ran.ok()) << ran.status();
  EXPECT_EQ(*ran, 0);
  EXPECT_THAT(cleaned, SizeIs(1));
  EXPECT_THAT(Guards(), ElementsAre(IsGuard(name, "w2", 1)));
}

TEST_P(StateChannelsTest, GuardChangeWithoutAWorkerIsInvalid) {
  Create("g", json{{"v", 0}});
  auto updates = Record("g");
  EXPECT_THAT(
      channels().LockState("g",
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
    return channels().LockState(
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

// ---- UpdateState, DeleteEvents ----

TEST_P(StateChannelsTest, UpdateStateComparesAndSets) {
  Create("doc", json{{"v", 0}});
  auto updates = Record("doc");
  absl::StatusOr<CommitResult> result =
      channels().UpdateState("doc", 1, R"({"v":1})", {R"({"e":1})", "2"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->revision, 2u);
  EXPECT_EQ(result->first_event_id, 1u);
  result = channels().UpdateState("doc", 2, std::nullopt, {R"("x")"});
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
  ASSERT_TRUE(channels().UpdateState("doc", 1, R"({"v":1})", {}).ok());
  auto updates = Record("doc");
  EXPECT_THAT(channels().UpdateState("doc", 1, R"({"v":2})", {"{}"}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("is at revision 2")));
  EXPECT_EQ(MustGet("doc").revision, 2u);
  EXPECT_EQ(StateOf("doc"), json({{"v", 1}}));
  EXPECT_THAT(updates->messages(), IsEmpty());
  EXPECT_THAT(channels().UpdateState("nope", 1, "{}", {}),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StateChannelsTest, UpdateStateRejectsInvalidJson) {
  Create("doc", json{{"v", 0}});
  auto updates = Record("doc");
  EXPECT_THAT(channels().UpdateState("doc", 1, "{nope", {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("state")));
  EXPECT_THAT(
      channels().UpdateState("doc", 1, std::nullopt, {"{}", "nah"}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events[1]")));
  EXPECT_EQ(MustGet("doc").revision, 1u);
  EXPECT_EQ(MustGet("doc").last_event_id, 0u);
  EXPECT_THAT(updates->messages(), IsEmpty());
}

TEST_P(StateChannelsTest, DeleteEventsNeedsKeepNumOrKeepDuration) {
  Create("doc", json::object());
  ASSERT_TRUE(
      channels().UpdateState("doc", 1, std::nullopt, {"1", "2", "3"}).ok());
  EXPECT_THAT(channels().DeleteEvents("doc", std::nullopt, std::nullopt),
              StatusIs(absl::StatusCode::kInvalidArgument));
  absl::StatusOr<std::vector<StoredEvent>> stored =
      store().Events("doc", 0, std::nullopt);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_THAT(*stored, SizeIs(3));
  absl::StatusOr<std::uint64_t> deleted =
      channels().DeleteEvents("doc", 1, std::nullopt);
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
  channels().OnJoin(boards,
                    [](const std::string&, const StateClient&,
                       const JoinAttrs&) -> JoinResult { return Join{}; });
  int moves = 0;
  int chats = 0;
  channels().OnAction(
      boards, "move",
      [&](const std::string&, const StateClient&, const json&) -> absl::Status {
        ++moves;
        return absl::OkStatus();
      });
  channels().OnAction(
      {"checkers:boards", Pattern(R"(^\d+$)"), "chat"}, "move",
      [&](const std::string&, const StateClient&, const json&) -> absl::Status {
        ++chats;
        return absl::OkStatus();
      });
  channels().OnRequest(
      boards, "hint",
      [](const std::string&, const StateClient&,
         const json&) -> absl::StatusOr<json> { return json("e4"); });

  EXPECT_NE(channels().find("checkers:boards:15").join, nullptr);
  EXPECT_EQ(channels().find("checkers:boards:15").leave, nullptr);
  EXPECT_EQ(channels().find("checkers:boards:x").join, nullptr);
  EXPECT_EQ(channels().find("checkers:boards:15:chat").join, nullptr);

  const StateClient client(channels(), "sid", "w", {});
  const ActionHandler* move =
      channels().FindAction("checkers:boards:15", "move");
  ASSERT_NE(move, nullptr);
  EXPECT_TRUE((*move)("checkers:boards:15", client, json()).ok());
  const ActionHandler* chat_move =
      channels().FindAction("checkers:boards:15:chat", "move");
  ASSERT_NE(chat_move, nullptr);
  EXPECT_TRUE((*chat_move)("checkers:boards:15:chat", client, json()).ok());
  EXPECT_EQ(moves, 1);
  EXPECT_EQ(chats, 1);
  EXPECT_EQ(channels().FindAction("checkers:boards:15", "jump"), nullptr);
  EXPECT_EQ(channels().FindAction("checkers:boards:x", "move"), nullptr);

  const RequestHandler* hint =
      channels().FindRequest("checkers:boards:15", "hint");
  ASSERT_NE(hint, nullptr);
  std::optional<absl::StatusOr<json>> answer;
  (*hint)("checkers:boards:15", client, json(),
          [&](absl::StatusOr<json> r) { answer = std::move(r); });
  ASSERT_TRUE(answer.has_value());
  ASSERT_TRUE(answer->ok()) << answer->status();
  EXPECT_EQ(**answer, json("e4"));
  EXPECT_EQ(channels().FindRequest("checkers:boards:15", "move"), nullptr);
  EXPECT_EQ(channels().FindRequest("checkers:boards:15:chat", "hint"), nullptr);
}

}  // namespace
}  // namespace cable::service::state_channels_testing
