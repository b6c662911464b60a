// The client's protocol core without sockets: frames in, frames and
// callbacks out, as sdk/js/cable-state.js behaves.

#include "sdk/client/session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cable/client.h"
#include "tests/sdk_client/test_recorder.h"

namespace cable::testing {
namespace {

using client_internal::ChannelRecord;
using client_internal::RequestResult;
using client_internal::Session;
using client_internal::SubscriptionRecord;
using ::nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kBoard[] = R"({"channel":"board:demo"})";
constexpr char kChat[] = R"({"channel":"ChatChannel","room":"r"})";

json Backlog(std::vector<std::pair<int, json>> events) {
  json list = json::array();
  for (auto& [id, event] : events) {
    list.push_back({{"id", id}, {"event", event}});
  }
  return {{"identifier", kBoard}, {"type", "backlog"}, {"events", list}};
}

json State(std::uint64_t revision, std::uint64_t last_event_id, json state) {
  return {{"identifier", kBoard},
          {"type", "state"},
          {"revision", revision},
          {"last_event_id", last_event_id},
          {"state", std::move(state)}};
}

json Update(const char* type, std::uint64_t revision, json event_id, json event,
            json patch = nullptr) {
  json frame = {{"identifier", kBoard},
                {"type", type},
                {"revision", revision},
                {"event_id", std::move(event_id)},
                {"event", std::move(event)}};
  if (std::string(type) == "event_patch") frame["patch"] = std::move(patch);
  return frame;
}

json Reply(int id, const char* identifier, json body) {
  body["identifier"] = identifier;
  body["type"] = "reply";
  body["id"] = id;
  return body;
}

// Waits for a future that must already be ready.
RequestResult Ready(std::future<RequestResult>& future) {
  EXPECT_EQ(future.wait_for(std::chrono::seconds(0)),
            std::future_status::ready);
  return future.get();
}

// A Session driven by hand, in the order the transport calls it.
class SessionTest : public ::testing::Test {
 protected:
  SessionTest()
      : session_(Session::Options{
            .max_queued_commands = 3,
            .on_connection_status = log_.StatusCallback(),
            .on_disconnect =
                [this](const DisconnectInfo& info) {
                  log_.Add("disconnect", {{"reason", info.reason},
                                          {"reconnect", info.reconnect}});
                },
        }) {}

  // One server frame, then its callbacks.
  void Feed(const json& frame) {
    session_.OnFrame(frame.dump());
    session_.RunCallbacks();
  }
  void Connect() {
    session_.OnConnecting();
    Feed({{"type", "welcome"}, {"sid", "g.1"}});
  }
  void Lose() {
    session_.OnConnectionLost();
    session_.RunCallbacks();
  }
  // The frames to send, decoded (their `data` too).
  std::vector<json> Sent() {
    std::vector<json> out;
    for (const std::string& text : session_.TakeOutgoing()) {
      json frame = json::parse(text);
      if (frame.contains("data")) {
        frame["data"] = json::parse(frame["data"].get<std::string>());
      }
      out.push_back(std::move(frame));
    }
    return out;
  }
  std::shared_ptr<ChannelRecord> Join(Recorder& recorder) {
    auto record = session_.Join("board:demo", recorder.ChannelHandlers());
    EXPECT_TRUE(record.ok()) << record.status();
    return *record;
  }
  // Joined, connected, with an empty backlog and a state at `revision`.
  std::shared_ptr<ChannelRecord> Joined(Recorder& recorder,
                                        std::uint64_t revision = 5) {
    auto channel = Join(recorder);
    Connect();
    Sent();
    Feed(Backlog({}));
    Feed(State(revision, 0, {{"count", 0}, {"cells", {1, 2}}}));
    return channel;
  }

  Recorder log_;
  Session session_;
};

TEST_F(SessionTest, CommandsWaitForTheWelcomeThenFollowTheJoin) {
  Recorder board;
  auto channel = Join(board);
  ASSERT_TRUE(session_.DoAction(*channel, "set", {{"cell", 3}}).ok());
  auto reply = session_.DoRequest(*channel, "increment", {{"by", 2}});
  EXPECT_TRUE(Sent().empty());

  Connect();
  EXPECT_THAT(log_.Values("status"), ElementsAre("connecting", "connected"));
  std::vector<json> sent = Sent();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0], json({{"command", "join"}, {"identifier", kBoard}}));
  EXPECT_EQ(sent[1],
            json({{"command", "message"},
                  {"identifier", kBoard},
                  {"data", {{"action", "set"}, {"payload", {{"cell", 3}}}}}}));
  EXPECT_EQ(
      sent[2],
      json(
          {{"command", "request"},
           {"identifier", kBoard},
           {"data",
            {{"id", 1}, {"request", "increment"}, {"payload", {{"by", 2}}}}}}));
  Feed(Reply(1, kBoard, {{"status", "success"}, {"data", 7}}));
  RequestResult result = Ready(reply);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, 7);
}

