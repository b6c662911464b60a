// End-to-end tests: the real cable-server binary on ephemeral ports, driven
// by real WebSocket clients and real gRPC calls. This file: the protocol,
// channels, publishers and the HTTP endpoints; the limits and cuts are in
// cable_server_limits_test.cc (shared parts in cable_server_fixture.h).

#include "tests/integration/cable_server_fixture.h"

namespace cable::testing::cable_server {
namespace {

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

TEST(CableServer, RejectsConnectionsWithoutAValidToken) {
  auto server = StartServer({"--jwt_secret=s3cret"});
  for (const std::string& path :
       {std::string("/cable"), std::string("/cable?token=garbage"),
        "/cable?token=" +
            MintJwt("other", "ann", UnixTimeIn(std::chrono::seconds(60))),
        "/cable?token=" +
            MintJwt("s3cret", "ann", UnixTimeIn(std::chrono::seconds(-60)))}) {
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
  options.path = "/cable?token=" +
                 MintJwt("s3cret", "ann", UnixTimeIn(std::chrono::seconds(60)));
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

}  // namespace
}  // namespace cable::testing::cable_server
