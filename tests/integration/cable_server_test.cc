// End-to-end tests: the real cable-server binary on ephemeral ports, driven
// by real WebSocket clients and real gRPC calls.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <jwt.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <sys/wait.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "tests/support/must.h"
#include "tests/support/publisher_client.h"
#include "tests/support/server_process.h"
#include "tests/support/ws_client.h"

namespace cable::testing {
namespace {

using ::nlohmann::json;
using ::testing::HasSubstr;

constexpr char kLobby[] = R"({"channel":"ChatChannel","room":"lobby"})";

ServerProcess StartServer(std::vector<std::string> extra = {},
                          std::vector<std::string> env = {}) {
  std::vector<std::string> args = {"--host=127.0.0.1", "--port=0",
                                   "--grpc_port=0", "--log_level=warn"};
  args.insert(args.end(), extra.begin(), extra.end());
  return Must(ServerProcess::Start(CableServerBinary(), args,
                                   std::chrono::seconds(20), env));
}

std::unique_ptr<WsClient> Client(const ServerProcess& server,
                                 WsClient::Options options = {}) {
  auto client = WsClient::Connect(server.http_port(), std::move(options));
  EXPECT_TRUE(client.ok()) << client.status();
  if (!client.ok()) return nullptr;
  return std::move(*client);
}

// Connects and consumes the welcome.
std::unique_ptr<WsClient> Welcomed(const ServerProcess& server,
                                   WsClient::Options options = {}) {
  auto client = Client(server, std::move(options));
  if (!client) return nullptr;
  auto welcome = client->ReceiveNonPing();
  EXPECT_TRUE(welcome.ok()) << welcome.status();
  if (welcome.ok()) {
    EXPECT_EQ(welcome->value("type", ""), "welcome");
  }
  return client;
}

// The "message" of the next data frame for `identifier`.
json NextMessage(WsClient& client, const std::string& identifier) {
  for (;;) {
    auto m = client.ReceiveNonPing();
    if (!m.ok()) {
      ADD_FAILURE() << m.status();
      return json();
    }
    if (m->contains("message") && m->value("identifier", "") == identifier) {
      return (*m)["message"];
    }
  }
}

std::string Identifier(const std::string& channel, const std::string& room) {
  return json{{"channel", channel}, {"room", room}}.dump();
}

TEST(CableServer, WelcomesWithSessionIdAndSubprotocol) {
  auto server = StartServer();
  auto client = Client(server);
  ASSERT_TRUE(client);
  EXPECT_EQ(client->subprotocol(), "actioncable-v1-json");
  auto welcome = client->ReceiveJson();
  ASSERT_TRUE(welcome.ok()) << welcome.status();
  EXPECT_EQ((*welcome)["type"], "welcome");
  EXPECT_FALSE((*welcome)["sid"].get<std::string>().empty());
}

TEST(CableServer, SendsPingsAtTheConfiguredInterval) {
  auto server = StartServer({"--ping_interval=100ms"});
  auto client = Welcomed(server);
  ASSERT_TRUE(client);
  auto ping = client->ReceiveJson();
  ASSERT_TRUE(ping.ok()) << ping.status();
  EXPECT_EQ((*ping)["type"], "ping");
  EXPECT_GT((*ping)["message"].get<int64_t>(), 1700000000);
}

TEST(CableServer, ReadsFlagsFromTheEnvironment) {
  // CABLE_<FLAG> sets --<flag>; the command line would win.
  auto server = StartServer(
      {}, {"CABLE_PING_INTERVAL=100ms", "CABLE_MAX_SUBSCRIPTIONS=1"});
  auto client = Welcomed(server);
  ASSERT_TRUE(client);
  auto ping = client->ReceiveJson();
  ASSERT_TRUE(ping.ok()) << ping.status();
  EXPECT_EQ((*ping)["type"], "ping");
  EXPECT_EQ(*client->Subscribe(Identifier("ChatChannel", "1")),
            "confirm_subscription");
  EXPECT_EQ(*client->Subscribe(Identifier("ChatChannel", "2")),
            "reject_subscription");
}

std::string MakeJwt(const std::string& secret, const std::string& subject,
                    long expires_in_seconds) {
  jwt_t* token = nullptr;
  jwt_new(&token);
  jwt_add_grant(token, "sub", subject.c_str());
  jwt_add_grant_int(token, "exp", time(nullptr) + expires_in_seconds);
  jwt_set_alg(token, JWT_ALG_HS256,
              reinterpret_cast<const unsigned char*>(secret.data()),
              static_cast<int>(secret.size()));
  char* encoded = jwt_encode_str(token);
  std::string out = encoded ? encoded : "";
  free(encoded);
  jwt_free(token);
  return out;
}

TEST(CableServer, RejectsConnectionsWithoutAValidToken) {
  auto server = StartServer({"--jwt_secret=s3cret"});
  for (const std::string& path :
       {std::string("/cable"), std::string("/cable?token=garbage"),
        "/cable?token=" + MakeJwt("other", "ann", 60),
        "/cable?token=" + MakeJwt("s3cret", "ann", -60)}) {
    WsClient::Options options;
    options.path = path;
    auto client = Client(server, options);
    ASSERT_TRUE(client);
    auto message = client->ReceiveJson();
    ASSERT_TRUE(message.ok()) << message.status();
    EXPECT_EQ(*message, json::parse(R"({"type":"disconnect",
        "reason":"unauthorized","reconnect":false})"))
        << path;
    auto code = client->WaitClosed();
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, 1000) << path;
  }
  WsClient::Options options;
  options.path = "/cable?token=" + MakeJwt("s3cret", "ann", 60);
  auto client = Welcomed(server, options);
  ASSERT_TRUE(client);
  ASSERT_EQ(*client->Subscribe(kLobby), "confirm_subscription");
  ASSERT_TRUE(
      client->Perform(kLobby, {{"action", "speak"}, {"message", "hi"}}).ok());
  EXPECT_EQ(NextMessage(*client, kLobby),
            json::parse(R"({"message":"hi","user":"ann"})"));
}

TEST(CableServer, ConfirmsEchoingTheIdentifierByteForByte) {
  auto server = StartServer();
  auto client = Welcomed(server);
  ASSERT_TRUE(client);
  // Key order and spacing as an unusual client might send them.
  const std::string identifier =
      R"({ "room" : "lobby",  "channel":"ChatChannel" })";
  ASSERT_TRUE(
      client
          ->Send(
              json{{"command", "subscribe"}, {"identifier", identifier}}.dump())
          .ok());
  auto text = client->Receive();
  while (text.ok() && text->find("\"ping\"") != std::string::npos) {
    text = client->Receive();
  }
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, absl::StrCat(R"({"identifier":)", json(identifier).dump(),
                                R"(,"type":"confirm_subscription"})"));
}