TEST_F(SessionTest, BacklogThenStateInTheJsClientsOrder) {
  Recorder board;
  auto channel = Join(board);
  Connect();
  Feed(Backlog({{1, "a"}, {2, "b"}}));
  Feed(State(4, 2, {{"count", 2}}));
  EXPECT_THAT(board.Kinds(), ElementsAre("event_patch", "event", "event_patch",
                                         "event", "initial_state", "state"));
  EXPECT_EQ(board.Values("event_patch")[0],
            json({{"event", "a"}, {"backlog", true}}));
  EXPECT_THAT(board.Values("event"), ElementsAre("a", "b"));
  EXPECT_EQ(board.Values("state")[0], json({{"count", 2}}));
  EXPECT_EQ(session_.View(*channel, false).revision, 4u);
  EXPECT_EQ(session_.View(*channel, false).last_event_id, 2u);
  EXPECT_TRUE(session_.View(*channel, false).joined);
}

TEST_F(SessionTest, LiveCommitsApplyPatchesInRevisionOrder) {
  Recorder board;
  auto channel = Joined(board, 5);
  board.Clear();
  // A commit of two events and a change: "event", then "event_patch".
  Feed(Update("event", 6, 1, "first"));
  Feed(Update(
      "event_patch", 6, 2, "second",
      json::array({{{"op", "replace"}, {"path", "/count"}, {"value", 2}}})));
  // Already in the state: ignored.
  Feed(Update("event_patch", 6, 2, "again", nullptr));
  // A change without an event.
  Feed(Update(
      "event_patch", 7, nullptr, nullptr,
      json::array({{{"op", "add"}, {"path", "/cells/-"}, {"value", 3}}})));
  EXPECT_THAT(board.Kinds(),
              ElementsAre("event_patch", "event", "event_patch", "event",
                          "state", "event_patch", "state"));
  auto patches = board.Values("event_patch");
  EXPECT_EQ(patches[0], json({{"event", "first"}, {"backlog", false}}));
  EXPECT_EQ(patches[1]["event"], "second");
  EXPECT_FALSE(patches[2].contains("event"));
  EXPECT_EQ(board.Values("state").back(),
            json({{"count", 2}, {"cells", {1, 2, 3}}}));
  EXPECT_EQ(session_.View(*channel, false).revision, 7u);
  EXPECT_EQ(session_.View(*channel, false).last_event_id, 2u);
  EXPECT_TRUE(Sent().empty());
}

TEST_F(SessionTest, RevisionGapSyncsAndIgnoresUpdatesUntilTheState) {
  Recorder board;
  Joined(board, 5);
  board.Clear();
  Feed(Update("event_patch", 8, 3, "lost two", nullptr));
  EXPECT_EQ(Sent(),
            std::vector<json>({{{"command", "sync"}, {"identifier", kBoard}}}));
  Feed(Update("event_patch", 9, 4, "while syncing", nullptr));
  EXPECT_TRUE(Sent().empty());  // one sync at a time
  Feed(State(9, 4, {{"count", 9}}));
  Feed(Update("event_patch", 10, 5, "next", nullptr));
  EXPECT_THAT(board.Kinds(),
              ElementsAre("initial_state", "state", "event_patch", "event"));
  EXPECT_THAT(board.Values("event"), ElementsAre("next"));
}

TEST_F(SessionTest, PatchThatDoesNotApplySyncs) {
  Recorder board;
  Joined(board, 5);
  board.Clear();
  Feed(Update("event_patch", 6, nullptr, nullptr,
              json::array({{{"op", "remove"}, {"path", "/missing"}}})));
  EXPECT_EQ(Sent(),
            std::vector<json>({{{"command", "sync"}, {"identifier", kBoard}}}));
  EXPECT_TRUE(board.entries().empty());
}

