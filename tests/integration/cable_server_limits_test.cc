// End-to-end tests of the real cable-server's limits and cuts: slow and
// stuck clients, SIGTERM, command floods, the connection limit and expired
// tokens (shared parts in cable_server_fixture.h).

#include "tests/integration/cable_server_fixture.h"

namespace cable::testing::cable_server {
namespace {

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
  options.path = "/cable?token=" +
                 MintJwt("s3cret", "ann", UnixTimeIn(std::chrono::seconds(2)));
  auto client = Welcomed(server, options);
  ASSERT_TRUE(client);
  ASSERT_EQ(*client->Subscribe(kLobby), "confirm_subscription");
  // A long-lived token on the same server is left alone.
  options.path =
      "/cable?token=" +
      MintJwt("s3cret", "bob", UnixTimeIn(std::chrono::seconds(3600)));
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
}  // namespace cable::testing::cable_server
