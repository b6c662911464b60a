// Session restore (docs/protocol.md, "Session restore") against the real
// cable-server over raw WebSockets: an extended-protocol client that comes
// back with ?sid=<old sid> finds its subscriptions made again, and nothing
// else changes (plain clients, unknown sids, --session_ttl=0). The AnyCable
// client's own test is tests/compat/anycable_web.test.mjs.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/cable_server_fixture.h"
#include "tests/support/must.h"
#include "tests/support/publisher_client.h"
#include "tests/support/server_process.h"
#include "tests/support/test_jwt.h"
#include "tests/support/ws_client.h"

namespace cable::testing {
namespace {

using ::nlohmann::json;

constexpr char kExt[] = "actioncable-v1-ext-json";

ServerProcess Start(std::vector<std::string> extra = {}) {
  return cable_server::StartServer(std::move(extra));
}

std::string Room(const std::string& room) {
  return json{{"channel", "ChatChannel"}, {"room", room}}.dump();
}

WsClient::Options Options(const std::string& subprotocol,
                          const std::string& sid = "") {
  WsClient::Options options;
  options.subprotocols = {subprotocol};
  if (!sid.empty()) options.path = "/cable?sid=" + sid;
  return options;
}

// Connects and returns the client with its welcome.
std::pair<std::unique_ptr<WsClient>, json> Connect(const ServerProcess& server,
                                                   WsClient::Options options) {
  auto client = Must(WsClient::Connect(server.http_port(), std::move(options)));
  json welcome = Must(client->ReceiveNonPing());
  EXPECT_EQ(welcome.value("type", ""), "welcome") << welcome.dump();
  return {std::move(client), welcome};
}

// An ext client subscribed to rooms `a` and `b`; returns it and its sid.
std::pair<std::unique_ptr<WsClient>, std::string> SubscribedToTwo(
    const ServerProcess& server, const std::string& subprotocol = kExt) {
  auto [client, welcome] = Connect(server, Options(subprotocol));
  for (const char* room : {"a", "b"}) {
    EXPECT_EQ(Must(client->Subscribe(Room(room))), "confirm_subscription");
  }
  return {std::move(client), welcome.value("sid", "")};
}

// The next frame that carries a message (pings skipped).
json NextData(WsClient& client) {
  for (;;) {
    json m = Must(client.ReceiveNonPing());
    if (m.contains("message")) return m;
    ADD_FAILURE() << "expected a message, got " << m.dump();
    return m;
  }
}

TEST(SessionRestore, ExtClientGetsItsSubscriptionsBack) {
  ServerProcess server = Start();
  auto [old_client, old_sid] = SubscribedToTwo(server);
  ASSERT_FALSE(old_sid.empty());
  const auto a1 =
      Must(BroadcastWithResponse(server.grpc_port(), "chat:a", R"({"n":1})"));
  EXPECT_EQ(NextData(*old_client)["offset"], a1.offset());
  old_client.reset();  // gone: a2 is published while nobody listens
  Must(BroadcastWithResponse(server.grpc_port(), "chat:a", R"({"n":2})"));

  auto [client, welcome] = Connect(server, Options(kExt, old_sid));
  EXPECT_EQ(welcome.value("restored", false), true) << welcome.dump();
  EXPECT_EQ(welcome["restored_ids"], json::array({Room("a"), Room("b")}));
  EXPECT_NE(welcome.value("sid", ""), old_sid) << "a restored session is new";

  // As the AnyCable client does: history for each restored id (a from its
  // position, b with nothing to replay), never a subscribe.
  json history_a;
  history_a["streams"]["chat:a"] = {{"epoch", a1.epoch()},
                                    {"offset", a1.offset()}};
  ASSERT_TRUE(client
                  ->Send(json{{"command", "history"},
                              {"identifier", Room("a")},
                              {"history", history_a}}
                             .dump())
                  .ok());
  json replayed = NextData(*client);
  EXPECT_EQ(replayed["identifier"], Room("a"));
  EXPECT_EQ(replayed["message"], json({{"n", 2}}));
  EXPECT_EQ(Must(client->ReceiveNonPing()).value("type", ""),
            "confirm_history");
  // (What @anycable/core sends for a subscription of which it knows no
  // position when `since` is off: no history object. It lets b go live.)
  ASSERT_TRUE(
      client
          ->Send(json{{"command", "history"}, {"identifier", Room("b")}}.dump())
          .ok());
  EXPECT_EQ(Must(client->ReceiveNonPing()).value("type", ""),
            "confirm_history");

  // Live on both, without subscribing again.
  Must(BroadcastWithResponse(server.grpc_port(), "chat:a", R"({"n":3})"));
  Must(BroadcastWithResponse(server.grpc_port(), "chat:b", R"({"n":4})"));
  json m3 = NextData(*client);
  EXPECT_EQ(m3["identifier"], Room("a"));
  EXPECT_EQ(m3["message"], json({{"n", 3}}));
  json m4 = NextData(*client);
  EXPECT_EQ(m4["identifier"], Room("b"));
  EXPECT_EQ(m4["message"], json({{"n", 4}}));

  // The restored session is kept in turn: a second restore finds both.
  const std::string new_sid = welcome.value("sid", "");
  client.reset();
  auto [again, again_welcome] = Connect(server, Options(kExt, new_sid));
  EXPECT_EQ(again_welcome.value("restored", false), true);
  EXPECT_EQ(again_welcome["restored_ids"], json::array({Room("a"), Room("b")}));
}

TEST(SessionRestore, LiveFramesWaitForTheHistoryCommandInOrder) {
  ServerProcess server = Start();
  auto [old_client, old_sid] = SubscribedToTwo(server);
  const auto first =
      Must(BroadcastWithResponse(server.grpc_port(), "chat:a", R"({"n":1})"));
  EXPECT_EQ(NextData(*old_client)["offset"], first.offset());
  old_client.reset();
  // Missed while away: only the replay has it.
  Must(BroadcastWithResponse(server.grpc_port(), "chat:a", R"({"n":2})"));

  auto [client, welcome] = Connect(server, Options(kExt, old_sid));
  ASSERT_EQ(welcome.value("restored", false), true) << welcome.dump();
  // Published before the client asks for history: live on the restored
  // subscription, so held until the replay (sent at once, they would
  // overtake 2, or 2 would be dropped as behind them), then not repeated.
  for (int n = 3; n <= 4; ++n) {
    Must(BroadcastWithResponse(server.grpc_port(), "chat:a",
                               absl::StrCat(R"({"n":)", n, "}")));
  }
  json history;
  history["streams"]["chat:a"] = {{"epoch", first.epoch()}, {"offset", 1}};
  ASSERT_TRUE(client
                  ->Send(json{{"command", "history"},
                              {"identifier", Room("a")},
                              {"history", history}}
                             .dump())
                  .ok());
  // The replay (2, 3, 4 from JetStream or memory), confirm_history, then
  // the held live frames the replay did not cover: none.
  std::vector<int> got;
  for (;;) {
    json m = Must(client->ReceiveNonPing());
    if (m.value("type", "") == "confirm_history") break;
    ASSERT_TRUE(m.contains("message")) << m.dump();
    got.push_back(m["message"].value("n", 0));
  }
  EXPECT_EQ(got, (std::vector<int>{2, 3, 4}));
  Must(BroadcastWithResponse(server.grpc_port(), "chat:a", R"({"n":5})"));
  EXPECT_EQ(NextData(*client)["message"], json({{"n", 5}}));
}

// A client that comes back and asks for no history (it keeps no positions,
// or is not AnyCable's) is not left without broadcasts: after
// --restore_history_wait its restored subscriptions go live, in order.
TEST(SessionRestore, RestoredSubscriptionsGoLiveWhenNoHistoryIsAsked) {
  ServerProcess server = Start({"--restore_history_wait=200ms"});
  auto [old_client, old_sid] = SubscribedToTwo(server);
  old_client.reset();

  auto [client, welcome] = Connect(server, Options(kExt, old_sid));
  ASSERT_EQ(welcome.value("restored", false), true) << welcome.dump();
  // Held until the wait is over (no history command comes), then sent.
  const auto first =
      Must(BroadcastWithResponse(server.grpc_port(), "chat:a", R"({"n":1})"));
  const auto second =
      Must(BroadcastWithResponse(server.grpc_port(), "chat:b", R"({"n":2})"));
  std::set<std::pair<std::string, int>> got;
  for (int i = 0; i < 2; ++i) {
    json m = NextData(*client);
    got.emplace(m.value("stream_id", ""), m["message"].value("n", 0));
  }
  EXPECT_EQ(got, (std::set<std::pair<std::string, int>>{{"chat:a", 1},
                                                        {"chat:b", 2}}));
  // Live from now on, each once.
  Must(BroadcastWithResponse(server.grpc_port(), "chat:a", R"({"n":3})"));
  json third = NextData(*client);
  EXPECT_EQ(third["message"], json({{"n", 3}}));
  EXPECT_EQ(third["offset"], first.offset() + 1);
  EXPECT_GT(second.offset(), 0u);
}

// The new request's credentials decide: a sid alone lets nobody in, and a
// session comes back only to a client the application accepts again.
TEST(SessionRestore, ConnectRunsWithTheNewRequestsToken) {
  ServerProcess server = Start({"--jwt_secret=s3cret"});
  const std::string token =
      MintJwt("s3cret", "ann", UnixTimeIn(std::chrono::seconds(60)));
  WsClient::Options with_token = Options(kExt);
  with_token.path = "/cable?token=" + token;
  auto [old_client, welcome] = Connect(server, with_token);
  const std::string old_sid = welcome.value("sid", "");
  EXPECT_EQ(Must(old_client->Subscribe(Room("a"))), "confirm_subscription");
  old_client.reset();

  auto bare =
      Must(WsClient::Connect(server.http_port(), Options(kExt, old_sid)));
  EXPECT_EQ(Must(bare->ReceiveJson()),
            json::parse(R"({"type":"disconnect","reason":"unauthorized",
                            "reconnect":false})"));
  WsClient::Options again = Options(kExt);
  again.path = "/cable?token=" + token + "&sid=" + old_sid;
  auto [client, restored] = Connect(server, again);
  EXPECT_EQ(restored.value("restored", false), true) << restored.dump();
  EXPECT_EQ(restored["restored_ids"], json::array({Room("a")}));
}

TEST(SessionRestore, UnknownOrMalformedSidIsANormalWelcome) {
  ServerProcess server = Start();
  for (const char* sid :
       {"nogateway.0123456789abcdef01234567", "x", "gw.NOTHEX", "%zz"}) {
    auto [client, welcome] = Connect(server, Options(kExt, sid));
    EXPECT_FALSE(welcome.contains("restored")) << sid << ": " << welcome.dump();
    EXPECT_FALSE(welcome.contains("restored_ids")) << welcome.dump();
    // A working connection all the same.
    EXPECT_EQ(Must(client->Subscribe(Room("u"))), "confirm_subscription");
  }
}

TEST(SessionRestore, PlainClientsAreUnchanged) {
  ServerProcess server = Start();
  // A plain client's session is not kept...
  auto [plain, plain_sid] = SubscribedToTwo(server, "actioncable-v1-json");
  plain.reset();
  auto [again, welcome] =
      Connect(server, Options("actioncable-v1-json", plain_sid));
  std::set<std::string> keys;
  for (const auto& [key, value] : welcome.items()) keys.insert(key);
  EXPECT_EQ(keys, (std::set<std::string>{"type", "sid"})) << welcome.dump();
  // ...and a plain client with an ext session's sid is not restored.
  auto [ext, ext_sid] = SubscribedToTwo(server);
  ext.reset();
  auto [plain2, welcome2] =
      Connect(server, Options("actioncable-v1-json", ext_sid));
  keys.clear();
  for (const auto& [key, value] : welcome2.items()) keys.insert(key);
  EXPECT_EQ(keys, (std::set<std::string>{"type", "sid"})) << welcome2.dump();
  // Not subscribed: a broadcast reaches the plain client only once it asks.
  EXPECT_EQ(Must(plain2->Subscribe(Room("a"))), "confirm_subscription");
  Must(BroadcastWithResponse(server.grpc_port(), "chat:a", R"({"n":1})"));
  json m = NextData(*plain2);
  EXPECT_EQ(m, json({{"identifier", Room("a")}, {"message", {{"n", 1}}}}));
}

TEST(SessionRestore, TtlZeroTurnsRestoreOff) {
  ServerProcess server = Start({"--session_ttl=0"});
  auto [old_client, old_sid] = SubscribedToTwo(server);
  old_client.reset();
  auto [client, welcome] = Connect(server, Options(kExt, old_sid));
  EXPECT_FALSE(welcome.contains("restored")) << welcome.dump();
}

TEST(SessionRestore, ExpiredSessionsAreNotRestored) {
  ServerProcess server = Start({"--session_ttl=1s"});
  auto [old_client, old_sid] = SubscribedToTwo(server);
  old_client.reset();
  // Wait (bounded) for the snapshot to expire: a restore tried each round
  // is a normal welcome once it has.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool expired = false;
  while (!expired && std::chrono::steady_clock::now() < deadline) {
    auto [client, welcome] = Connect(server, Options(kExt, old_sid));
    expired = !welcome.contains("restored");
    // (A restored one is a new session with the same subscriptions: the
    // old sid still ages, untouched by this.)
  }
  EXPECT_TRUE(expired) << "session " << old_sid << " still restored after 10 s";
}

}  // namespace
}  // namespace cable::testing
