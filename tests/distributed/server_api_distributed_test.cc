// The server API (Publisher.Channels and Info) across processes: a real
// nats-server, two cable-service replicas and two cable-gateways, the
// survey running over NATS. Heartbeats are short so that a killed gateway
// is found dead within seconds.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/support/eventually.h"
#include "tests/support/must.h"
#include "tests/support/nats_server.h"
#include "tests/support/publisher_client.h"
#include "tests/support/server_process.h"
#include "tests/support/ws_client.h"

namespace cable::testing {
namespace {

using ::nlohmann::json;
using Streams = std::map<std::string, std::uint64_t>;

// A gateway heartbeats every 300 ms and is dead 1 s after one it missed.
class SurveyedCluster {
 public:
  SurveyedCluster() : nats_(StartNats()) {
    for (int i = 0; i < 2; ++i) {
      services_.push_back(Must(ServerProcess::Start(
          BinaryFromEnv("CABLE_SERVICE", CABLE_SERVICE_BUILT),
          {"--nats_url=" + nats_.url(), "--host=127.0.0.1", "--grpc_port=0",
           "--internal_port=0", "--metrics_port=0", "--log_level=warn",
           absl::StrCat("--service_id=svc", i), "--heartbeat_timeout=1s",
           "--replica_heartbeat_interval=300ms"})));
    }
    std::vector<std::string> addresses;
    for (const auto& s : services_) {
      addresses.push_back(absl::StrCat("127.0.0.1:", s.internal_port()));
    }
    for (int i = 0; i < 2; ++i) {
      gateways_.push_back(Must(ServerProcess::Start(
          BinaryFromEnv("CABLE_GATEWAY", CABLE_GATEWAY_BUILT),
          {"--nats_url=" + nats_.url(), "--host=127.0.0.1", "--port=0",
           "--service=" + absl::StrJoin(addresses, ","), "--log_level=warn",
           absl::StrCat("--gateway_id=gw", i), "--heartbeat_interval=300ms"})));
    }
  }

  std::vector<ServerProcess>& services() { return services_; }
  std::vector<ServerProcess>& gateways() { return gateways_; }

 private:
  static NatsServer StartNats() {
    NatsServer::Options options;
    options.jetstream = true;
    return Must(NatsServer::Start(options));
  }

  NatsServer nats_;
  std::vector<ServerProcess> services_;
  std::vector<ServerProcess> gateways_;
};

std::unique_ptr<WsClient> Subscribed(int port,
                                     const std::vector<std::string>& rooms) {
  WsClient::Options options;
  options.timeout = std::chrono::seconds(20);
  auto client = Must(WsClient::Connect(port, options));
  auto welcome = client->ReceiveNonPing();
  EXPECT_TRUE(welcome.ok()) << welcome.status();
  for (const auto& room : rooms) {
    EXPECT_EQ(*client->Subscribe(
                  json{{"channel", "ChatChannel"}, {"room", room}}.dump()),
              "confirm_subscription");
  }
  return client;
}

// What Channels(pattern) says, when every gateway alive answered.
std::optional<Streams> Counts(int grpc_port, const std::string& pattern) {
  auto response = Channels(grpc_port, pattern);
  EXPECT_TRUE(response.ok()) << response.status();
  if (!response.ok() || !response->unanswered_gateways().empty()) {
    return std::nullopt;
  }
  Streams out;
  for (const auto& e : response->streams()) out[e.stream()] = e.subscribers();
  return out;
}

std::vector<std::string> GatewayIds(const v1::InfoResponse& info) {
  std::vector<std::string> ids;
  for (const auto& g : info.gateways()) ids.push_back(g.id());
  return ids;
}

std::vector<std::string> ServiceIds(const v1::InfoResponse& info) {
  std::vector<std::string> ids;
  for (const auto& s : info.services()) ids.push_back(s.id());
  return ids;
}

TEST(ServerApiDistributed, AggregatesGatewaysAndDropsAKilledOne) {
  SurveyedCluster cluster;
  auto a = Subscribed(cluster.gateways()[0].http_port(), {"lobby", "r1"});
  auto b = Subscribed(cluster.gateways()[0].http_port(), {"lobby"});
  auto c = Subscribed(cluster.gateways()[1].http_port(), {"lobby", "r2"});

  const Streams both = {{"chat:lobby", 3}, {"chat:r1", 1}, {"chat:r2", 1}};
  for (auto& service : cluster.services()) {
    EXPECT_TRUE(Eventually([&] {
      return Counts(service.grpc_port(), "chat:*") == both;
    })) << service.grpc_port();
  }

  v1::InfoResponse info;
  EXPECT_TRUE(Eventually([&] {
    auto response = Info(cluster.services()[1].grpc_port());
    if (!response.ok()) return false;
    info = *std::move(response);
    return info.gateways_size() == 2 && info.services_size() == 2 &&
           info.connections() == 3;
  })) << info.DebugString();
  EXPECT_THAT(GatewayIds(info), ::testing::ElementsAre("gw0", "gw1"));
  EXPECT_THAT(ServiceIds(info), ::testing::ElementsAre("svc0", "svc1"));
  EXPECT_EQ(info.gateways(0).connections(), 2u);
  EXPECT_EQ(info.gateways(0).subscriptions(), 3u);
  EXPECT_EQ(info.gateways(1).streams(), 2u);
  EXPECT_TRUE(info.unanswered_gateways().empty());
  EXPECT_TRUE(info.unanswered_services().empty());

  // kill -9: no goodbye. Until its heartbeat runs out the survey waits for
  // it (and says so); then it is gone, with its counts.
  ASSERT_TRUE(
      cluster.gateways()[0].Stop(SIGKILL, std::chrono::seconds(20)).ok());
  const Streams survivor = {{"chat:lobby", 1}, {"chat:r2", 1}};
  EXPECT_TRUE(Eventually([&] {
    return Counts(cluster.services()[0].grpc_port(), "chat:*") == survivor;
  }));
  EXPECT_TRUE(Eventually([&] {
    auto response = Info(cluster.services()[0].grpc_port());
    if (!response.ok()) return false;
    info = *std::move(response);
    return GatewayIds(info) == std::vector<std::string>{"gw1"} &&
           info.unanswered_gateways().empty();
  })) << info.DebugString();
  EXPECT_EQ(info.connections(), 1u);
  EXPECT_EQ(info.services_size(), 2);
}

TEST(ServerApiDistributed, AKilledServiceLeavesInfo) {
  SurveyedCluster cluster;
  ASSERT_TRUE(
      cluster.services()[1].Stop(SIGKILL, std::chrono::seconds(20)).ok());
  v1::InfoResponse info;
  EXPECT_TRUE(Eventually([&] {
    auto response = Info(cluster.services()[0].grpc_port());
    if (!response.ok()) return false;
    info = *std::move(response);
    return ServiceIds(info) == std::vector<std::string>{"svc0"} &&
           info.unanswered_services().empty() && info.gateways_size() == 2;
  })) << info.DebugString();
}

}  // namespace
}  // namespace cable::testing