TEST(CableServer, RejectsUnknownChannelsAndMissingParams) {
  auto server = StartServer();
  auto client = Welcomed(server);
  ASSERT_TRUE(client);
  EXPECT_EQ(*client->Subscribe(R"({"channel":"NoSuchChannel"})"),
            "reject_subscription");
  EXPECT_EQ(*client->Subscribe(R"({"channel":"ChatChannel"})"),
            "reject_subscription");
  EXPECT_EQ(*client->Subscribe("not json at all"), "reject_subscription");
  // The connection is still usable.
  EXPECT_EQ(*client->Subscribe(kLobby), "confirm_subscription");
}

TEST(CableServer, ActionBroadcastReachesItsStreamOnly) {
  auto server = StartServer();
  auto a = Welcomed(server);
  auto b = Welcomed(server);
  auto c = Welcomed(server);
  ASSERT_TRUE(a && b && c);
  const std::string lobby = Identifier("ChatChannel", "lobby");
  const std::string other = Identifier("ChatChannel", "other");
  ASSERT_EQ(*a->Subscribe(lobby), "confirm_subscription");
  ASSERT_EQ(*b->Subscribe(lobby), "confirm_subscription");
  ASSERT_EQ(*c->Subscribe(other), "confirm_subscription");

  ASSERT_TRUE(
      a->Perform(lobby, {{"action", "speak"}, {"message", "hello"}}).ok());
  EXPECT_EQ(NextMessage(*a, lobby)["message"], "hello");
  EXPECT_EQ(NextMessage(*b, lobby)["message"], "hello");
  // Both got it; a marker on c's own room must be the first thing c sees.
  ASSERT_TRUE(
      Broadcast(server.grpc_port(), "chat:other", R"({"marker":1})").ok());
  auto first = c->ReceiveNonPing();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ((*first)["message"], json::parse(R"({"marker":1})"));
}

