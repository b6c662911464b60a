// Cable as it runs on Kubernetes: a real nats-server, several cable-service
// replicas and several cable-gateways, each a separate process on
// ephemeral ports, driven by real WebSocket clients and gRPC publishers.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "tests/support/must.h"
#include "tests/support/nats_server.h"
#include "tests/support/publisher_client.h"
#include "tests/support/server_process.h"
#include "tests/support/ws_client.h"

namespace cable::testing {
namespace {

using ::nlohmann::json;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

// cable-service and cable-server with --nats_url keep stateful channels
// in JetStream.
NatsServer StartNats() {
  NatsServer::Options options;
  options.jetstream = true;
  return Must(NatsServer::Start(options));
}

class Cluster {
 public:
  Cluster(int services, int gateways) : nats_(StartNats()) {
    for (int i = 0; i < services; ++i) services_.push_back(StartService());
    for (int i = 0; i < gateways; ++i) gateways_.push_back(StartGateway());
  }

  ServerProcess StartService() {
    return Must(ServerProcess::Start(
        BinaryFromEnv("CABLE_SERVICE", CABLE_SERVICE_BUILT),
        {"--nats_url=" + nats_.url(), "--host=127.0.0.1", "--grpc_port=0",
         "--internal_port=0", "--metrics_port=0", "--log_level=warn"}));
  }

  ServerProcess StartGateway() {
    std::vector<std::string> addresses;
    for (const auto& s : services_) {
      addresses.push_back(absl::StrCat("127.0.0.1:", s.internal_port()));
    }
    return Must(ServerProcess::Start(
        BinaryFromEnv("CABLE_GATEWAY", CABLE_GATEWAY_BUILT),
        {"--nats_url=" + nats_.url(), "--host=127.0.0.1", "--port=0",
         "--service=" + absl::StrJoin(addresses, ","), "--log_level=warn"}));
  }

  NatsServer& nats() { return nats_; }
  std::vector<ServerProcess>& services() { return services_; }
  std::vector<ServerProcess>& gateways() { return gateways_; }

 private:
  NatsServer nats_;
  std::vector<ServerProcess> services_;
  std::vector<ServerProcess> gateways_;
};

std::unique_ptr<WsClient> Welcomed(int port,
                                   const std::string& path = "/cable") {
  WsClient::Options options;
  options.path = path;
  options.timeout = std::chrono::seconds(20);
  auto client = Must(WsClient::Connect(port, options));
  auto welcome = client->ReceiveNonPing();
  EXPECT_TRUE(welcome.ok()) << welcome.status();
  return client;
}

std::string Room(const std::string& room) {
  return json{{"channel", "ChatChannel"}, {"room", room}}.dump();
}

json NextMessage(WsClient& client) {
  auto m = client.ReceiveNonPing();
  if (!m.ok()) {
    ADD_FAILURE() << m.status();
    return json();
  }
  return (*m)["message"];
}

// A counter from a gateway's /metrics.
double Metric(int http_port, const std::string& name) {
  auto metrics = Must(HttpGet(http_port, "/metrics"));
  for (absl::string_view line : absl::StrSplit(metrics.second, '\n')) {
    if (absl::StartsWith(line, name + " ")) {
      return std::stod(std::string(line.substr(name.size() + 1)));
    }
  }
  ADD_FAILURE() << name << " not in /metrics";
  return -1;
}

TEST(Distributed, BroadcastsReachEveryGatewayOnceAndInOrder) {
  Cluster cluster(/*services=*/2, /*gateways=*/3);
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int g = 0; g < 2; ++g) {
    for (int c = 0; c < 2; ++c) {
      clients.push_back(Welcomed(cluster.gateways()[g].http_port()));
      ASSERT_EQ(*clients.back()->Subscribe(Room("seq")),
                "confirm_subscription");
    }
  }
  // The third gateway's client listens elsewhere: NATS must not send it
  // the "seq" stream at all.
  auto elsewhere = Welcomed(cluster.gateways()[2].http_port());
  ASSERT_EQ(*elsewhere->Subscribe(Room("elsewhere")), "confirm_subscription");

