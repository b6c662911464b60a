// Presence against the real cable-server: extended-protocol clients join,
// leave and read a stream's presence set over raw WebSockets, and the
// Publisher's Presence / PresenceStats read it (the AnyCable client's own
// test is tests/compat).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "cable/v1/publisher.grpc.pb.h"
#include "tests/integration/cable_server_fixture.h"
#include "tests/support/must.h"
#include "tests/support/publisher_client.h"
#include "tests/support/server_process.h"
#include "tests/support/ws_client.h"

namespace cable::testing {
namespace {

using ::nlohmann::json;

const std::string kRoom = R"({"channel":"ChatChannel","room":"p"})";

ServerProcess Start(std::vector<std::string> extra = {}) {
  return cable_server::StartServer(std::move(extra));
}

// A client of `protocol` subscribed to `identifier`.
std::unique_ptr<WsClient> Subscribed(
    const ServerProcess& server, const std::string& identifier,
    const std::string& protocol = "actioncable-v1-ext-json") {
  WsClient::Options options;
  options.subprotocols = {protocol};
  auto client = Must(WsClient::Connect(server.http_port(), options));
  EXPECT_EQ(Must(client->ReceiveNonPing()).value("type", ""), "welcome");
  EXPECT_EQ(Must(client->Subscribe(identifier)), "confirm_subscription");
  return client;
}

void Send(WsClient& client, const json& command) {
  ASSERT_TRUE(client.Send(command.dump()).ok());
}

json Join(const std::string& id, const json& info) {
  return {{"command", "join"},
          {"identifier", kRoom},
          {"presence", {{"id", id}, {"info", info}}}};
}

// The next frame that is not a ping; it must be a presence frame of kRoom.
json NextPresence(WsClient& client) {
  json frame = Must(client.ReceiveNonPing());
  EXPECT_EQ(frame.value("type", ""), "presence") << frame.dump();
  EXPECT_EQ(frame.value("identifier", ""), kRoom) << frame.dump();
  return frame.value("message", json());
}

// Asks for the presence set and returns the answer's message.
json Info(WsClient& client) {
  Send(client,
       {{"command", "presence"}, {"identifier", kRoom}, {"data", "{}"}});
  return NextPresence(client);
}

class PresenceApi {
 public:
  explicit PresenceApi(int port)
      : stub_(v1::Publisher::NewStub(
            grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                grpc::InsecureChannelCredentials()))) {}