TEST(CableServer, PublisherBroadcastReachesSubscribers) {
  auto server = StartServer();
  auto a = Welcomed(server);
  auto b = Welcomed(server);
  ASSERT_TRUE(a && b);
  ASSERT_EQ(*a->Subscribe(kLobby), "confirm_subscription");
  ASSERT_EQ(*b->Subscribe(kLobby), "confirm_subscription");
  ASSERT_TRUE(
      Broadcast(server.grpc_port(), "chat:lobby", R"({"text":"from grpc"})")
          .ok());
  ASSERT_TRUE(Broadcast(server.grpc_port(), "chat:lobby", "plain text").ok());
  for (auto* client : {a.get(), b.get()}) {
    EXPECT_EQ(NextMessage(*client, kLobby),
              json::parse(R"({"text":"from grpc"})"));
    EXPECT_EQ(NextMessage(*client, kLobby), json("plain text"));
  }
  auto empty = Broadcast(server.grpc_port(), "", "x");
  EXPECT_EQ(empty.code(), absl::StatusCode::kInvalidArgument);
}

TEST(CableServer, UnsubscribeStopsDelivery) {
  auto server = StartServer();
  auto client = Welcomed(server);
  ASSERT_TRUE(client);
  const std::string one = Identifier("ChatChannel", "one");
  const std::string two = Identifier("ChatChannel", "two");
  const std::string three = Identifier("ChatChannel", "three");
  ASSERT_EQ(*client->Subscribe(one), "confirm_subscription");
  ASSERT_EQ(*client->Subscribe(two), "confirm_subscription");
  ASSERT_TRUE(
      client->Send(json{{"command", "unsubscribe"}, {"identifier", one}}.dump())
          .ok());
  // Commands run in order: once three is confirmed, one is gone.
  ASSERT_EQ(*client->Subscribe(three), "confirm_subscription");
  ASSERT_TRUE(Broadcast(server.grpc_port(), "chat:one", R"("lost")").ok());
  ASSERT_TRUE(Broadcast(server.grpc_port(), "chat:two", R"("kept")").ok());
  auto next = client->ReceiveNonPing();
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ((*next)["identifier"], two);
  EXPECT_EQ((*next)["message"], "kept");
}

TEST(CableServer, DisconnectRunsUnsubscribed) {
  auto server = StartServer();
  WsClient::Options ann;
  ann.path = "/cable?user=ann";
  WsClient::Options bob;
  bob.path = "/cable?user=bob";
  auto a = Welcomed(server, ann);
  auto b = Welcomed(server, bob);
  ASSERT_TRUE(a && b);
  const std::string presence = Identifier("PresenceChannel", "r1");
  // `subscribed` broadcasts the join before the joiner's own stream is
  // live (as in Rails), so a sees bob's join and leave but not its own.
  ASSERT_EQ(*a->Subscribe(presence), "confirm_subscription");
  ASSERT_EQ(*b->Subscribe(presence), "confirm_subscription");
  auto next_event = [&] {
    json m = NextMessage(*a, presence);
    while (m == "ping") m = NextMessage(*a, presence);  // its timer
    return m;
  };
  EXPECT_EQ(next_event(), json::parse(R"({"event":"join","who":"bob"})"));
  ASSERT_TRUE(b->Close().ok());
  EXPECT_EQ(next_event(), json::parse(R"({"event":"leave","who":"bob"})"));
}

TEST(CableServer, RunsChannelTimers) {
  auto server = StartServer();
  auto client = Welcomed(server);
  ASSERT_TRUE(client);
  const std::string presence = Identifier("PresenceChannel", "timers");
  ASSERT_EQ(*client->Subscribe(presence), "confirm_subscription");
  // PresenceChannel.periodically("ping", every: 3 s) transmits "ping".
  EXPECT_EQ(NextMessage(*client, presence), json("ping"));
}