  constexpr int kMessages = 1000;
  for (int i = 0; i < kMessages; ++i) {
    const int grpc_port = cluster.services()[i % 2].grpc_port();
    ASSERT_TRUE(Broadcast(grpc_port, "chat:seq", json{{"seq", i}}.dump()).ok());
  }
  ASSERT_TRUE(
      Broadcast(cluster.services()[0].grpc_port(), "chat:seq", R"("end")")
          .ok());
  for (auto& client : clients) {
    for (int i = 0; i < kMessages; ++i) {
      json m = NextMessage(*client);
      ASSERT_EQ(m, (json{{"seq", i}})) << "message " << i;
    }
    // Nothing duplicated after the last one either.
    EXPECT_EQ(NextMessage(*client), "end");
  }
  const int idle_gateway = cluster.gateways()[2].http_port();
  ASSERT_TRUE(Broadcast(cluster.services()[1].grpc_port(), "chat:elsewhere",
                        R"("marker")")
                  .ok());
  EXPECT_EQ(NextMessage(*elsewhere), "marker");
  // It received exactly the marker from NATS, none of the 1,001 others.
  EXPECT_EQ(Metric(idle_gateway, "cable_stream_messages_total"), 1);
  EXPECT_GE(
      Metric(cluster.gateways()[0].http_port(), "cable_stream_messages_total"),
      kMessages + 1);
}

TEST(Distributed, HostileStreamNamesRoundTripThroughNats) {
  Cluster cluster(1, 2);
  const std::vector<std::string> rooms = {
      "a.b", "*", ">", "a b", "..",    ".lead",     "trail.",
      "_2E", "_", "",  "ü😀",  "x>y*z", "tab\there", "quote\"s"};
  std::vector<std::unique_ptr<WsClient>> clients;
  for (std::size_t i = 0; i < rooms.size(); ++i) {
    clients.push_back(Welcomed(cluster.gateways()[i % 2].http_port()));
    const std::string expect =
        rooms[i].empty() ? "reject_subscription" : "confirm_subscription";
    ASSERT_EQ(*clients.back()->Subscribe(Room(rooms[i])), expect)
        << "room \"" << rooms[i] << "\"";
  }
  for (std::size_t i = 0; i < rooms.size(); ++i) {
    if (rooms[i].empty()) continue;
    ASSERT_TRUE(Broadcast(cluster.services()[0].grpc_port(), "chat:" + rooms[i],
                          json{{"room", rooms[i]}}.dump())
                    .ok());
  }
  for (std::size_t i = 0; i < rooms.size(); ++i) {
    if (rooms[i].empty()) continue;
    // The first message each client sees is its own room's.
    EXPECT_EQ(NextMessage(*clients[i]), (json{{"room", rooms[i]}}))
        << "room \"" << rooms[i] << "\"";
  }
}

TEST(Distributed, ClientsOnDifferentGatewaysChat) {
  Cluster cluster(2, 2);
  for (auto& service : cluster.services()) {
    EXPECT_EQ(Must(HealthStatus(service.grpc_port())), 1);  // SERVING
  }
  auto ann = Welcomed(cluster.gateways()[0].http_port(), "/cable?user=ann");
  auto bob = Welcomed(cluster.gateways()[1].http_port(), "/cable?user=bob");
  ASSERT_EQ(*ann->Subscribe(Room("lobby")), "confirm_subscription");
  ASSERT_EQ(*bob->Subscribe(Room("lobby")), "confirm_subscription");
  ASSERT_TRUE(
      ann->Perform(Room("lobby"), {{"action", "speak"}, {"message", "hi bob"}})
          .ok());
  const json expected = {{"message", "hi bob"}, {"user", "ann"}};
  EXPECT_EQ(NextMessage(*ann), expected);
  EXPECT_EQ(NextMessage(*bob), expected);
  ASSERT_TRUE(
      bob->Perform(Room("lobby"), {{"action", "speak"}, {"message", "hi ann"}})
          .ok());
  EXPECT_EQ(NextMessage(*ann)["message"], "hi ann");
  EXPECT_EQ(NextMessage(*bob)["message"], "hi ann");
}

TEST(Distributed, PublisherDisconnectReachesEveryGateway) {
  Cluster cluster(1, 2);
  auto bob1 = Welcomed(cluster.gateways()[0].http_port(), "/cable?user=bob");
  auto bob2 = Welcomed(cluster.gateways()[1].http_port(), "/cable?user=bob");
  auto ann = Welcomed(cluster.gateways()[0].http_port(), "/cable?user=ann");
  ASSERT_TRUE(DisconnectClients(cluster.services()[0].grpc_port(),
                                {{"current_user", "bob"}}, false)
                  .ok());
  for (auto* bob : {bob1.get(), bob2.get()}) {
    auto m = bob->ReceiveNonPing();
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(
        *m,
        json::parse(
            R"({"type":"disconnect","reason":"remote","reconnect":false})"));
    EXPECT_EQ(*bob->WaitClosed(), 1000);
  }
  EXPECT_EQ(*ann->Subscribe(Room("lobby")), "confirm_subscription");
}

TEST(Distributed, TransmitReachesOneConnectionThroughItsGateway) {
  Cluster cluster(2, 2);
  // Learn each client's session id from its welcome.
  auto connect = [&](int gateway, std::string* sid) {
    auto client =
        Must(WsClient::Connect(cluster.gateways()[gateway].http_port()));
    auto welcome = client->ReceiveNonPing();
    EXPECT_TRUE(welcome.ok()) << welcome.status();
    *sid = welcome.ok() ? (*welcome)["sid"].get<std::string>() : "";
    return client;
  };
  std::string sid_a, sid_b;
  auto a = connect(0, &sid_a);
  auto b = connect(1, &sid_b);
  ASSERT_EQ(*a->Subscribe(Room("t")), "confirm_subscription");
  ASSERT_EQ(*b->Subscribe(Room("t")), "confirm_subscription");
  // Through either service: each message goes to its connection only.
  ASSERT_TRUE(Transmit(cluster.services()[1].grpc_port(), sid_b, Room("t"),
                       R"({"to":"b"})")
                  .ok());
  ASSERT_TRUE(Transmit(cluster.services()[0].grpc_port(), sid_a, Room("t"),
                       R"({"to":"a"})")
                  .ok());
  EXPECT_EQ(NextMessage(*a), json::parse(R"({"to":"a"})"));
  EXPECT_EQ(NextMessage(*b), json::parse(R"({"to":"b"})"));
  EXPECT_EQ(Transmit(cluster.services()[0].grpc_port(), "nodot", Room("t"), "x")
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Distributed, KillingAServiceReplicaUnderLoadLosesNoClient) {
  Cluster cluster(2, 1);
  const int gateway = cluster.gateways()[0].http_port();
  constexpr int kClients = 20;
  constexpr int kRounds = 20;
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int c = 0; c < kClients; ++c) clients.push_back(Welcomed(gateway));

  // Kill one replica with SIGKILL while the load runs.
  std::atomic<int> progress{0};
  absl::Notification killed;
  std::thread killer([&] {
    while (progress.load() < kClients * kRounds / 4) {
      std::this_thread::yield();
    }
    kill(cluster.services()[0].pid(), SIGKILL);
    killed.Notify();
  });
  for (int round = 0; round < kRounds; ++round) {
    for (int c = 0; c < kClients; ++c) {
      const std::string room = Room(absl::StrCat("r", c, "-", round));
      // Subscribes and actions both go through the service.
      ASSERT_EQ(*clients[c]->Subscribe(room), "confirm_subscription")
          << "client " << c << " round " << round;
      ASSERT_TRUE(clients[c]
                      ->Perform(room, {{"action", "speak"},
                                       {"message", std::to_string(round)}})
                      .ok());
      json m = NextMessage(*clients[c]);
      // A command retried after the replica died mid-call may run twice;
      // the client sees no error either way.
      EXPECT_EQ(m["message"], std::to_string(round));
      ++progress;
    }
  }
  killer.join();
  EXPECT_TRUE(killed.HasBeenNotified());
  EXPECT_EQ(Must(HttpGet(gateway, "/ready")).first, 200);
}

TEST(Distributed, TwoAllInOneServersShareBroadcastsThroughNats) {
  NatsServer nats = StartNats();
  std::vector<ServerProcess> servers;
  for (int i = 0; i < 2; ++i) {
    servers.push_back(Must(ServerProcess::Start(
        BinaryFromEnv("CABLE_SERVER", CABLE_SERVER_BUILT),
        {"--nats_url=" + nats.url(), "--host=127.0.0.1", "--port=0",
         "--grpc_port=0", "--log_level=warn"})));
  }
  auto ann = Welcomed(servers[0].http_port(), "/cable?user=ann");
  auto bob = Welcomed(servers[1].http_port(), "/cable?user=bob");
  ASSERT_EQ(*ann->Subscribe(Room("shared")), "confirm_subscription");
  ASSERT_EQ(*bob->Subscribe(Room("shared")), "confirm_subscription");
  ASSERT_TRUE(
      ann->Perform(Room("shared"), {{"action", "speak"}, {"message", "hi"}})
          .ok());
  EXPECT_EQ(NextMessage(*bob)["message"], "hi");
  ASSERT_TRUE(
      Broadcast(servers[1].grpc_port(), "chat:shared", R"("via grpc")").ok());
  EXPECT_EQ(NextMessage(*ann)["message"], "hi");
  EXPECT_EQ(NextMessage(*ann), "via grpc");
  EXPECT_EQ(NextMessage(*bob), "via grpc");
}

TEST(Distributed, SigtermRunsUnsubscribedForEveryClient) {
  // bob's server shuts down; ann, on another server, sees the leave that
  // PresenceChannel's `unsubscribed` broadcasts for him.
  NatsServer nats = StartNats();
  std::vector<ServerProcess> servers;
  for (int i = 0; i < 2; ++i) {
    servers.push_back(Must(ServerProcess::Start(
        BinaryFromEnv("CABLE_SERVER", CABLE_SERVER_BUILT),
        {"--nats_url=" + nats.url(), "--host=127.0.0.1", "--port=0",
         "--grpc_port=0", "--log_level=warn"})));
  }
  const std::string presence =
      json{{"channel", "PresenceChannel"}, {"room", "bye"}}.dump();
  auto ann = Welcomed(servers[0].http_port(), "/cable?user=ann");
  auto bob = Welcomed(servers[1].http_port(), "/cable?user=bob");
  ASSERT_EQ(*ann->Subscribe(presence), "confirm_subscription");
  ASSERT_EQ(*bob->Subscribe(presence), "confirm_subscription");
  auto next_event = [&] {
    json m = NextMessage(*ann);
    while (m == "ping") m = NextMessage(*ann);  // PresenceChannel's timer
    return m;
  };
  EXPECT_EQ(next_event(), json::parse(R"({"event":"join","who":"bob"})"));
  // bob answers the close handshake on his own; the server must not stop
  // its service before his Disconnect has run.
  std::thread bob_reader([&] { (void)bob->WaitClosed(); });
  auto status = servers[1].Stop(SIGTERM, std::chrono::seconds(20));
  bob_reader.join();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(next_event(), json::parse(R"({"event":"leave","who":"bob"})"));
}

// With --nats_url, history lives in JetStream: service replicas broadcasting
// to one stream concurrently hand out one sequence of offsets, a replica
// started later continues it, and an extended client on any gateway
// replays it.
TEST(Distributed, HistoryIsSharedByEveryProcess) {
  Cluster cluster(/*services=*/2, /*gateways=*/2);
  const std::string stream = "chat:history";
  constexpr int kEach = 50;
  absl::Mutex mu;
  std::set<std::uint64_t> offsets;
  std::set<std::string> epochs;
  std::vector<std::thread> publishers;
  for (auto& service : cluster.services()) {
    publishers.emplace_back([&, port = service.grpc_port()] {
      for (int i = 0; i < kEach; ++i) {
        absl::StatusOr<v1::BroadcastResponse> r = BroadcastWithResponse(
            port, stream, json{{"port", port}, {"i", i}}.dump());
        ASSERT_TRUE(r.ok()) << r.status();
        absl::MutexLock lock(&mu);
        EXPECT_TRUE(offsets.insert(r->offset()).second) << r->offset();
        epochs.insert(r->epoch());
      }
    });
  }
  for (auto& t : publishers) t.join();
  ASSERT_EQ(epochs.size(), 1u);
  const std::string epoch = *epochs.begin();
  ASSERT_EQ(offsets.size(), 2u * kEach);
  EXPECT_EQ(*offsets.begin(), 1u);
  EXPECT_EQ(*offsets.rbegin(), 2u * kEach);

  // A replica dies, a new one continues the sequence.
  ASSERT_TRUE(
      cluster.services()[0].Stop(SIGKILL, std::chrono::seconds(20)).ok());
  ServerProcess fresh = cluster.StartService();
  absl::StatusOr<v1::BroadcastResponse> next =
      BroadcastWithResponse(fresh.grpc_port(), stream, R"("last")");
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->epoch(), epoch);
  constexpr std::uint64_t kLast = 2 * kEach + 1;
  EXPECT_EQ(next->offset(), kLast);

