// Reliable streams against the real cable-server: Publisher.Broadcast's
// offsets, Publisher.History, and an extended-protocol client's replay over
// a raw WebSocket (the AnyCable client's own test is tests/compat).
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

ServerProcess Start(std::vector<std::string> extra = {}) {
  return cable_server::StartServer(std::move(extra));
}

class Publisher {
 public:
  explicit Publisher(int port)
      : port_(port),
        stub_(v1::Publisher::NewStub(
            grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                grpc::InsecureChannelCredentials()))) {}

  v1::BroadcastResponse Broadcast(const std::string& stream,
                                  const std::string& data) {
    return Must(BroadcastWithResponse(port_, stream, data));
  }

  grpc::Status History(const v1::HistoryRequest& request,
                       v1::HistoryResponse* response) {
    grpc::ClientContext context;
    return stub_->History(&context, request, response);
  }

 private:
  int port_;
  std::unique_ptr<v1::Publisher::Stub> stub_;
};

std::vector<std::uint64_t> Offsets(const v1::HistoryResponse& response) {
  std::vector<std::uint64_t> out;
  for (const auto& m : response.messages()) out.push_back(m.offset());
  return out;
}

TEST(History, BroadcastGivesOffsetsAndHistoryReadsThem) {
  ServerProcess server = Start();
  Publisher publisher(server.grpc_port());
  std::string epoch;
  for (int i = 1; i <= 5; ++i) {
    auto r = publisher.Broadcast("chat:h", absl::StrCat(R"({"n":)", i, "}"));
    EXPECT_EQ(r.offset(), static_cast<std::uint64_t>(i));
    if (i == 1) epoch = r.epoch();
    EXPECT_EQ(r.epoch(), epoch);
  }
  EXPECT_FALSE(epoch.empty());
  // Streams are numbered apart.
  EXPECT_EQ(publisher.Broadcast("chat:other", "x").offset(), 1u);

  v1::HistoryRequest request;
  request.set_stream("chat:h");
  request.set_after_offset(2);
  request.set_epoch(epoch);
  v1::HistoryResponse response;
  ASSERT_TRUE(publisher.History(request, &response).ok());
  EXPECT_EQ(Offsets(response), (std::vector<std::uint64_t>{3, 4, 5}));
  EXPECT_EQ(response.epoch(), epoch);
  EXPECT_EQ(response.last_offset(), 5u);
  EXPECT_EQ(response.messages(0).data(), R"({"n":3})");
  EXPECT_GT(response.messages(0).time_unix_ms(), 0);

  // A page, then the next one.
  request.set_after_offset(0);
  request.set_limit(2);
  response.Clear();
  ASSERT_TRUE(publisher.History(request, &response).ok());
  EXPECT_EQ(Offsets(response), (std::vector<std::uint64_t>{1, 2}));

  // By time: everything is newer than a minute ago.
  v1::HistoryRequest since;
  since.set_stream("chat:h");
  since.set_since_unix_ms(absl::ToUnixMillis(absl::Now() - absl::Minutes(1)));
  response.Clear();
  ASSERT_TRUE(publisher.History(since, &response).ok());
  EXPECT_EQ(response.messages_size(), 5);

  // Another epoch's offsets mean nothing here.
  request.set_epoch(epoch + "x");
  request.set_limit(0);
  EXPECT_EQ(publisher.History(request, &response).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // An offset needs its epoch; a stream needs a name.
  request.clear_epoch();
  EXPECT_EQ(publisher.History(request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::HistoryRequest nameless;
  EXPECT_EQ(publisher.History(nameless, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST(History, TrimmedHistoryIsOutOfRangeAndOffTurnsItOff) {
  {
    ServerProcess server = Start({"--history_limit=3"});
    Publisher publisher(server.grpc_port());
    std::string epoch;
    for (int i = 1; i <= 5; ++i) epoch = publisher.Broadcast("s", "m").epoch();
    v1::HistoryRequest request;
    request.set_stream("s");
    request.set_epoch(epoch);
    request.set_after_offset(1);  // 2 is gone: only 3..5 are kept
    v1::HistoryResponse response;
    EXPECT_EQ(publisher.History(request, &response).error_code(),
              grpc::StatusCode::OUT_OF_RANGE);
    request.set_after_offset(2);
    ASSERT_TRUE(publisher.History(request, &response).ok());
    EXPECT_EQ(Offsets(response), (std::vector<std::uint64_t>{3, 4, 5}));
  }
  {
    ServerProcess server = Start({"--history_limit=0"});
    Publisher publisher(server.grpc_port());
    auto r = publisher.Broadcast("s", "m");
    EXPECT_EQ(r.offset(), 0u);
    EXPECT_EQ(r.epoch(), "");
    v1::HistoryRequest request;
    request.set_stream("s");
    v1::HistoryResponse response;
    EXPECT_EQ(publisher.History(request, &response).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
  }
  {
    // Per-stream overrides by pattern: chat:* keeps history, the rest not.
    ServerProcess server =
        Start({"--history_limit=0", "--history_policy=chat:*=10/1m"});
    Publisher publisher(server.grpc_port());
    EXPECT_EQ(publisher.Broadcast("chat:a", "m").offset(), 1u);
    EXPECT_EQ(publisher.Broadcast("news", "m").offset(), 0u);
  }
}

TEST(History, ABadPolicyStopsTheServerWithAReason) {
  auto server =
      ServerProcess::Start(CableServerBinary(),
                           {"--host=127.0.0.1", "--port=0", "--grpc_port=0",
                            "--history_policy=chat:*=lots"},
                           std::chrono::seconds(20));
  // (The reason goes to stderr: 'history override "chat:*=lots": limit
  // "lots" is not a count of messages ...'.)
  EXPECT_FALSE(server.ok());
}

// The extended protocol over a raw socket: positioned broadcasts, and a
// second connection that asks for what the first one saw after offset 1.
TEST(History, ExtendedClientReplaysWhatItMissed) {
  ServerProcess server = Start();
  Publisher publisher(server.grpc_port());
  const std::string id = R"({"channel":"ChatChannel","room":"ext"})";
  WsClient::Options ext;
  ext.subprotocols = {"actioncable-v1-ext-json"};

  auto first = Must(WsClient::Connect(server.http_port(), ext));
  ASSERT_EQ(Must(first->ReceiveNonPing()).value("type", ""), "welcome");
  ASSERT_TRUE(
      first->Send(json{{"command", "subscribe"}, {"identifier", id}}.dump())
          .ok());
  ASSERT_EQ(Must(first->ReceiveNonPing()).value("type", ""),
            "confirm_subscription");
  auto r1 = publisher.Broadcast("chat:ext", R"({"n":1})");
  json live = Must(first->ReceiveNonPing());
  EXPECT_EQ(live["message"], json({{"n", 1}}));
  EXPECT_EQ(live["stream_id"], "chat:ext");
  EXPECT_EQ(live["epoch"], r1.epoch());
  EXPECT_EQ(live["offset"], 1);
  first.reset();  // gone: 2 and 3 are published while nobody listens

  publisher.Broadcast("chat:ext", R"({"n":2})");
  publisher.Broadcast("chat:ext", R"({"n":3})");
  auto second = Must(WsClient::Connect(server.http_port(), ext));
  ASSERT_EQ(Must(second->ReceiveNonPing()).value("type", ""), "welcome");
  json history;
  history["streams"]["chat:ext"] = {{"epoch", r1.epoch()}, {"offset", 1}};
  json subscribe = {
      {"command", "subscribe"}, {"identifier", id}, {"history", history}};
  ASSERT_TRUE(second->Send(subscribe.dump()).ok());
  EXPECT_EQ(Must(second->ReceiveNonPing()).value("type", ""),
            "confirm_subscription");
  for (int n : {2, 3}) {
    json replayed = Must(second->ReceiveNonPing());
    EXPECT_EQ(replayed["message"], json({{"n", n}}));
    EXPECT_EQ(replayed["offset"], n);
  }
  json confirm = Must(second->ReceiveNonPing());
  EXPECT_EQ(confirm.value("type", ""), "confirm_history");
  EXPECT_EQ(confirm.value("identifier", ""), id);
  publisher.Broadcast("chat:ext", R"({"n":4})");
  EXPECT_EQ(Must(second->ReceiveNonPing())["offset"], 4);

  // A position of another epoch cannot be replayed: reject_history, and
  // the subscription stays live.
  json stale;
  stale["streams"]["chat:ext"] = {{"epoch", "other"}, {"offset", 1}};
  ASSERT_TRUE(
      second
          ->Send(json{
              {"command", "history"}, {"identifier", id}, {"history", stale}}
                     .dump())
          .ok());
  EXPECT_EQ(Must(second->ReceiveNonPing()).value("type", ""), "reject_history");
  publisher.Broadcast("chat:ext", R"({"n":5})");
  EXPECT_EQ(Must(second->ReceiveNonPing())["offset"], 5);
  // pong is the extended protocol's and is read quietly.
  ASSERT_TRUE(second->Send(R"({"command":"pong"})").ok());
}

}  // namespace
}  // namespace cable::testing