TEST(CableServer, MalformedJsonClosesWith1007) {
  auto server = StartServer();
  auto client = Welcomed(server);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send("{not json").ok());
  auto message = client->ReceiveNonPing();
  ASSERT_TRUE(message.ok()) << message.status();
  EXPECT_EQ(*message, json::parse(R"({"type":"disconnect",
      "reason":"invalid_request","reconnect":false})"));
  auto code = client->WaitClosed();
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 1007);
  EXPECT_THAT(client->close_reason(), HasSubstr("JSON"));
}

TEST(CableServer, CommandWithoutCommandKeyClosesWith1007) {
  auto server = StartServer();
  auto client = Welcomed(server);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send(R"({"identifier":"x"})").ok());
  auto code = client->WaitClosed();
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 1007);
  EXPECT_THAT(client->close_reason(), HasSubstr("command"));
}

TEST(CableServer, OversizedFrameClosesWith1009) {
  auto server = StartServer({"--max_frame_bytes=1024"});
  auto client = Welcomed(server);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send(std::string(4096, 'x')).ok());
  auto code = client->WaitClosed();
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 1009) << client->close_reason();
}

TEST(CableServer, BinaryFrameClosesWith1003) {
  auto server = StartServer();
  auto client = Welcomed(server);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->SendBinary(std::string("\x01\x02", 2)).ok());
  auto code = client->WaitClosed();
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 1003);
}

TEST(CableServer, UnknownCommandsAndIdentifiersKeepTheConnection) {
  auto server = StartServer();
  auto client = Welcomed(server);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Send(R"({"command":"dance","identifier":"x"})").ok());
  ASSERT_TRUE(client
                  ->Perform(R"({"channel":"ChatChannel","room":"nowhere"})",
                            {{"action", "speak"}, {"message", "x"}})
                  .ok());
  ASSERT_TRUE(client
                  ->Send(json{{"command", "unsubscribe"},
                              {"identifier", "never subscribed"}}
                             .dump())
                  .ok());
  EXPECT_EQ(*client->Subscribe(kLobby), "confirm_subscription");
  // Subscribing twice is ignored (no second confirmation); the next
  // subscription still confirms.
  ASSERT_TRUE(
      client
          ->Send(json{{"command", "subscribe"}, {"identifier", kLobby}}.dump())
          .ok());
  const std::string two = Identifier("ChatChannel", "two");
  ASSERT_TRUE(
      client->Send(json{{"command", "subscribe"}, {"identifier", two}}.dump())
          .ok());
  auto next = client->ReceiveNonPing();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ((*next)["identifier"], two);

  auto metrics = HttpGet(server.http_port(), "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_THAT(metrics->second, HasSubstr("cable_unknown_commands_total 1"));
  EXPECT_THAT(metrics->second, HasSubstr("cable_unknown_identifiers_total 2"));
  EXPECT_THAT(metrics->second,
              HasSubstr("cable_duplicate_subscriptions_total 1"));
}

TEST(CableServer, ActionsOutsideTheAllowListAreRefused) {
  auto server = StartServer();
  auto client = Welcomed(server);
  ASSERT_TRUE(client);
  ASSERT_EQ(*client->Subscribe(kLobby), "confirm_subscription");
  for (const char* action : {"stream_from", "subscribed", "reject", "nope"}) {
    ASSERT_TRUE(client->Perform(kLobby, {{"action", action}}).ok());
  }
  ASSERT_TRUE(
      client->Perform(kLobby, {{"action", "speak"}, {"message", "still here"}})
          .ok());
  EXPECT_EQ(NextMessage(*client, kLobby)["message"], "still here");
}

TEST(CableServer, LimitsSubscriptionsPerConnection) {
  auto server = StartServer({"--max_subscriptions=2"});
  auto client = Welcomed(server);
  ASSERT_TRUE(client);
  EXPECT_EQ(*client->Subscribe(Identifier("ChatChannel", "1")),
            "confirm_subscription");
  EXPECT_EQ(*client->Subscribe(Identifier("ChatChannel", "2")),
            "confirm_subscription");
  EXPECT_EQ(*client->Subscribe(Identifier("ChatChannel", "3")),
            "reject_subscription");
}