TEST_F(SessionTest, FailureReplyCarriesTheServersMessage) {
  Recorder board;
  auto channel = Joined(board);
  auto take = session_.DoRequest(*channel, "take", {{"amount", 5}});
  // A reply on another identifier is not this request's.
  Feed(Reply(1, R"({"channel":"board:other"})", {{"status", "success"}}));
  EXPECT_EQ(take.wait_for(std::chrono::seconds(0)),
            std::future_status::timeout);
  Feed(Reply(1, kBoard,
             {{"status", "failure"}, {"error", "only 0 left, cannot take 5"}}));
  RequestResult result = Ready(take);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(result.status().message(), "only 0 left, cannot take 5");
  EXPECT_EQ(RequestFailureError(result.status()),
            json("only 0 left, cannot take 5"));
  EXPECT_EQ(RequestFailureError(absl::UnknownError("x")), std::nullopt);
}

TEST_F(SessionTest, ActionErrorsReachOnError) {
  Recorder board;
  auto channel = Joined(board);
  board.Clear();
  Feed({{"identifier", kBoard},
        {"type", "error"},
        {"error", "unknown action \"dance\""}});
  EXPECT_THAT(board.Values("error"), ElementsAre("unknown action \"dance\""));
}

TEST_F(SessionTest, ReconnectRejoinsWithTheLastEventIdWithoutDuplicates) {
  Recorder board;
  auto channel = Joined(board, 5);
  Feed(Update("event_patch", 6, 1, "one", nullptr));
  auto in_flight = session_.DoRequest(*channel, "increment", nullptr);
  Sent();
  Lose();
  EXPECT_EQ(Ready(in_flight).status().code(), absl::StatusCode::kAborted);
  EXPECT_FALSE(session_.View(*channel, false).joined);
  // Commands while away wait for the rejoin.
  ASSERT_TRUE(session_.DoAction(*channel, "increment", nullptr).ok());
  EXPECT_TRUE(Sent().empty());
  board.Clear();

  Connect();
  std::vector<json> sent = Sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0], json({{"command", "join"},
                           {"identifier", kBoard},
                           {"data", {{"last_event_id", 1}}}}));
  EXPECT_EQ(sent[1]["command"], "message");
  // Event 1 again (a server that ignores last_event_id) is skipped.
  Feed(Backlog({{1, "one"}, {2, "two"}, {3, "three"}}));
  Feed(State(9, 3, {{"count", 3}}));
  EXPECT_THAT(board.Values("event"), ElementsAre("two", "three"));
  EXPECT_EQ(board.Values("initial_state").size(), 1u);
  EXPECT_EQ(session_.View(*channel, false).last_event_id, 3u);
  EXPECT_THAT(log_.Values("status"),
              ElementsAre("connecting", "connected", "disconnected",
                          "connecting", "connected"));
}

TEST_F(SessionTest, RejectedJoinFailsItsRequests) {
  Recorder board;
  auto channel = Join(board);
  auto request = session_.DoRequest(*channel, "increment", nullptr);
  Connect();
  Sent();
  Feed({{"identifier", kBoard}, {"type", "reject_subscription"}});
  EXPECT_THAT(board.Kinds(), ElementsAre("rejected"));
  RequestResult result = Ready(request);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(result.status().message(), HasSubstr("refused"));
}

TEST_F(SessionTest, LeaveSendsLeaveCancelsWaitingRequestsAndSilences) {
  Recorder board;
  auto channel = Join(board);
  auto waiting = session_.DoRequest(*channel, "increment", nullptr);
  session_.Leave(*channel);
  EXPECT_EQ(Ready(waiting).status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(session_.DoAction(*channel, "set", nullptr).code(),
            absl::StatusCode::kFailedPrecondition);

  Recorder other;
  auto joined = Joined(other);
  session_.Leave(*joined);
  EXPECT_EQ(Sent(), std::vector<json>(
                        {{{"command", "leave"}, {"identifier", kBoard}}}));
  other.Clear();
  Feed(Update("event_patch", 6, 1, "after leave", nullptr));
  EXPECT_TRUE(other.entries().empty());
  EXPECT_TRUE(board.entries().empty());
}

TEST_F(SessionTest, SecondJoinOfANameIsItsOwnSubscription) {
  Recorder a, b;
  auto first = Join(a);
  auto second = session_.Join("board:demo", b.ChannelHandlers());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->identifier, kBoard);
  EXPECT_EQ((*second)->identifier, R"({"channel":"board:demo","join":2})");
}