  // An extended client asks each gateway for what followed offset kLast-3.
  WsClient::Options options;
  options.subprotocols = {"actioncable-v1-ext-json"};
  options.timeout = std::chrono::seconds(20);
  for (auto& gateway : cluster.gateways()) {
    auto client = Must(WsClient::Connect(gateway.http_port(), options));
    ASSERT_TRUE(client->ReceiveNonPing().ok());  // welcome
    const std::string identifier = Room("history");
    ASSERT_TRUE(
        client
            ->Send(json{
                {"command", "subscribe"},
                {"identifier", identifier},
                {"history",
                 {{"streams",
                   {{stream, {{"epoch", epoch}, {"offset", kLast - 3}}}}}}}}
                       .dump())
            .ok());
    json frame = Must(client->ReceiveNonPing());
    EXPECT_EQ(frame.value("type", ""), "confirm_subscription") << frame;
    for (std::uint64_t offset = kLast - 2; offset <= kLast; ++offset) {
      frame = Must(client->ReceiveNonPing());
      EXPECT_EQ(frame.value("offset", std::uint64_t{0}), offset) << frame;
      EXPECT_EQ(frame.value("epoch", ""), epoch) << frame;
      EXPECT_EQ(frame.value("stream_id", ""), stream) << frame;
    }
    EXPECT_EQ(frame["message"], "last");
    frame = Must(client->ReceiveNonPing());
    EXPECT_EQ(frame.value("type", ""), "confirm_history") << frame;

    // A position under another epoch cannot be replayed.
    ASSERT_TRUE(
        client
            ->Send(
                json{{"command", "history"},
                     {"identifier", identifier},
                     {"history",
                      {{"streams",
                        {{stream, {{"epoch", epoch + "x"}, {"offset", 1}}}}}}}}
                    .dump())
            .ok());
    frame = Must(client->ReceiveNonPing());
    EXPECT_EQ(frame.value("type", ""), "reject_history") << frame;
  }
}