TEST(CableServer, ChecksOriginAndSubprotocol) {
  auto server = StartServer({"--allowed_origins=https://good.example"});
  auto refused = UpgradeStatus(server.http_port(), "/cable",
                               {{"Origin", "https://evil.example"}});
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(*refused, 403);
  auto wrong_protocol =
      UpgradeStatus(server.http_port(), "/cable",
                    {{"Origin", "https://good.example"},
                     {"Sec-WebSocket-Protocol", "graphql-ws"}});
  ASSERT_TRUE(wrong_protocol.ok());
  EXPECT_EQ(*wrong_protocol, 400);
  auto elsewhere = UpgradeStatus(server.http_port(), "/elsewhere",
                                 {{"Origin", "https://good.example"}});
  ASSERT_TRUE(elsewhere.ok());
  EXPECT_EQ(*elsewhere, 404);
  WsClient::Options options;
  options.headers = {{"Origin", "https://good.example"}};
  EXPECT_TRUE(Welcomed(server, options));
}

TEST(CableServer, ServesHealthReadinessMetricsAndTheDemoPage) {
  auto server = StartServer();
  auto health = HttpGet(server.http_port(), "/health");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->first, 200);
  auto ready = HttpGet(server.http_port(), "/ready");
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(ready->first, 200);
  auto metrics = HttpGet(server.http_port(), "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_THAT(metrics->second, HasSubstr("cable_connections_active"));
  auto page = HttpGet(server.http_port(), "/");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->first, 200);
  EXPECT_THAT(page->second, HasSubstr("<html"));
  // gRPC side: the standard health service reports SERVING.
  auto health_status = HealthStatus(server.grpc_port());
  ASSERT_TRUE(health_status.ok()) << health_status.status();
  EXPECT_EQ(*health_status, 1);
  auto missing = HttpGet(server.http_port(), "/nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->first, 404);
}

std::string SignStreamName(const std::string& secret, const std::string& name) {
  const std::string data = absl::Base64Escape(json(name).dump());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
       &len);
  return data + "--" +
         absl::BytesToHexString(
             absl::string_view(reinterpret_cast<const char*>(mac), len));
}

TEST(CableServer, TurboStreamsChannelVerifiesSignedNames) {
  auto server = StartServer({"--streams_secret=turbo-key"});
  auto client = Welcomed(server);
  ASSERT_TRUE(client);
  const std::string signed_name = SignStreamName("turbo-key", "posts:42");
  const std::string identifier = json{
      {"channel", "Turbo::StreamsChannel"},
      {"signed_stream_name",
       signed_name}}.dump();
  ASSERT_EQ(*client->Subscribe(identifier), "confirm_subscription");
  ASSERT_TRUE(Broadcast(server.grpc_port(), "posts:42",
                        "<turbo-stream action=\"append\"></turbo-stream>")
                  .ok());
  EXPECT_EQ(NextMessage(*client, identifier),
            json("<turbo-stream action=\"append\"></turbo-stream>"));

  std::string tampered = signed_name;
  tampered[tampered.size() - 1] = tampered.back() == 'a' ? 'b' : 'a';
  EXPECT_EQ(*client->Subscribe(json{
                {"channel", "Turbo::StreamsChannel"},
                {"signed_stream_name",
                 tampered}}.dump()),
            "reject_subscription");
  EXPECT_EQ(*client->Subscribe(json{
                {"channel", "Turbo::StreamsChannel"},
                {"signed_stream_name", SignStreamName("wrong", "posts:42")}}
                                   .dump()),
            "reject_subscription");
}