  v1::PresenceResponse Presence(const std::string& stream) {
    grpc::ClientContext context;
    v1::PresenceRequest request;
    request.set_stream(stream);
    v1::PresenceResponse response;
    grpc::Status status = stub_->Presence(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  v1::PresenceStatsResponse Stats(const std::string& stream) {
    grpc::ClientContext context;
    v1::PresenceStatsRequest request;
    request.set_stream(stream);
    v1::PresenceStatsResponse response;
    grpc::Status status = stub_->PresenceStats(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

 private:
  std::unique_ptr<v1::Publisher::Stub> stub_;
};

TEST(Presence, JoinLeaveAndInfoReachEveryExtendedSubscriber) {
  ServerProcess server = Start();
  PresenceApi api(server.grpc_port());
  auto alice = Subscribed(server, kRoom);
  auto bob = Subscribed(server, kRoom);
  auto plain = Subscribed(server, kRoom, "actioncable-v1-json");

  Send(*alice, Join("alice", {{"name", "Alice"}}));
  for (WsClient* c : {alice.get(), bob.get()}) {
    EXPECT_EQ(NextPresence(*c), json({{"type", "join"},
                                      {"id", "alice"},
                                      {"info", {{"name", "Alice"}}}}));
  }
  json info = Info(*bob);
  EXPECT_EQ(info.value("type", ""), "info");
  EXPECT_EQ(info.value("total", 0), 1);
  EXPECT_EQ(info["records"],
            json::array({{{"id", "alice"}, {"info", {{"name", "Alice"}}}}}));

  // A second connection of alice's is no new member: no event, and the
  // info it reads (answered after its join) counts alice once.
  auto alice2 = Subscribed(server, kRoom);
  Send(*alice2, Join("alice", {{"name", "Alice"}}));
  EXPECT_EQ(Info(*alice2).value("total", 0), 1);
  Send(*bob, Join("bob", nullptr));
  EXPECT_EQ(NextPresence(*alice),
            json({{"type", "join"}, {"id", "bob"}, {"info", nullptr}}));

  auto records = api.Presence("chat:p");
  ASSERT_EQ(records.records_size(), 2);
  EXPECT_EQ(records.records(0).id(), "alice");
  EXPECT_EQ(json::parse(records.records(0).info()), json({{"name", "Alice"}}));
  EXPECT_EQ(records.records(1).id(), "bob");
  auto stats = api.Stats("chat:p");
  EXPECT_EQ(stats.num_clients(), 3u);
  EXPECT_EQ(stats.num_users(), 2u);
  EXPECT_EQ(api.Stats("chat:nobody").num_clients(), 0u);

  // bob leaves (AnyCable's client sends "leave" with no presence).
  Send(*bob, {{"command", "leave"}, {"identifier", kRoom}});
  EXPECT_EQ(NextPresence(*alice), json({{"type", "leave"}, {"id", "bob"}}));
  // alice's second connection unsubscribes: alice is still there.
  ASSERT_TRUE(
      alice2
          ->Send(json{{"command", "unsubscribe"}, {"identifier", kRoom}}.dump())
          .ok());
  EXPECT_EQ(Info(*alice).value("total", 0), 1);

  // The plain client saw none of it: its next frame is the broadcast.
  ASSERT_TRUE(Broadcast(server.grpc_port(), "chat:p", R"({"n":1})").ok());
  json next = Must(plain->ReceiveNonPing());
  EXPECT_EQ(next["message"], json({{"n", 1}})) << next.dump();
  // bob got his own join and leave, as every subscriber does.
  EXPECT_EQ(NextPresence(*bob).value("id", ""), "bob");
  EXPECT_EQ(NextPresence(*bob), json({{"type", "leave"}, {"id", "bob"}}));
  EXPECT_EQ(Must(bob->ReceiveNonPing())["message"], json({{"n", 1}}));
}

TEST(Presence, AClosedConnectionLeavesAfterTheTtl) {
  ServerProcess server =
      Start({"--presence_ttl=300ms", "--presence_sweep_interval=100ms"});
  PresenceApi api(server.grpc_port());
  auto watcher = Subscribed(server, kRoom);
  auto gone = Subscribed(server, kRoom);
  Send(*gone, Join("gone", {{"n", 1}}));
  EXPECT_EQ(NextPresence(*watcher).value("type", ""), "join");
  EXPECT_EQ(api.Stats("chat:p").num_users(), 1u);
  gone.reset();  // the socket closes without a leave
  // The leave comes once the ttl has passed (bounded by the client's
  // receive timeout).
  EXPECT_EQ(NextPresence(*watcher), json({{"type", "leave"}, {"id", "gone"}}));
  EXPECT_EQ(api.Stats("chat:p").num_users(), 0u);
}

TEST(Presence, RefusedWhereNotEnabledAndForBadInput) {
  ServerProcess server = Start();
  // PresenceChannel announces joins itself; it has no presence set.
  const std::string other = R"({"channel":"PresenceChannel","room":"x"})";
  auto client = Subscribed(server, other);
  Send(*client, {{"command", "join"},
                 {"identifier", other},
                 {"presence", {{"id", "a"}}}});
  json frame;
  do {
    frame = Must(client->ReceiveNonPing());
  } while (frame.value("type", "") != "presence");
  EXPECT_EQ(frame["message"].value("type", ""), "error");

  auto ext = Subscribed(server, kRoom);
  Send(
      *ext,
      {{"command", "join"}, {"identifier", kRoom}, {"presence", {{"id", ""}}}});
  json bad = NextPresence(*ext);
  EXPECT_EQ(bad.value("type", ""), "error");
  EXPECT_NE(bad.value("error", "").find("presence.id"), std::string::npos)
      << bad.dump();

  // Nobody but the service publishes presence events.
  EXPECT_EQ(Broadcast(server.grpc_port(), "$presence:chat:p", "{}").code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cable::testing