TEST_F(SessionTest, WaitingCommandsAreBounded) {
  Recorder board;
  auto channel = Join(board);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(session_.DoAction(*channel, "increment", nullptr).ok());
  }
  EXPECT_EQ(session_.DoAction(*channel, "increment", nullptr).code(),
            absl::StatusCode::kResourceExhausted);
  auto request = session_.DoRequest(*channel, "increment", nullptr);
  EXPECT_EQ(Ready(request).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(SessionTest, SubscriptionLifecycle) {
  Recorder chat;
  EXPECT_EQ(session_.Subscribe("not json", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto subscription = session_.Subscribe(kChat, chat.SubscriptionHandlers());
  ASSERT_TRUE(subscription.ok());
  EXPECT_EQ(session_.Subscribe(kChat, {}).status().code(),
            absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(
      session_.Perform(**subscription, "speak", {{"message", "hi"}}).ok());
  EXPECT_EQ(session_.Perform(**subscription, "speak", json::array()).code(),
            absl::StatusCode::kInvalidArgument);
  Connect();
  std::vector<json> sent = Sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0], json({{"command", "subscribe"}, {"identifier", kChat}}));
  EXPECT_EQ(sent[1],
            json({{"command", "message"},
                  {"identifier", kChat},
                  {"data", {{"action", "speak"}, {"message", "hi"}}}}));
  Feed({{"identifier", kChat}, {"type", "confirm_subscription"}});
  Feed({{"identifier", kChat}, {"message", {{"message", "hi"}}}});
  Lose();
  Connect();
  EXPECT_EQ(Sent(), std::vector<json>(
                        {{{"command", "subscribe"}, {"identifier", kChat}}}));
  Feed({{"identifier", kChat}, {"type", "confirm_subscription"}});
  EXPECT_THAT(chat.Kinds(), ElementsAre("connected", "received", "disconnected",
                                        "connected"));
  EXPECT_EQ(chat.Values("received")[0], json({{"message", "hi"}}));
  session_.Unsubscribe(**subscription);
  EXPECT_EQ(Sent(), std::vector<json>(
                        {{{"command", "unsubscribe"}, {"identifier", kChat}}}));
  Feed({{"identifier", kChat}, {"message", "late"}});
  EXPECT_EQ(chat.Values("received").size(), 1u);
}

TEST_F(SessionTest, RejectedSubscriptionIsGone) {
  Recorder chat;
  auto subscription = session_.Subscribe(kChat, chat.SubscriptionHandlers());
  ASSERT_TRUE(subscription.ok());
  Connect();
  Feed({{"identifier", kChat}, {"type", "reject_subscription"}});
  EXPECT_THAT(chat.Kinds(), ElementsAre("rejected"));
  EXPECT_EQ(session_.Perform(**subscription, "speak", nullptr).code(),
            absl::StatusCode::kFailedPrecondition);
  Lose();
  Connect();
  EXPECT_TRUE(Sent().empty());  // not resubscribed
}

TEST_F(SessionTest, DisconnectWithoutReconnectClosesForGood) {
  Recorder board;
  auto channel = Joined(board);
  auto waiting_after = [&] {
    return session_.DoRequest(*channel, "increment", nullptr);
  };
  Feed({{"type", "disconnect"},
        {"reason", "unauthorized"},
        {"reconnect", false}});
  EXPECT_THAT(
      log_.Values("disconnect"),
      ElementsAre(json({{"reason", "unauthorized"}, {"reconnect", false}})));
  EXPECT_TRUE(session_.closed());
  auto late = waiting_after();
  EXPECT_EQ(Ready(late).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(session_.Join("board:x", {}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(SessionTest, CloseFailsRequestsAndIgnoresLaterFrames) {
  Recorder board;
  auto channel = Joined(board);
  auto in_flight = session_.DoRequest(*channel, "increment", nullptr);
  session_.Close();
  session_.RunCallbacks();
  EXPECT_EQ(Ready(in_flight).status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(log_.Values("status").back(), "disconnected");
  board.Clear();
  Feed(Update("event_patch", 6, 1, "late", nullptr));
  EXPECT_TRUE(board.entries().empty());
  EXPECT_TRUE(Sent().empty());
  EXPECT_EQ(session_.DoAction(*channel, "x", nullptr).code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace cable::testing
