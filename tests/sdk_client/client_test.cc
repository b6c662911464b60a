// cable::Client end to end: a real cable-server ($CABLE_SERVER) on ephemeral
// ports, the shipped board:<id> stateful channels and ChatChannel.

#include "cable/client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/sdk_client/test_recorder.h"
#include "tests/support/must.h"
#include "tests/support/publisher_client.h"
#include "tests/support/server_process.h"
#include "tests/support/test_jwt.h"

namespace cable::testing {
namespace {

using ::nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr auto kWait = 20s;  // failure bound for every wait

ServerProcess StartServer(std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--host=127.0.0.1", "--port=0",
                                   "--grpc_port=0", "--log_level=warn"};
  args.insert(args.end(), extra.begin(), extra.end());
  return Must(ServerProcess::Start(CableServerBinary(), args));
}

std::string Url(const ServerProcess& server, const std::string& user = "") {
  return absl::StrCat("ws://127.0.0.1:", server.http_port(), "/cable",
                      user.empty() ? "" : "?user=", user);
}

std::unique_ptr<Client> Connect(ClientOptions options) {
  return Must(Client::create(std::move(options)));
}

absl::StatusOr<json> Await(std::future<absl::StatusOr<json>> future) {
  if (future.wait_for(kWait) != std::future_status::ready) {
    return absl::DeadlineExceededError("no reply");
  }
  return future.get();
}

bool Present(const json& state, const std::string& user) {
  return state.contains("present") && state["present"].contains(user);
}

TEST(Client, JoinGetsInitialStateAndRequestsGetReplies) {
  ServerProcess server = StartServer();
  Recorder status, board;
  auto client = Connect({.url = Url(server, "ann"),
                         .on_connection_status = status.StatusCallback()});
  Channel channel = Must(client->join("board:demo", board.ChannelHandlers()));
  ASSERT_TRUE(board.WaitForCount("state", 1, kWait));
  const json initial = board.Values("initial_state")[0];
  EXPECT_EQ(initial["count"], 0);
  EXPECT_EQ(initial["cells"].size(), 9u);
  EXPECT_TRUE(Present(initial, "ann")) << initial;
  EXPECT_THAT(board.Kinds(), ElementsAre("initial_state", "state"));
  EXPECT_THAT(status.Values("status"), ElementsAre("connecting", "connected"));
  EXPECT_EQ(client->status(), ConnectionStatus::kConnected);
  EXPECT_TRUE(channel.joined());

  absl::StatusOr<json> count =
      Await(channel.do_request("increment", {{"by", 2}}));
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_EQ(*count, 2);
  absl::StatusOr<json> take =
      Await(channel.do_request("take", {{"amount", 5}}));
  EXPECT_EQ(take.status().code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(take.status().message(), "only 2 left, cannot take 5");
  EXPECT_EQ(RequestFailureError(take.status()),
            json("only 2 left, cannot take 5"));
  absl::StatusOr<json> unknown = Await(channel.do_request("dance", nullptr));
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kUnknown);

  ASSERT_TRUE(board.WaitFor(
      "state", [](const json& s) { return s["count"] == 2; }, kWait));
  EXPECT_EQ(channel.state()->at("count"), 2);
  EXPECT_THAT(board.Values("event"),
              ElementsAre(json({{"increment", 2}, {"by", "ann"}})));
}

TEST(Client, ActionChangesTheStateAnotherClientSees) {
  ServerProcess server = StartServer();
  Recorder ann_board, bob_board;
  auto ann = Connect({.url = Url(server, "ann")});
  auto bob = Connect({.url = Url(server, "bob")});
  Channel bob_channel =
      Must(bob->join("board:demo", bob_board.ChannelHandlers()));
  ASSERT_TRUE(bob_board.WaitForCount("initial_state", 1, kWait));
  Channel ann_channel =
      Must(ann->join("board:demo", ann_board.ChannelHandlers()));
  // Commands wait for the join and run after it.
  ASSERT_TRUE(ann_channel.do_action("set", {{"cell", 4}, {"value", "X"}}).ok());

  const json event = {{"set", 4}, {"value", "X"}, {"by", "ann"}};
  ASSERT_TRUE(bob_board.WaitFor(
      "event", [&](const json& e) { return e == event; }, kWait));
  ASSERT_TRUE(bob_board.WaitFor(
      "state", [](const json& s) { return s["cells"][4] == "X"; }, kWait));
  // eventPatch comes first and carries the event and its patch.
  bool found = false;
  for (const json& ep : bob_board.Values("event_patch")) {
    if (ep.value("event", json()) != event) continue;
    found = true;
    EXPECT_FALSE(ep["backlog"].get<bool>());
    EXPECT_EQ(ep["patch"],
              json::array(
                  {{{"op", "replace"}, {"path", "/cells/4"}, {"value", "X"}}}));
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(bob_channel.state()->at("cells")[4], "X");
  // Bob also saw Ann arrive: a commit with a patch and no event.
  EXPECT_TRUE(bob_board.WaitFor(
      "state", [](const json& s) { return Present(s, "ann"); }, kWait));

  // A failing action comes back through on_error.
  ASSERT_TRUE(ann_channel.do_action("set", {{"cell", 99}}).ok());
  ASSERT_TRUE(ann_board.WaitForCount("error", 1, kWait));
  EXPECT_THAT(ann_board.Values("error")[0].get<std::string>(),
              HasSubstr("cell must be 0..8"));
}

TEST(Client, ChatChannelSubscribePerformReceived) {
  ServerProcess server = StartServer();
  Recorder ann_chat, bob_chat, no_room;
  auto ann = Connect({.url = Url(server, "ann")});
  auto bob = Connect({.url = Url(server, "bob")});
  const std::string lobby = R"({"channel":"ChatChannel","room":"lobby"})";
  Must(bob->subscribe(lobby, bob_chat.SubscriptionHandlers()));
  Subscription ann_lobby =
      Must(ann->subscribe(lobby, ann_chat.SubscriptionHandlers()));
  ASSERT_TRUE(bob_chat.WaitForCount("connected", 1, kWait));
  ASSERT_TRUE(ann_chat.WaitForCount("connected", 1, kWait));
  EXPECT_TRUE(ann_lobby.confirmed());
  ASSERT_TRUE(ann_lobby.perform("speak", {{"message", "hi"}}).ok());
  const json said = {{"message", "hi"}, {"user", "ann"}};
  ASSERT_TRUE(bob_chat.WaitFor(
      "received", [&](const json& m) { return m == said; }, kWait));
  ASSERT_TRUE(ann_chat.WaitFor(
      "received", [&](const json& m) { return m == said; }, kWait));

  Must(ann->subscribe(R"({"channel":"ChatChannel"})",
                      no_room.SubscriptionHandlers()));
  ASSERT_TRUE(no_room.WaitForCount("rejected", 1, kWait));
  EXPECT_THAT(no_room.Kinds(), ElementsAre("rejected"));

  // After unsubscribing, Ann no longer hears the room.
  ann_lobby.unsubscribe();
  EXPECT_EQ(ann_lobby.perform("speak", nullptr).code(),
            absl::StatusCode::kFailedPrecondition);
  Subscription bob_lobby =
      Must(bob->subscribe(R"({"room":"lobby","channel":"ChatChannel"})", {}));
  ASSERT_TRUE(bob_lobby.perform("speak", {{"message", "bye"}}).ok());
  ASSERT_TRUE(bob_chat.WaitFor(
      "received", [](const json& m) { return m["message"] == "bye"; }, kWait));
  EXPECT_EQ(ann_chat.Values("received").size(), 1u);
}

// Two gates for the reconnect test: the client's thread waits (bounded) in
// its "disconnected" callback until the test has made events while it is
// away, so they certainly happen between the drop and the rejoin.
struct Gate {
  std::promise<void> promise;
  std::shared_future<void> future = promise.get_future().share();
  std::atomic<bool> opened{false};
  void Open() {
    if (!opened.exchange(true)) promise.set_value();
  }
};

TEST(Client, ReconnectRejoinsWithLastEventIdWithoutLossOrDuplicates) {
  ServerProcess server = StartServer();
  auto away = std::make_shared<Gate>();    // alice noticed the drop
  auto resume = std::make_shared<Gate>();  // the test made its events
  Recorder status, disconnects, alice_board, bob_board;
  auto alice = Connect({
      .url = Url(server, "alice"),
      .reconnect_backoff = {0ms},
      .on_connection_status =
          [&status, away, resume,
           was_connected = false](ConnectionStatus s) mutable {
            status.Add("status", StatusName(s));
            if (s == ConnectionStatus::kConnected) was_connected = true;
            if (s == ConnectionStatus::kDisconnected && was_connected &&
                !away->opened) {
              away->Open();
              resume->future.wait_for(30s);
            }
          },
      .on_disconnect =
          [&disconnects](const DisconnectInfo& info) {
            disconnects.Add("disconnect", {{"reason", info.reason},
                                           {"reconnect", info.reconnect}});
          },
  });
  struct OpenOnExit {
    Gate& gate;
    ~OpenOnExit() { gate.Open(); }
  } release{*resume};
  auto bob = Connect({.url = Url(server, "bob")});
  Channel alice_channel =
      Must(alice->join("board:demo", alice_board.ChannelHandlers()));
  Channel bob_channel =
      Must(bob->join("board:demo", bob_board.ChannelHandlers()));
  ASSERT_TRUE(alice_board.WaitForCount("initial_state", 1, kWait));
  ASSERT_TRUE(bob_board.WaitForCount("initial_state", 1, kWait));
  ASSERT_TRUE(
      alice_channel.do_action("set", {{"cell", 0}, {"value", "A"}}).ok());
  ASSERT_TRUE(alice_board.WaitForCount("event", 1, kWait));

  ASSERT_TRUE(DisconnectClients(server.grpc_port(), {{"current_user", "alice"}},
                                /*reconnect=*/true)
                  .ok());
  ASSERT_EQ(away->future.wait_for(kWait), std::future_status::ready);
  for (int i = 1; i <= 3; ++i) {
    absl::StatusOr<json> count =
        Await(bob_channel.do_request("increment", {{"by", 1}}));
    ASSERT_TRUE(count.ok()) << count.status();
    EXPECT_EQ(*count, i);
  }
  resume->Open();

  ASSERT_TRUE(alice_board.WaitForCount("initial_state", 2, kWait));
  ASSERT_TRUE(alice_board.WaitFor(
      "state", [](const json& s) { return s["count"] == 3; }, kWait));
  const json bobs = {{"increment", 1}, {"by", "bob"}};
  EXPECT_THAT(alice_board.Values("event"),
              ElementsAre(json({{"set", 0}, {"value", "A"}, {"by", "alice"}}),
                          bobs, bobs, bobs));
  // The missed events came in the rejoin's backlog, before its state.
  int backlog = 0;
  for (const json& ep : alice_board.Values("event_patch")) {
    if (ep["backlog"].get<bool>()) {
      ++backlog;
      EXPECT_EQ(ep["event"], bobs);
      EXPECT_FALSE(ep.contains("patch"));
    }
  }
  EXPECT_EQ(backlog, 3);
  EXPECT_EQ(alice_channel.last_event_id(), 4u);
  EXPECT_THAT(disconnects.Values("disconnect"),
              ElementsAre(json({{"reason", "remote"}, {"reconnect", true}})));
  EXPECT_THAT(status.Values("status"),
              ElementsAre("connecting", "connected", "disconnected",
                          "connecting", "connected"));

  // Live updates flow again after the rejoin.
  ASSERT_TRUE(Await(bob_channel.do_request("increment", {{"by", 1}})).ok());
  ASSERT_TRUE(alice_board.WaitFor(
      "state", [](const json& s) { return s["count"] == 4; }, kWait));
  EXPECT_EQ(alice_board.Values("event").size(), 5u);
}

TEST(Client, QuietConnectionIsReplacedAndChannelsRejoin) {
  // The server pings once a minute: a 300 ms stale bound trips.
  ServerProcess server = StartServer({"--ping_interval=60s"});
  Recorder status, board;
  auto client = Connect({.url = Url(server, "ann"),
                         .stale_timeout = 300ms,
                         .on_connection_status = status.StatusCallback()});
  Must(client->join("board:demo", board.ChannelHandlers()));
  ASSERT_TRUE(board.WaitForCount("initial_state", 2, kWait));
  std::vector<json> statuses = status.Values("status");
  ASSERT_GE(statuses.size(), 5u);
  EXPECT_THAT(std::vector<json>(statuses.begin(), statuses.begin() + 5),
              ElementsAre("connecting", "connected", "disconnected",
                          "connecting", "connected"));
}

TEST(Client, SendsHeadersForAuthentication) {
  ServerProcess server = StartServer({"--jwt_secret=s3cret"});
  Recorder board, refused;
  auto carol = Connect(
      {.url = Url(server),
       .headers = {{"Authorization", "Bearer " + MintJwt("s3cret", "carol",
                                                         UnixTimeIn(600s))}}});
  Must(carol->join("board:demo", board.ChannelHandlers()));
  ASSERT_TRUE(board.WaitForCount("initial_state", 1, kWait));
  EXPECT_TRUE(Present(board.Values("initial_state")[0], "carol"));

  // Without a token the server refuses for good: no reconnect.
  auto nobody =
      Connect({.url = Url(server),
               .on_connection_status = refused.StatusCallback(),
               .on_disconnect = [&refused](const DisconnectInfo& info) {
                 refused.Add("disconnect", {{"reason", info.reason},
                                            {"reconnect", info.reconnect}});
               }});
  ASSERT_TRUE(refused.WaitFor(
      "status", [](const json& s) { return s == "disconnected"; }, kWait));
  EXPECT_THAT(
      refused.Values("disconnect"),
      ElementsAre(json({{"reason", "unauthorized"}, {"reconnect", false}})));
  EXPECT_THAT(refused.Values("status"),
              ElementsAre("connecting", "disconnected"));
  EXPECT_EQ(nobody->join("board:demo").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(Client, LeaveRunsTheLeaveHandler) {
  ServerProcess server = StartServer();
  Recorder ann_board, bob_board;
  auto ann = Connect({.url = Url(server, "ann")});
  auto bob = Connect({.url = Url(server, "bob")});
  Must(bob->join("board:demo", bob_board.ChannelHandlers()));
  ASSERT_TRUE(bob_board.WaitForCount("initial_state", 1, kWait));
  Channel ann_channel =
      Must(ann->join("board:demo", ann_board.ChannelHandlers()));
  ASSERT_TRUE(bob_board.WaitFor(
      "state", [](const json& s) { return Present(s, "ann"); }, kWait));
  ann_channel.leave();
  ann_channel.leave();  // idempotent
  ASSERT_TRUE(bob_board.WaitFor(
      "state",
      [](const json& s) { return Present(s, "bob") && !Present(s, "ann"); },
      kWait));
  EXPECT_EQ(ann_channel.do_action("set", {{"cell", 1}}).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(Client, RetriesWhileNothingListens) {
  // A port that was free a moment ago: connection attempts are refused.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  close(fd);
  Recorder status;
  auto client =
      Connect({.url = absl::StrCat("ws://127.0.0.1:", ntohs(address.sin_port),
                                   "/cable"),
               .reconnect_backoff = {0ms, 10ms},
               .on_connection_status = status.StatusCallback()});
  Channel channel = Must(client->join("board:demo"));
  auto request = channel.do_request("increment", nullptr);
  ASSERT_TRUE(status.WaitForCount("status", 6, kWait));
  const std::vector<json> statuses = status.Values("status");
  EXPECT_THAT(
      std::vector<json>(statuses.begin(), statuses.begin() + 4),
      ElementsAre("connecting", "disconnected", "connecting", "disconnected"));
  // The request waited for a connection that never came; close cancels it.
  client->close();
  absl::StatusOr<json> result = Await(std::move(request));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(client->join("board:demo").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(channel.do_action("set", nullptr).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(Client, RejectsBadOptions) {
  EXPECT_EQ(Client::create({.url = "http://x/cable"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Client::create({.url = "wss://x/cable"}).status().code(),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(Client::create({.url = "ws://x/cable", .reconnect_backoff = {}})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cable::testing
