// The server API (Publisher.Channels and Info) against the real
// cable-server: real WebSocket clients subscribed to chat rooms, the
// counts read back over real gRPC.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "tests/integration/cable_server_fixture.h"
#include "tests/support/eventually.h"

namespace cable::testing::cable_server {
namespace {

// Stream -> subscribers, as Channels(pattern) reports them; empty on an
// error (the test then fails on what it expected).
std::map<std::string, std::uint64_t> Counts(const ServerProcess& server,
                                            const std::string& pattern) {
  auto response = Channels(server.grpc_port(), pattern);
  EXPECT_TRUE(response.ok()) << response.status();
  std::map<std::string, std::uint64_t> out;
  if (!response.ok()) return out;
  EXPECT_FALSE(response->truncated());
  for (const auto& entry : response->streams()) {
    out[entry.stream()] = entry.subscribers();
  }
  return out;
}

using Streams = std::map<std::string, std::uint64_t>;

TEST(ServerApi, ChannelsCountsSubscribersAndFollowsThem) {
  auto server = StartServer();
  auto ann = Welcomed(server);
  auto bob = Welcomed(server);
  WsClient::Options as_cat;
  as_cat.path = "/cable?user=cat";  // PresenceChannel wants a user
  auto cat = Welcomed(server, as_cat);
  ASSERT_TRUE(ann && bob && cat);
  for (auto* client : {ann.get(), bob.get(), cat.get()}) {
    ASSERT_EQ(*client->Subscribe(kLobby), "confirm_subscription");
  }
  ASSERT_EQ(*ann->Subscribe(Identifier("ChatChannel", "r1")),
            "confirm_subscription");
  ASSERT_EQ(*bob->Subscribe(Identifier("ChatChannel", "r2")),
            "confirm_subscription");
  // Not a chat stream: not in chat:*, in "".
  ASSERT_EQ(*cat->Subscribe(Identifier("PresenceChannel", "p1")),
            "confirm_subscription");

  // (Waited on: the gateway's first heartbeat makes it one the survey
  // waits for.)
  const Streams chat = {{"chat:lobby", 3}, {"chat:r1", 1}, {"chat:r2", 1}};
  EXPECT_TRUE(Eventually([&] { return Counts(server, "chat:*") == chat; }))
      << ::testing::PrintToString(Counts(server, "chat:*"));
  const Streams all = Counts(server, "");
  EXPECT_EQ(all.size(), 4u) << ::testing::PrintToString(all);
  EXPECT_EQ(Counts(server, "chat:r?"),
            (Streams{{"chat:r1", 1}, {"chat:r2", 1}}));
  EXPECT_EQ(Counts(server, "chat:[!l]*"),
            (Streams{{"chat:r1", 1}, {"chat:r2", 1}}));
  EXPECT_EQ(Counts(server, "chat:lobby"), (Streams{{"chat:lobby", 3}}));
  EXPECT_EQ(Counts(server, "nothing:*"), Streams{});

  // Unsubscribing and disconnecting take their counts away.
  ASSERT_TRUE(ann->Send(json{{"command", "unsubscribe"},
                             {"identifier", Identifier("ChatChannel", "r1")}}
                            .dump())
                  .ok());
  ASSERT_TRUE(bob->Close().ok());
  const Streams after = {{"chat:lobby", 2}};
  EXPECT_TRUE(Eventually([&] { return Counts(server, "chat:*") == after; }))
      << ::testing::PrintToString(Counts(server, "chat:*"));
}

TEST(ServerApi, InfoShowsTheGatewayTheServiceAndConnections) {
  auto server = StartServer();
  auto ann = Welcomed(server);
  auto bob = Welcomed(server);
  ASSERT_TRUE(ann && bob);
  ASSERT_EQ(*ann->Subscribe(kLobby), "confirm_subscription");
  ASSERT_EQ(*bob->Subscribe(kLobby), "confirm_subscription");
  ASSERT_EQ(*bob->Subscribe(Identifier("ChatChannel", "r1")),
            "confirm_subscription");

  v1::InfoResponse info;
  EXPECT_TRUE(Eventually([&] {
    auto response = Info(server.grpc_port());
    EXPECT_TRUE(response.ok()) << response.status();
    if (!response.ok()) return false;
    info = *std::move(response);
    return info.gateways_size() == 1 && info.gateways(0).connections() == 2;
  })) << info.DebugString();
  EXPECT_EQ(info.connections(), 2u);
  EXPECT_FALSE(info.version().empty());
  const v1::GatewayInfo& gateway = info.gateways(0);
  EXPECT_FALSE(gateway.id().empty());
  EXPECT_EQ(gateway.streams(), 2u);
  EXPECT_EQ(gateway.subscriptions(), 3u);
  EXPECT_EQ(gateway.version(), info.version());
  ASSERT_EQ(info.services_size(), 1);
  EXPECT_FALSE(info.services(0).id().empty());
  EXPECT_EQ(info.services(0).version(), info.version());
  EXPECT_TRUE(info.unanswered_gateways().empty());
  EXPECT_TRUE(info.unanswered_services().empty());

  ASSERT_TRUE(ann->Close().ok());
  EXPECT_TRUE(Eventually([&] {
    auto response = Info(server.grpc_port());
    return response.ok() && response->connections() == 1;
  }));
}

TEST(ServerApi, BadPatternIsInvalidArgument) {
  auto server = StartServer();
  for (const std::string& pattern :
       {std::string("chat:[abc"), std::string("chat:\\"),
        std::string(1025, 'a'), std::string("a\0b", 3)}) {
    auto response = Channels(server.grpc_port(), pattern);
    EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument)
        << pattern << ": " << response.status();
  }
  // Escaped, they are fine.
  EXPECT_TRUE(Channels(server.grpc_port(), "chat:\\[abc").ok());
  EXPECT_TRUE(Channels(server.grpc_port(), "chat:[]]").ok());
}

TEST(ServerApi, NeedsThePublisherKey) {
  auto server = StartServer({"--publisher_api_keys=k1"});
  EXPECT_EQ(Channels(server.grpc_port(), "").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Info(server.grpc_port()).status().code(),
            absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace cable::testing::cable_server
