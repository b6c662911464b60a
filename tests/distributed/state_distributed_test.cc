// Stateful channels across processes: a JetStream-enabled nats-server,
// cable-service replicas sharing their state through it, cable-gateways
// each pointed at one replica, real WebSocket clients and gRPC publishers.
// Checks that lock_state, multi-channel transactions and Publisher's
// compare-and-set stay exact when several replicas write at once, that
// every client sees every revision exactly once, and that a killed
// gateway's presence is cleaned up.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "tests/support/must.h"
#include "tests/support/nats_server.h"
#include "tests/support/publisher_client.h"
#include "tests/support/server_process.h"
#include "tests/support/ws_client.h"

namespace cable::testing {
namespace {

using ::nlohmann::json;
using Clock = std::chrono::steady_clock;

long long Millis(Clock::duration d) {
  return static_cast<long long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

// nats-server with JetStream, cable-service replicas and gateways; each
// gateway talks to one chosen replica.
class StateCluster {
 public:
  // `services` replicas started with `service_args`; gateways added later
  // get `gateway_args`.
  explicit StateCluster(int services,
                        std::vector<std::string> service_args = {},
                        std::vector<std::string> gateway_args = {})
      : service_args_(std::move(service_args)),
        gateway_args_(std::move(gateway_args)),
        nats_(Must(StartNats())) {
    for (int i = 0; i < services; ++i) {
      std::vector<std::string> args = {"--nats_url=" + nats_.url(),
                                       "--host=127.0.0.1", "--grpc_port=0",
                                       "--internal_port=0", "--metrics_port=0",
                                       "--log_level=warn"};
      args.insert(args.end(), service_args_.begin(), service_args_.end());
      services_.push_back(Must(ServerProcess::Start(
          BinaryFromEnv("CABLE_SERVICE", CABLE_SERVICE_BUILT), args)));
    }
  }

  // A gateway whose only service is replica `service`.
  ServerProcess& AddGateway(int service) {
    std::vector<std::string> args = {
        "--nats_url=" + nats_.url(), "--host=127.0.0.1", "--port=0",
        absl::StrCat("--service=127.0.0.1:",
                     services_[service].internal_port()),
        "--log_level=warn"};
    args.insert(args.end(), gateway_args_.begin(), gateway_args_.end());
    gateways_.push_back(
        std::make_unique<ServerProcess>(Must(ServerProcess::Start(
            BinaryFromEnv("CABLE_GATEWAY", CABLE_GATEWAY_BUILT), args))));
    return *gateways_.back();
  }

  int grpc_port(int service) const { return services_[service].grpc_port(); }
  int http_port(int gateway) const { return gateways_[gateway]->http_port(); }
  ServerProcess& gateway(int i) { return *gateways_[i]; }

 private:
  static absl::StatusOr<NatsServer> StartNats() {
    NatsServer::Options options;
    options.jetstream = true;
    return NatsServer::Start(options);
  }

  std::vector<std::string> service_args_;
  std::vector<std::string> gateway_args_;
  NatsServer nats_;
  std::vector<ServerProcess> services_;
  std::vector<std::unique_ptr<ServerProcess>> gateways_;
};

std::string Identifier(const std::string& channel) {
  return json{{"channel", channel}}.dump();
}

// What a client knows of one joined channel, rebuilt from the frames it
// receives: the state with every patch applied. Any revision or event id
// gap is a test failure.
struct ChannelView {
  bool synced = false;
  json state;
  std::uint64_t revision = 0;
  std::uint64_t last_event_id = 0;
  json backlog = json::array();
  std::vector<json> live_events;
  int updates = 0;
};

// A WebSocket client speaking the stateful-channel commands. Not
// thread-safe: one thread drives one client.
class BoardClient {
 public:
  explicit BoardClient(int port, const std::string& path = "/cable") {
    WsClient::Options options;
    options.path = path;
    options.timeout = std::chrono::seconds(30);
    ws_ = Must(WsClient::Connect(port, options));
    auto welcome = ws_->ReceiveNonPing();
    if (!welcome.ok() || welcome->value("type", "") != "welcome") {
      ADD_FAILURE() << "no welcome: "
                    << (welcome.ok() ? welcome->dump()
                                     : welcome.status().ToString());
      broken_ = true;
      return;
    }
    sid_ = welcome->value("sid", "");
  }

  const std::string& sid() const { return sid_; }
  // "<gateway id>.<random>": the gateway is everything before the last dot.
  std::string gateway_id() const {
    const auto dot = sid_.rfind('.');
    return dot == std::string::npos ? "" : sid_.substr(0, dot);
  }
  bool broken() const { return broken_; }
  WsClient& ws() { return *ws_; }

  void SendJoin(const std::string& channel) {
    Send({{"command", "join"}, {"identifier", Identifier(channel)}});
  }
  // Joins and waits for the channel's backlog and state.
  void Join(const std::string& channel) {
    SendJoin(channel);
    while (!broken_ && !view(channel).synced) Pump();
  }
  void SendLeave(const std::string& channel) {
    Send({{"command", "leave"}, {"identifier", Identifier(channel)}});
  }
  int SendRequest(const std::string& channel, const std::string& request,
                  const json& payload) {
    const int id = next_id_++;
    Send({{"command", "request"},
          {"identifier", Identifier(channel)},
          {"data", json{{"id", id}, {"request", request}, {"payload", payload}}
                       .dump()}});
    return id;
  }
  void SendAction(const std::string& channel, const std::string& action,
                  const json& payload) {
    Send({{"command", "message"},
          {"identifier", Identifier(channel)},
          {"data", json{{"action", action}, {"payload", payload}}.dump()}});
  }

  // Reads frames until the reply to request `id`; null if the connection
  // broke first.
  json WaitReply(int id) {
    for (;;) {
      if (auto it = replies_.find(id); it != replies_.end()) {
        json reply = std::move(it->second);
        replies_.erase(it);
        return reply;
      }
      if (broken_) return json();
      Pump();
    }
  }

  // Reads frames until the channel's view reaches `revision`.
  void WaitRevision(const std::string& channel, std::uint64_t revision) {
    while (!broken_ && view(channel).revision < revision) Pump();
  }

  ChannelView& view(const std::string& channel) { return views_[channel]; }

  // Receives one frame and applies it.
  void Pump() {
    auto frame = ws_->ReceiveNonPing();
    if (!frame.ok()) {
      ADD_FAILURE() << "client " << sid_ << ": " << frame.status();
      broken_ = true;
      return;
    }
    Apply(*frame);
  }

 private:
  void Send(const json& command) {
    absl::Status sent = ws_->Send(command.dump());
    if (!sent.ok()) {
      ADD_FAILURE() << "client " << sid_ << ": " << sent;
      broken_ = true;
    }
  }

  void Apply(const json& frame) {
    const std::string type = frame.value("type", "");
    if (type == "reply") {
      replies_[frame["id"].get<int>()] = frame;
      return;
    }
    std::string channel;
    if (frame.contains("identifier") && frame["identifier"].is_string()) {
      json id =
          json::parse(frame["identifier"].get<std::string>(), nullptr, false);
      if (id.is_object()) channel = id.value("channel", "");
    }
    if (type == "error" || type == "reject_subscription" ||
        type == "disconnect" || channel.empty()) {
      ADD_FAILURE() << "client " << sid_ << " got " << frame.dump();
      return;
    }
    ChannelView& v = views_[channel];
    if (type == "backlog") {
      v.backlog = frame["events"];
      return;
    }
    if (type == "state") {
      v.synced = true;
      v.state = frame["state"];
      v.revision = frame["revision"].get<std::uint64_t>();
      v.last_event_id = frame["last_event_id"].get<std::uint64_t>();
      return;
    }
    if (type != "event" && type != "event_patch") {
      ADD_FAILURE() << "client " << sid_ << ": unexpected " << frame.dump();
      return;
    }
    if (!v.synced) {
      ADD_FAILURE() << "client " << sid_
                    << ": update before the state: " << frame.dump();
      return;
    }
    const std::uint64_t revision = frame["revision"].get<std::uint64_t>();
    // "event" frames come first for all but the last event of a commit,
    // with the commit's revision; the event_patch then completes it.
    EXPECT_EQ(revision, v.revision + 1)
        << "client " << sid_ << " channel " << channel
        << ": revision gap or repeat: " << frame.dump();
    if (!frame["event_id"].is_null()) {
      const std::uint64_t event_id = frame["event_id"].get<std::uint64_t>();
      EXPECT_EQ(event_id, v.last_event_id + 1)
          << "client " << sid_ << " channel " << channel
          << ": event id gap or repeat: " << frame.dump();
      v.last_event_id = event_id;
      v.live_events.push_back(frame["event"]);
    }
    if (type == "event") return;
    if (!frame["patch"].is_null()) {
      try {
        v.state = v.state.patch(frame["patch"]);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "client " << sid_ << ": patch does not apply ("
                      << e.what() << "): " << frame.dump() << " to state "
                      << v.state.dump();
      }
    }
    v.revision = revision;
    ++v.updates;
  }

  std::unique_ptr<WsClient> ws_;
  std::string sid_;
  bool broken_ = false;
  int next_id_ = 1;
  std::map<int, json> replies_;
  std::map<std::string, ChannelView> views_;
};

json StateJson(const v1::GetStateResponse& response) {
  return json::parse(response.state());
}

// Sends `total` requests, at most `window` unanswered at a time (the
// gateway queues them in order), reading whatever else arrives meanwhile.
// `make(i)` gives the i-th request's (channel, request, payload);
// `on_reply(i, reply)` sees each reply.
template <class Make, class OnReply>
void Pipeline(BoardClient& client, int total, int window, Make make,
              OnReply on_reply) {
  std::deque<std::pair<int, int>> in_flight;  // (index, request id)
  int sent = 0;
  while (sent < total || !in_flight.empty()) {
    while (sent < total && static_cast<int>(in_flight.size()) < window) {
      auto [channel, request, payload] = make(sent);
      in_flight.emplace_back(sent,
                             client.SendRequest(channel, request, payload));
      ++sent;
    }
    const auto [index, id] = in_flight.front();
    in_flight.pop_front();
    json reply = client.WaitReply(id);
    if (client.broken()) return;
    on_reply(index, reply);
  }
}

TEST(StateDistributed, ConcurrentIncrementsThroughTwoServiceReplicas) {
  StateCluster cluster(/*services=*/2);
  cluster.AddGateway(0);
  cluster.AddGateway(1);
  StatePublisher publisher(cluster.grpc_port(0));
  const std::string kBoard = "board:counter";
  ASSERT_TRUE(Must(publisher.CreateChannel(kBoard, R"({"count":0})")));

  constexpr int kGateways = 2;
  constexpr int kPerGateway = 10;
  constexpr int kRequestsPerGateway = 500;
  constexpr int kPerClient = kRequestsPerGateway / kPerGateway;
  std::vector<std::unique_ptr<BoardClient>> clients;
  for (int g = 0; g < kGateways; ++g) {
    for (int c = 0; c < kPerGateway; ++c) {
      clients.push_back(std::make_unique<BoardClient>(cluster.http_port(g)));
      clients.back()->Join(kBoard);
      ASSERT_FALSE(clients.back()->broken());
    }
  }

  absl::Mutex mu;
  std::vector<std::int64_t> counts;  // what each reply said the count became
  std::atomic<int> failures{0};
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (auto& client : clients) {
    threads.emplace_back([&, c = client.get()] {
      std::vector<std::int64_t> mine;
      Pipeline(
          *c, kPerClient, /*window=*/8,
          [&](int) {
            return std::tuple(kBoard, std::string("increment"),
                              json{{"by", 1}});
          },
          [&](int, const json& reply) {
            if (reply.value("status", "") != "success" ||
                !reply["data"].is_number_integer()) {
              ++failures;
              ADD_FAILURE() << "client " << c->sid() << ": " << reply.dump();
              return;
            }
            mine.push_back(reply["data"].get<std::int64_t>());
          });
      EXPECT_FALSE(c->broken());
      absl::MutexLock lock(&mu);
      counts.insert(counts.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  const auto elapsed = Clock::now() - start;
  constexpr int kTotal = kGateways * kRequestsPerGateway;
  std::printf(
      "[ MEASURE  ] %d increment requests (20 connections, 2 gateways, 2 "
      "service replicas, one JetStream channel) in %lld ms: %.0f/s\n",
      kTotal, Millis(elapsed),
      kTotal * 1000.0 / std::max<long long>(1, Millis(elapsed)));
  EXPECT_EQ(failures.load(), 0);

  // Each increment ran alone: the counts the replies report are 1..1000,
  // each exactly once.
  std::sort(counts.begin(), counts.end());
  ASSERT_EQ(counts.size(), static_cast<std::size_t>(kTotal));
  for (int i = 0; i < kTotal; ++i) {
    ASSERT_EQ(counts[i], i + 1) << "replies' counts are not 1.." << kTotal;
  }

  const v1::GetStateResponse final_state = Must(publisher.GetState(kBoard));
  const json state = StateJson(final_state);
  EXPECT_EQ(state["count"], kTotal);
  EXPECT_EQ(final_state.last_event_id(), static_cast<std::uint64_t>(kTotal));
  // Created at 1; each join adds the client to "present" (+1), each
  // increment +1.
  EXPECT_EQ(final_state.revision(),
            1u + clients.size() + static_cast<std::uint64_t>(kTotal));
  EXPECT_EQ(state["present"].size(), clients.size());
  // Through the other replica too.
  StatePublisher other(cluster.grpc_port(1));
  EXPECT_EQ(Must(other.GetState(kBoard)).revision(), final_state.revision());

  // Every client saw every later revision once, in order (BoardClient
  // checks), and its patched state is the stored one.
  threads.clear();
  for (auto& client : clients) {
    threads.emplace_back([&, c = client.get()] {
      c->WaitRevision(kBoard, final_state.revision());
      EXPECT_EQ(c->view(kBoard).state, state) << "client " << c->sid();
      EXPECT_EQ(c->view(kBoard).last_event_id,
                static_cast<std::uint64_t>(kTotal));
    });
  }
  for (auto& t : threads) t.join();
  // The backlog a late joiner gets: the newest 20 increment events.
  BoardClient late(cluster.http_port(1));
  late.Join(kBoard);
  const json& backlog = late.view(kBoard).backlog;
  ASSERT_EQ(backlog.size(), 20u);
  EXPECT_EQ(backlog.front()["id"], kTotal - 19);
  EXPECT_EQ(backlog.back()["id"], kTotal);
  EXPECT_EQ(backlog.back()["event"]["increment"], 1);
}

TEST(StateDistributed, TransfersKeepTheSum) {
  StateCluster cluster(/*services=*/2);
  cluster.AddGateway(0);
  cluster.AddGateway(1);
  StatePublisher publisher(cluster.grpc_port(1));
  const std::string kA = "board:a";
  const std::string kB = "board:b";
  ASSERT_TRUE(Must(publisher.CreateChannel(kA, R"({"count":500})")));
  ASSERT_TRUE(Must(publisher.CreateChannel(kB, R"({"count":500})")));

  // One observer joined to both, then the transferring clients.
  BoardClient observer(cluster.http_port(0));
  observer.Join(kA);
  observer.Join(kB);
  constexpr int kPerGateway = 8;
  constexpr int kTransfersPerClient = 40;
  std::vector<std::unique_ptr<BoardClient>> clients;
  for (int g = 0; g < 2; ++g) {
    for (int c = 0; c < kPerGateway; ++c) {
      clients.push_back(std::make_unique<BoardClient>(cluster.http_port(g)));
      clients.back()->Join(kA);
      clients.back()->Join(kB);
      ASSERT_FALSE(clients.back()->broken());
    }
  }

  // Net amount moved from a to b by the successful transfers.
  std::atomic<std::int64_t> a_to_b{0};
  std::atomic<int> succeeded{0}, short_of_funds{0}, other_failures{0};
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < clients.size(); ++i) {
    threads.emplace_back([&, i, c = clients[i].get()] {
      std::mt19937 random(static_cast<unsigned>(i) * 7919u + 1);
      // Large amounts, so that some transfers find the balance short.
      std::uniform_int_distribution<int> amount(1, 150);
      std::vector<std::pair<bool, int>> plan;  // (a→b?, amount)
      for (int k = 0; k < kTransfersPerClient; ++k) {
        plan.emplace_back(random() % 2 == 0, amount(random));
      }
      Pipeline(
          *c, kTransfersPerClient, /*window=*/4,
          [&](int k) {
            const auto [forward, n] = plan[k];
            return std::tuple(forward ? kA : kB, std::string("transfer"),
                              json{{"to", forward ? kB : kA}, {"amount", n}});
          },
          [&](int k, const json& reply) {
            const auto [forward, n] = plan[k];
            if (reply.value("status", "") == "success") {
              ++succeeded;
              a_to_b += forward ? n : -n;
            } else if (reply.value("error", "").find("left") !=
                       std::string::npos) {
              ++short_of_funds;
            } else {
              ++other_failures;
              ADD_FAILURE() << "client " << c->sid() << ": " << reply.dump();
            }
          });
      EXPECT_FALSE(c->broken());
    });
  }
  for (auto& t : threads) t.join();
  const auto elapsed = Clock::now() - start;
  const int total = static_cast<int>(clients.size()) * kTransfersPerClient;
  std::printf(
      "[ MEASURE  ] %d two-channel transfers (%d succeeded, %d short of "
      "funds) through 2 gateways / 2 replicas in %lld ms: %.0f/s\n",
      total, succeeded.load(), short_of_funds.load(), Millis(elapsed),
      total * 1000.0 / std::max<long long>(1, Millis(elapsed)));
  EXPECT_EQ(other_failures.load(), 0);
  EXPECT_EQ(succeeded + short_of_funds + other_failures, total);

  const v1::GetStateResponse a = Must(publisher.GetState(kA));
  const v1::GetStateResponse b = Must(publisher.GetState(kB));
  const std::int64_t count_a = StateJson(a)["count"].get<std::int64_t>();
  const std::int64_t count_b = StateJson(b)["count"].get<std::int64_t>();
  EXPECT_EQ(count_a + count_b, 1000);
  EXPECT_GE(count_a, 0);
  EXPECT_GE(count_b, 0);
  EXPECT_EQ(count_a, 500 - a_to_b.load());
  // Each successful transfer is one commit with one event on each channel;
  // a refused one writes nothing.
  EXPECT_EQ(a.last_event_id(), static_cast<std::uint64_t>(succeeded.load()));
  EXPECT_EQ(b.last_event_id(), static_cast<std::uint64_t>(succeeded.load()));
  const std::uint64_t joins = clients.size() + 1;
  EXPECT_EQ(a.revision(), 1 + joins + succeeded.load());
  EXPECT_EQ(b.revision(), 1 + joins + succeeded.load());

  // The observer saw every revision of both channels exactly once, in
  // order, and its patched states are the stored ones.
  observer.WaitRevision(kA, a.revision());
  observer.WaitRevision(kB, b.revision());
  EXPECT_EQ(observer.view(kA).state, StateJson(a));
  EXPECT_EQ(observer.view(kB).state, StateJson(b));
  EXPECT_EQ(observer.view(kA).live_events.size(),
            static_cast<std::size_t>(succeeded.load()));
  EXPECT_EQ(observer.view(kA).updates, static_cast<int>(a.revision() - 2));
  EXPECT_EQ(observer.view(kB).updates, static_cast<int>(b.revision() - 2));
}

TEST(StateDistributed, UpdateStateRetryLoopsFromTwoReplicas) {
  StateCluster cluster(/*services=*/2);
  const std::string kName = "board:cas";
  ASSERT_TRUE(Must(StatePublisher(cluster.grpc_port(0))
                       .CreateChannel(kName, R"({"count":0})")));
  constexpr int kThreads = 16;
  constexpr int kIncrements = 50;
  std::atomic<int> conflicts{0};
  absl::Mutex mu;
  std::vector<std::uint64_t> revisions;  // what each successful update made
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      StatePublisher publisher(cluster.grpc_port(t % 2));
      std::vector<std::uint64_t> mine;
      for (int i = 0; i < kIncrements; ++i) {
        for (;;) {
          absl::StatusOr<v1::GetStateResponse> got = publisher.GetState(kName);
          if (!got.ok()) {
            ADD_FAILURE() << "GetState: " << got.status();
            return;
          }
          const std::int64_t count =
              StateJson(*got)["count"].get<std::int64_t>();
          absl::StatusOr<v1::UpdateStateResponse> updated =
              publisher.UpdateState(
                  kName, got->revision(), json{{"count", count + 1}}.dump(),
                  {json{{"thread", t}, {"count", count + 1}}.dump()});
          if (updated.ok()) {
            EXPECT_EQ(updated->revision(), got->revision() + 1);
            EXPECT_EQ(updated->first_event_id(), got->last_event_id() + 1);
            mine.push_back(updated->revision());
            break;
          }
          if (updated.status().code() !=
              absl::StatusCode::kFailedPrecondition) {
            ADD_FAILURE() << "UpdateState: " << updated.status();
            return;
          }
          ++conflicts;
        }
      }
      absl::MutexLock lock(&mu);
      revisions.insert(revisions.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  const auto elapsed = Clock::now() - start;
  constexpr int kTotal = kThreads * kIncrements;
  std::printf(
      "[ MEASURE  ] %d compare-and-set increments from %d threads on 2 "
      "replicas in %lld ms (%d conflicts retried): %.0f/s\n",
      kTotal, kThreads, Millis(elapsed), conflicts.load(),
      kTotal * 1000.0 / std::max<long long>(1, Millis(elapsed)));

  // Every successful update made a different revision: 2..801.
  std::sort(revisions.begin(), revisions.end());
  ASSERT_EQ(revisions.size(), static_cast<std::size_t>(kTotal));
  for (int i = 0; i < kTotal; ++i) ASSERT_EQ(revisions[i], i + 2u);
  for (int s = 0; s < 2; ++s) {
    const v1::GetStateResponse final_state =
        Must(StatePublisher(cluster.grpc_port(s)).GetState(kName));
    EXPECT_EQ(StateJson(final_state)["count"], kTotal);
    EXPECT_EQ(final_state.revision(), 1u + kTotal);
    EXPECT_EQ(final_state.last_event_id(), static_cast<std::uint64_t>(kTotal));
  }
  // A stale revision is refused and changes nothing.
  StatePublisher publisher(cluster.grpc_port(1));
  EXPECT_EQ(
      publisher.UpdateState(kName, 5, R"({"count":-1})", {}).status().code(),
      absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(StateJson(Must(publisher.GetState(kName)))["count"], kTotal);
}

// The gateway ids in state.present: {who: {gateway: n}}.
std::set<std::string> PresentGateways(const json& state) {
  std::set<std::string> out;
  if (!state.contains("present")) return out;
  for (const auto& [who, gateways] : state["present"].items()) {
    for (const auto& [gateway, n] : gateways.items()) out.insert(gateway);
  }
  return out;
}

TEST(StateDistributed, KilledGatewaysGuardsAreCleanedUp) {
  constexpr auto kHeartbeatTimeout = std::chrono::milliseconds(1000);
  constexpr auto kCleanupInterval = std::chrono::milliseconds(500);
  constexpr auto kHeartbeatInterval = std::chrono::milliseconds(300);
  StateCluster cluster(/*services=*/2,
                       {"--heartbeat_timeout=1s", "--cleanup_interval=500ms"},
                       {"--heartbeat_interval=300ms"});
  cluster.AddGateway(0);
  cluster.AddGateway(1);
  StatePublisher publisher(cluster.grpc_port(1));
  const std::string kRoom = "board:room";
  const std::string kMarker = "board:marker";
  ASSERT_TRUE(
      Must(publisher.CreateChannel(kRoom, R"({"count":0,"present":{}})")));
  ASSERT_TRUE(Must(publisher.CreateChannel(kMarker, R"({"count":0})")));

  // u1, u2, u3 on G1; u3 also on G2.
  std::vector<std::unique_ptr<BoardClient>> on_g1;
  for (const char* user : {"u1", "u2", "u3"}) {
    on_g1.push_back(std::make_unique<BoardClient>(
        cluster.http_port(0), absl::StrCat("/cable?user=", user)));
    on_g1.back()->Join(kRoom);
  }
  BoardClient on_g2(cluster.http_port(1), "/cable?user=u3");
  on_g2.Join(kRoom);
  ASSERT_FALSE(on_g2.broken());
  const std::string g1 = on_g1[0]->gateway_id();
  const std::string g2 = on_g2.gateway_id();
  ASSERT_FALSE(g1.empty());
  ASSERT_NE(g1, g2);

  const json before = StateJson(Must(publisher.GetState(kRoom)));
  EXPECT_EQ(
      before["present"],
      (json{{"u1", {{g1, 1}}}, {"u2", {{g1, 1}}}, {"u3", {{g1, 1}, {g2, 1}}}}))
      << before.dump();

  const auto killed_at = Clock::now();
  ASSERT_TRUE(cluster.gateway(0).Stop(SIGKILL, std::chrono::seconds(10)).ok());
  // Poll (the cleanup is asynchronous) until G1 is gone from every entry.
  const auto bound = kHeartbeatTimeout + kCleanupInterval + kHeartbeatInterval +
                     std::chrono::milliseconds(3200);
  json after;
  for (;;) {
    after = StateJson(Must(publisher.GetState(kRoom)));
    if (!PresentGateways(after).contains(g1)) break;
    ASSERT_LT(Clock::now() - killed_at, std::chrono::seconds(20))
        << "never cleaned up: " << after.dump();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const auto cleaned = Clock::now() - killed_at;
  std::printf(
      "[ MEASURE  ] a SIGKILLed gateway's presence was cleaned up %lld ms "
      "after the kill (heartbeat_interval 300 ms, heartbeat_timeout 1 s, "
      "cleanup_interval 500 ms)\n",
      Millis(cleaned));
  EXPECT_LE(cleaned, bound);
  // Not sooner than the gateway could be known dead.
  EXPECT_GE(cleaned, kHeartbeatTimeout - std::chrono::milliseconds(100));
  EXPECT_EQ(after["present"], (json{{"u3", {{g2, 1}}}})) << after.dump();

  // The client on G2 saw the cleanup as a patch like any other update.
  const v1::GetStateResponse now = Must(publisher.GetState(kRoom));
  on_g2.WaitRevision(kRoom, now.revision());
  EXPECT_EQ(on_g2.view(kRoom).state, StateJson(now));

  // Leaving drops G2's entry at once: the guard count goes to zero and no
  // cleanup is involved. Commands run in order, so once the next join's
  // state has arrived the leave has run.
  on_g2.SendLeave(kRoom);
  on_g2.Join(kMarker);
  ASSERT_FALSE(on_g2.broken());
  const json left = StateJson(Must(publisher.GetState(kRoom)));
  EXPECT_EQ(left["present"], json::object()) << left.dump();
  EXPECT_EQ(left["count"], 0);
}

TEST(StateDistributed, JoinAcrossGatewaysSeesUpdatesFromTheOther) {
  StateCluster cluster(/*services=*/2);
  cluster.AddGateway(0);
  cluster.AddGateway(1);
  StatePublisher publisher(cluster.grpc_port(0));
  const std::string kBoard = "board:x";
  ASSERT_TRUE(Must(publisher.CreateChannel(kBoard, R"({"count":0})")));
  BoardClient ann(cluster.http_port(0), "/cable?user=ann");
  BoardClient bob(cluster.http_port(1), "/cable?user=bob");
  ann.Join(kBoard);
  bob.Join(kBoard);
  ASSERT_FALSE(ann.broken() || bob.broken());
  // Bob's join (presence) reaches ann.
  const std::uint64_t joined = bob.view(kBoard).revision;
  EXPECT_EQ(joined, 3u);
  ann.WaitRevision(kBoard, joined);
  EXPECT_EQ(ann.view(kBoard).state, bob.view(kBoard).state);

  auto expect_update = [&](BoardClient& client, std::uint64_t revision,
                           const json& event, std::int64_t count) {
    client.WaitRevision(kBoard, revision);
    ChannelView& v = client.view(kBoard);
    EXPECT_EQ(v.revision, revision) << client.sid();
    ASSERT_FALSE(v.live_events.empty()) << client.sid();
    EXPECT_EQ(v.live_events.back(), event) << client.sid();
    EXPECT_EQ(v.state["count"], count) << client.sid();
  };
  ann.SendAction(kBoard, "increment", json{{"by", 5}});
  expect_update(bob, joined + 1, json{{"increment", 5}, {"by", "ann"}}, 5);
  expect_update(ann, joined + 1, json{{"increment", 5}, {"by", "ann"}}, 5);
  bob.SendAction(kBoard, "increment", json{{"by", -2}});
  expect_update(ann, joined + 2, json{{"increment", -2}, {"by", "bob"}}, 3);
  expect_update(bob, joined + 2, json{{"increment", -2}, {"by", "bob"}}, 3);
  bob.SendAction(kBoard, "set", json{{"cell", 4}, {"value", "X"}});
  ann.WaitRevision(kBoard, joined + 3);
  bob.WaitRevision(kBoard, joined + 3);
  EXPECT_EQ(ann.view(kBoard).state["cells"][4], "X");
  EXPECT_EQ(ann.view(kBoard).live_events.back(),
            (json{{"set", 4}, {"value", "X"}, {"by", "bob"}}));

  const v1::GetStateResponse stored = Must(publisher.GetState(kBoard));
  EXPECT_EQ(stored.revision(), joined + 3);
  EXPECT_EQ(StateJson(stored), ann.view(kBoard).state);
  EXPECT_EQ(StateJson(stored), bob.view(kBoard).state);
}

}  // namespace
}  // namespace cable::testing
