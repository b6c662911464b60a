// Stateful channels across gateways: a killed gateway's guards are
// cleaned up, and clients joined through different gateways see each
// other's updates (shared parts in state_distributed_fixture.h).

#include "tests/distributed/state_distributed_fixture.h"

namespace cable::testing::state_distributed {
namespace {

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
}  // namespace cable::testing::state_distributed
