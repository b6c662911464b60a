// StateCommandHandler over StateChannels: join, sync and requests as the
// gateway sends them (fixture in state_channels_fixture.h).

#include "tests/service/state_channels_fixture.h"

namespace cable::service::state_channels_testing {
namespace {

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
  channels().OnJoin(Boards(),
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
                  .LockState(name,
                             [](json& state) -> absl::StatusOr<Change> {
                               state["turn"] = "black";
                               return Change{.events = {json{{"m", 1}},
                                                        json{{"m", 2}},
                                                        json{{"m", 3}}}};
                             })
                  .ok());
  std::vector<std::string> joined;
  channels().OnJoin(
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
  channels().OnRequest(
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
  channels().OnRequest(Boards(), "hint",
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
  channels().OnRequest(
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
  channels().OnRequest(Boards(), "hint",
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

}  // namespace
}  // namespace cable::service::state_channels_testing