TEST(Distributed, DeliveryResumesAfterNatsRestarts) {
  Cluster cluster(1, 2);
  std::vector<std::unique_ptr<WsClient>> clients;
  for (auto& g : cluster.gateways()) {
    clients.push_back(Welcomed(g.http_port()));
    ASSERT_EQ(*clients.back()->Subscribe(Room("outage")),
              "confirm_subscription");
  }
  const int grpc_port = cluster.services()[0].grpc_port();
  ASSERT_TRUE(Broadcast(grpc_port, "chat:outage", R"("before")").ok());
  for (auto& c : clients) EXPECT_EQ(NextMessage(*c), "before");

  ASSERT_TRUE(cluster.nats().Stop().ok());
  // Gateways report not ready while cut off from NATS.
  for (auto& g : cluster.gateways()) {
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (Must(HttpGet(g.http_port(), "/ready")).first != 503 &&
           Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(Must(HttpGet(g.http_port(), "/ready")).first, 503);
  }

  const auto restarted = Clock::now();
  ASSERT_TRUE(cluster.nats().Restart().ok());
  // Probe until every gateway delivers again; the probes are the
  // measurement, the clients' reads are what we wait on.
  std::atomic<bool> stop{false};
  std::thread prober([&] {
    for (int i = 0; !stop.load(); ++i) {
      (void)Broadcast(grpc_port, "chat:outage", json{{"probe", i}}.dump());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  for (auto& c : clients) {
    json m = NextMessage(*c);
    EXPECT_TRUE(m.contains("probe")) << m.dump();
  }
  const auto resumed = Clock::now();
  stop = true;
  prober.join();
  std::printf(
      "[ MEASURE  ] delivery resumed on every gateway %lld ms after "
      "nats-server restarted\n",
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(resumed -
                                                                restarted)
              .count()));

  // No duplicates and nothing lost from here on: drain the probes, then a
  // numbered run arrives exactly once, in order.
  ASSERT_TRUE(Broadcast(grpc_port, "chat:outage", R"("drained")").ok());
  for (auto& c : clients) {
    for (json m = NextMessage(*c); m != "drained"; m = NextMessage(*c)) {
      ASSERT_TRUE(m.contains("probe")) << m.dump();
    }
  }
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(
        Broadcast(grpc_port, "chat:outage", json{{"n", i}}.dump()).ok());
  }
  ASSERT_TRUE(Broadcast(grpc_port, "chat:outage", R"("end")").ok());
  for (auto& c : clients) {
    for (int i = 0; i < 100; ++i) ASSERT_EQ(NextMessage(*c), (json{{"n", i}}));
    EXPECT_EQ(NextMessage(*c), "end");
  }
  for (auto& g : cluster.gateways()) {
    EXPECT_EQ(Must(HttpGet(g.http_port(), "/ready")).first, 200);
  }
}

}  // namespace
}  // namespace cable::testing
