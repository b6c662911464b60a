// NatsPubSub::Connect: retry, bad options, server lists; the server helper.

#include "tests/sdk/nats_pubsub_test_util.h"

namespace cable::nats_test {
namespace {

TEST(NatsPubSubConnect, FailsFastWithoutRetryWhenNothingListens) {
  NatsPubSubOptions o =
      FastOptions(absl::StrCat("nats://127.0.0.1:", UnusedPort()), "no-retry");
  o.retry_on_failed_connect = false;
  auto ps = NatsPubSub::Connect(o);
  EXPECT_EQ(ps.status().code(), absl::StatusCode::kUnavailable) << ps.status();
}

TEST(NatsPubSubConnect, WithRetryConnectsOnceTheServerComesUp) {
  Inbox inbox;
  const int port = UnusedPort();
  ConnectionEvents events;
  NatsPubSubOptions o =
      FastOptions(absl::StrCat("nats://127.0.0.1:", port), "retry");
  o.on_connection_change = events.callback();
  auto ps = NatsPubSub::Connect(o);
  ASSERT_TRUE(ps.ok()) << ps.status();
  EXPECT_FALSE((*ps)->connected());
  EXPECT_EQ(SubscribeAndWait(**ps, "early", inbox.callback()).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ((*ps)->subscription_count(), 0u);
  absl::Status early = (*ps)->Broadcast("early", "x");
  EXPECT_TRUE(early.ok()) << early;

  NatsServer::Options so;
  so.port = port;
  auto server = NatsServer::Start(so);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GE(events.Await(true), 0);
  ASSERT_TRUE((*ps)->AwaitConnected(true, kWaitMs));
  ASSERT_TRUE(SubscribeAndWait(**ps, "late", inbox.callback()).ok());
  ASSERT_TRUE((*ps)->Broadcast("late", "hello").ok());
  ASSERT_TRUE(inbox.AwaitCount(1));
}

TEST(NatsPubSubConnect, NeverConnectedInstanceIsDestroyedCleanly) {
  NatsPubSubOptions o =
      FastOptions(absl::StrCat("nats://127.0.0.1:", UnusedPort()), "never");
  auto ps = NatsPubSub::Connect(o);
  ASSERT_TRUE(ps.ok()) << ps.status();
  EXPECT_FALSE((*ps)->connected());
  ps->reset();
}

TEST(NatsPubSubConnect, RejectsBadOptions) {
  NatsPubSubOptions o;
  o.url = " , ";
  EXPECT_EQ(NatsPubSub::Connect(o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = NatsPubSubOptions{};
  o.subject_prefix = "cable.*";
  EXPECT_EQ(NatsPubSub::Connect(o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = NatsPubSubOptions{};
  o.reconnect_wait = std::chrono::milliseconds(0);
  EXPECT_EQ(NatsPubSub::Connect(o).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(NatsPubSubConnect, AcceptsAServerList) {
  auto server = NatsServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  NatsPubSubOptions o = FastOptions(
      absl::StrCat("nats://127.0.0.1:", UnusedPort(), ", ", server->url()),
      "list");
  o.retry_on_failed_connect = false;
  auto ps = NatsPubSub::Connect(o);
  ASSERT_TRUE(ps.ok()) << ps.status();
  EXPECT_TRUE((*ps)->connected());
}

TEST(NatsServerHelper, JetStreamServerStartsWithAStoreDirectory) {
  NatsServer::Options so;
  so.jetstream = true;
  auto server = NatsServer::Start(so);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_FALSE(server->store_dir().empty());
  EXPECT_NE(server->log().find("JetStream"), std::string::npos);
  const int port = server->port();
  ASSERT_TRUE(server->Restart().ok());
  EXPECT_EQ(server->port(), port);
}

// ---------------------------------------------------------------------------

}  // namespace
}  // namespace cable::nats_test