TEST(CableServer, SlowClientIsDisconnectedWithoutDelayingOthers) {
  // The queue bound is under test; a generous write timeout keeps a
  // loaded machine's scheduling hiccups from cutting the fast client.
  auto server =
      StartServer({"--max_queue_bytes=262144", "--write_timeout=60s"});
  WsClient::Options slow_options;
  slow_options.receive_buffer = 4096;
  auto slow = Welcomed(server, slow_options);
  auto fast = Welcomed(server);
  ASSERT_TRUE(slow && fast);
  ASSERT_EQ(*slow->Subscribe(kLobby), "confirm_subscription");
  ASSERT_EQ(*fast->Subscribe(kLobby), "confirm_subscription");

  // 16 MiB in 4 KiB messages: far beyond the slow client's socket buffers
  // and its 256 KiB queue. The slow client reads nothing meanwhile; the fast
  // one reads on its own thread, and the publisher stays at most two
  // batches ahead of it.
  constexpr int kMessages = 4096;
  constexpr int kBatch = 16;
  absl::Mutex mu;
  int fast_received = 0;
  bool fast_failed = false;
  std::thread reader([&] {
    for (int i = 0; i < kMessages; ++i) {
      auto m = fast->ReceiveNonPing();
      absl::MutexLock lock(&mu);
      if (!m.ok() || (*m)["message"]["seq"] != i) {
        ADD_FAILURE() << "fast client at " << i << ": "
                      << (m.ok() ? m->dump().substr(0, 200)
                                 : m.status().ToString());
        fast_failed = true;
        return;
      }
      fast_received = i + 1;
    }
  });
  const std::string padding(4000, 'x');
  for (int sent = 0; sent < kMessages; sent += kBatch) {
    {
      absl::MutexLock lock(&mu);
      auto caught_up = [&] {
        return fast_failed || fast_received >= sent - kBatch;
      };
      mu.Await(absl::Condition(&caught_up));
      if (fast_failed) break;
    }
    std::vector<std::pair<std::string, std::string>> batch;
    for (int i = sent; i < sent + kBatch; ++i) {
      batch.emplace_back("chat:lobby",
                         json{{"seq", i}, {"pad", padding}}.dump());
    }
    ASSERT_TRUE(BroadcastBatch(server.grpc_port(), batch).ok());
  }
  reader.join();
  ASSERT_FALSE(fast_failed);
  // The slow client got a prefix in order, then was cut off.
  int received = 0;
  for (;;) {
    auto m = slow->ReceiveJson();
    if (!m.ok()) break;
    // Pings carry "message" too (a timestamp); they may come between the
    // broadcasts the slow client still has queued.
    if (m->value("type", "") == "ping") continue;
    if (m->contains("message")) {
      ASSERT_EQ((*m)["message"]["seq"], received);
      ++received;
    } else if (m->value("type", "") == "disconnect") {
      EXPECT_EQ((*m)["reason"], "too_slow");
    }
  }
  EXPECT_LT(received, kMessages);
  auto metrics = HttpGet(server.http_port(), "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_THAT(metrics->second, HasSubstr("cable_slow_disconnects_total 1"));
}

// Polls /metrics (for at most 30 s) until it contains `line`; returns the
// last text read (empty if the server stopped answering).
std::string AwaitMetric(const ServerProcess& server, const std::string& line) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string text;
  while (std::chrono::steady_clock::now() < deadline) {
    auto m = HttpGet(server.http_port(), "/metrics");
    if (!m.ok()) {
      ADD_FAILURE() << "server gone: " << m.status();
      return {};
    }
    text = m->second;
    if (text.find(line) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return text;
}

TEST(CableServer, StuckWriteIsCutByTheWriteTimeout) {
  // One large message blocks the write to a client that reads nothing; the
  // write-timeout check cuts the socket while a write of the queued frame
  // is still waiting (a use-after-free once, under Beast). The server stays up
  // and the other client keeps receiving.
  auto server = StartServer({"--write_timeout=100ms", "--ping_interval=100ms",
                             "--max_queue_bytes=33554432"});
  WsClient::Options stuck_options;
  stuck_options.receive_buffer = 4096;
  constexpr int kStuck = 20;
  std::vector<std::unique_ptr<WsClient>> stuck;
  for (int i = 0; i < kStuck; ++i) {
    stuck.push_back(Welcomed(server, stuck_options));
    ASSERT_TRUE(stuck.back());
    ASSERT_EQ(*stuck.back()->Subscribe(kLobby), "confirm_subscription");
  }
  auto other = Welcomed(server);
  ASSERT_TRUE(other);
  const std::string room_two = Identifier("ChatChannel", "two");
  ASSERT_EQ(*other->Subscribe(room_two), "confirm_subscription");
  const std::string big = json{{"pad", std::string(3 << 20, 'x')}}.dump();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Broadcast(server.grpc_port(), "chat:lobby", big).ok());
  }
  // Wait (bounded) until the server has cut all of them; the clients
  // themselves read nothing.
  EXPECT_THAT(AwaitMetric(server, "cable_slow_disconnects_total 20\n"),
              HasSubstr("cable_slow_disconnects_total 20\n"));
  // The server is alive and serving.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Broadcast(server.grpc_port(), "chat:two", "after").ok());
    EXPECT_EQ(NextMessage(*other, room_two), "after");
  }
  auto status = server.Stop(SIGTERM, std::chrono::seconds(10));
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(WIFEXITED(*status)) << "server crashed";
}

