// Stateful channels across processes: a JetStream-enabled nats-server,
// cable-service replicas sharing their state through it, cable-gateways
// each pointed at one replica, real WebSocket clients and gRPC publishers.
// Checks that LockState, multi-channel transactions and Publisher's
// compare-and-set stay exact when several replicas write at once, that
// every client sees every revision exactly once, and that a killed
// gateway's presence is cleaned up.
//
// This file: LockState, transactions and compare-and-set from several
// replicas; the gateways' part is in state_distributed_gateways_test.cc
// (shared parts in state_distributed_fixture.h).

#include "tests/distributed/state_distributed_fixture.h"

namespace cable::testing::state_distributed {
namespace {

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

}  // namespace
}  // namespace cable::testing::state_distributed