TEST(CableServer, ClientThatStopsReadingIsCutWhileItsQueueIsSmall) {
  // Small broadcasts to a client that reads nothing: its TCP window closes
  // long before the 1 MiB queue bound or the kernel's send buffer fill, and
  // it is cut because it acknowledges nothing for the write timeout.
  auto server = StartServer({"--write_timeout=300ms", "--ping_interval=100ms"});
  WsClient::Options stuck_options;
  stuck_options.receive_buffer = 4096;
  auto stuck = Welcomed(server, stuck_options);
  ASSERT_TRUE(stuck);
  ASSERT_EQ(*stuck->Subscribe(kLobby), "confirm_subscription");
  auto other = Welcomed(server);
  ASSERT_TRUE(other);
  const std::string room_two = Identifier("ChatChannel", "two");
  ASSERT_EQ(*other->Subscribe(room_two), "confirm_subscription");
  const std::string small = json{{"pad", std::string(300, 'x')}}.dump();
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(Broadcast(server.grpc_port(), "chat:lobby", small).ok());
  }
  EXPECT_THAT(AwaitMetric(server, "cable_slow_disconnects_total 1\n"),
              HasSubstr("cable_slow_disconnects_total 1\n"));
  // The reading client is untouched.
  ASSERT_TRUE(Broadcast(server.grpc_port(), "chat:two", "after").ok());
  EXPECT_EQ(NextMessage(*other, room_two), "after");
}

TEST(CableServer, SigtermDisconnectsClientsAndExits) {
  auto server = StartServer();
  auto client = Welcomed(server);
  ASSERT_TRUE(client);
  ASSERT_EQ(*client->Subscribe(kLobby), "confirm_subscription");
  kill(server.pid(), SIGTERM);
  auto message = client->ReceiveNonPing();
  ASSERT_TRUE(message.ok()) << message.status();
  EXPECT_EQ(*message, json::parse(R"({"type":"disconnect",
      "reason":"server_restart","reconnect":true})"));
  auto code = client->WaitClosed();
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 1001);
  auto status = server.Stop(SIGTERM, std::chrono::seconds(10));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

TEST(CableServer, CommandFloodIsRefusedThenCut) {
  auto server = StartServer({"--command_rate=5", "--command_burst=10"});
  auto flooder = Welcomed(server);
  auto bystander = Welcomed(server);
  ASSERT_TRUE(flooder && bystander);
  ASSERT_EQ(*bystander->Subscribe(kLobby), "confirm_subscription");
  ASSERT_EQ(*flooder->Subscribe(kLobby), "confirm_subscription");
  // Sent at once: the first ones pass (the burst), the next are refused
  // with an error frame, and going on while refused closes with 1008.
  const std::string speak =
      json{{"command", "message"},
           {"identifier", kLobby},
           {"data", json{{"action", "speak"}, {"message", "x"}}.dump()}}
          .dump();
  for (int i = 0; i < 100; ++i) {
    if (!flooder->Send(speak).ok()) break;
  }
  int refused = 0;
  bool disconnected = false;
  for (;;) {
    auto m = flooder->ReceiveJson();
    if (!m.ok()) break;
    if (m->value("type", "") == "error") {
      EXPECT_THAT(m->value("error", ""), HasSubstr("rate limited"));
      ++refused;
    } else if (m->value("type", "") == "disconnect") {
      EXPECT_EQ((*m)["reason"], "rate_limited");
      EXPECT_EQ((*m)["reconnect"], false);
      disconnected = true;
    }
  }
  EXPECT_GE(refused, 1);
  EXPECT_TRUE(disconnected);
  EXPECT_EQ(flooder->close_code(), 1008);
  // The bystander is untouched and still served.
  ASSERT_TRUE(
      bystander->Perform(kLobby, {{"action", "speak"}, {"message", "ok"}})
          .ok());
  for (;;) {
    auto m = bystander->ReceiveNonPing();
    ASSERT_TRUE(m.ok()) << m.status();
    if ((*m)["message"].value("message", "") == "ok") break;
  }
  auto metrics = HttpGet(server.http_port(), "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_THAT(metrics->second, HasSubstr("cable_rate_limited_commands_total"));
}

TEST(CableServer, FloodOfIgnoredCommandsIsRateLimitedToo) {
  // Unknown commands and commands without an identifier change nothing,
  // but a flood of them is still a flood: they count against the limit.
  auto server = StartServer({"--command_rate=0.001", "--command_burst=5"});
  auto flooder = Welcomed(server);
  ASSERT_TRUE(flooder);
  for (int i = 0; i < 100; ++i) {
    const std::string frame =
        i % 2 == 0 ? R"({"command":"dance"})" : R"({"command":"subscribe"})";
    if (!flooder->Send(frame).ok()) break;
  }
  int refused = 0;
  bool disconnected = false;
  for (;;) {
    auto m = flooder->ReceiveJson();
    if (!m.ok()) break;
    if (m->value("type", "") == "error") {
      EXPECT_THAT(m->value("error", ""), HasSubstr("rate limited"));
      ++refused;
    } else if (m->value("type", "") == "disconnect") {
      EXPECT_EQ((*m)["reason"], "rate_limited");
      disconnected = true;
    }
  }
  // The burst passes (and is ignored), then 4 refusals, the 5th cuts.
  EXPECT_EQ(refused, 4);
  EXPECT_TRUE(disconnected);
  EXPECT_EQ(flooder->close_code(), 1008);
  auto metrics = HttpGet(server.http_port(), "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_THAT(metrics->second, HasSubstr("cable_unknown_commands_total 3"));
  EXPECT_THAT(metrics->second, HasSubstr("cable_invalid_commands_total 2"));
  EXPECT_THAT(metrics->second,
              HasSubstr("cable_rate_limited_commands_total 5"));
}

TEST(CableServer, UpgradesOverMaxConnectionsGet503) {
  auto server = StartServer({"--max_connections=2"});
  auto a = Welcomed(server);
  auto b = Welcomed(server);
  ASSERT_TRUE(a && b);
  auto status =
      UpgradeStatus(server.http_port(), "/cable",
                    {{"Sec-WebSocket-Protocol", "actioncable-v1-json"}});
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(*status, 503);
  ASSERT_TRUE(a->Close().ok());
  // Once one has left (the gauge says so), a new client gets in.
  AwaitMetric(server, "cable_connections_active 1");
  auto c = Welcomed(server);
  EXPECT_TRUE(c != nullptr);
  auto metrics = HttpGet(server.http_port(), "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_THAT(metrics->second,
              HasSubstr("cable_connections_over_limit_total 1"));
}

TEST(CableServer, ExpiredTokenDisconnectsTheOpenSocket) {
  // The token is valid at connect and expires 2 s later, while the socket
  // is open: the client is told token_expired (AnyCable's behaviour).
  auto server = StartServer({"--jwt_secret=s3cret", "--ping_interval=100ms"});
  WsClient::Options options;
  options.path = "/cable?token=" + MakeJwt("s3cret", "ann", 2);
  auto client = Welcomed(server, options);
  ASSERT_TRUE(client);
  ASSERT_EQ(*client->Subscribe(kLobby), "confirm_subscription");
  // A long-lived token on the same server is left alone.
  options.path = "/cable?token=" + MakeJwt("s3cret", "bob", 3600);
  auto bob = Welcomed(server, options);
  ASSERT_TRUE(bob);
  json disconnect;
  for (;;) {
    auto m = client->ReceiveJson();
    ASSERT_TRUE(m.ok()) << m.status();
    if (m->value("type", "") == "disconnect") {
      disconnect = *m;
      break;
    }
  }
  EXPECT_EQ(disconnect["reason"], "token_expired");
  EXPECT_EQ(disconnect["reconnect"], false);
  auto code = client->WaitClosed();
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 1000);
  ASSERT_EQ(*bob->Subscribe(kLobby), "confirm_subscription");
}

}  // namespace
}  // namespace cable::testing
