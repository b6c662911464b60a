// cable::Publisher against the real cable-server: broadcasts reach a
// WebSocket subscriber, stateful channels round-trip, and errors come back
// with the server's status code.

#include "cable/publisher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "tests/sdk_cpp/real_server.h"
#include "tests/sdk_cpp/test_servers.h"

namespace cable::testing {
namespace {

using ::nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;
using ::testing::UnorderedElementsAre;

Publisher Connect(const ServerProcess& server) {
  return Must(Publisher::Create({.target = GrpcTarget(server)}));
}

TEST(Publisher, BroadcastReachesSubscriber) {
  auto server = StartCableServer();
  const std::string room = ChatIdentifier("sdk-cpp");
  auto subscriber = Subscriber(server, room);
  Publisher publisher = Connect(server);

  ASSERT_TRUE(publisher.Broadcast("chat:sdk-cpp", R"({"text":"hi"})").ok());
  ASSERT_TRUE(publisher.Broadcast("chat:sdk-cpp", "plain text").ok());

  EXPECT_EQ(NextMessage(*subscriber, room), json::parse(R"({"text":"hi"})"));
  EXPECT_EQ(NextMessage(*subscriber, room), json("plain text"));
}

TEST(Publisher, BroadcastBatchReachesSubscribersInOrder) {
  auto server = StartCableServer();
  const std::string a = ChatIdentifier("a");
  const std::string b = ChatIdentifier("b");
  auto sub_a = Subscriber(server, a);
  auto sub_b = Subscriber(server, b);
  Publisher publisher = Connect(server);

  auto accepted = publisher.BroadcastBatch(
      {{"chat:a", "1"}, {"chat:b", "x"}, {"chat:a", "2"}});
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_EQ(*accepted, 3u);
  EXPECT_EQ(NextMessage(*sub_a, a), json(1));
  EXPECT_EQ(NextMessage(*sub_a, a), json(2));
  EXPECT_EQ(NextMessage(*sub_b, b), json("x"));
}

TEST(Publisher, StatefulChannelRoundTrip) {
  auto server = StartCableServer();
  Publisher publisher = Connect(server);

  auto created = publisher.CreateChannel("board:sdk", R"({"count":1})",
                                         {.type = "widgets"});
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(*created);
  auto again = publisher.CreateChannel("board:sdk", R"({"count":9})");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(*again);

  auto state = publisher.GetState("board:sdk");
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(json::parse(state->state), json::parse(R"({"count":1})"));
  EXPECT_EQ(state->type, "widgets");
  EXPECT_TRUE(state->keep_events);

  auto updated =
      publisher.UpdateState("board:sdk", {.expected_revision = state->revision,
                                          .state = R"({"count":2})",
                                          .events = {R"({"added":1})"}});
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_GT(updated->revision, state->revision);
  EXPECT_GT(updated->first_event_id, 0u);

  auto stale = publisher.UpdateState(
      "board:sdk", {.expected_revision = state->revision, .state = "{}"});
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kFailedPrecondition);

  auto read = publisher.GetState("board:sdk");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(json::parse(read->state), json::parse(R"({"count":2})"));
  EXPECT_EQ(read->revision, updated->revision);
  EXPECT_EQ(read->last_event_id, updated->first_event_id);

  ASSERT_TRUE(publisher.CreateChannel("board:other", "{}").ok());
  auto widgets = publisher.ListChannels("widgets");
  ASSERT_TRUE(widgets.ok()) << widgets.status();
  EXPECT_THAT(*widgets, UnorderedElementsAre("board:sdk"));
  auto all = publisher.ListChannels();
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_THAT(*all, IsSupersetOf({"board:sdk", "board:other"}));

  auto deleted = publisher.DeleteEvents("board:sdk", {.keep_num = 0});
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, 1u);

  EXPECT_EQ(publisher.GetState("board:none").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(Publisher, EmptyStreamIsInvalidArgument) {
  auto server = StartCableServer();
  Publisher publisher = Connect(server);

  absl::Status status = publisher.Broadcast("", "x");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_FALSE(IsRetryable(status));
  EXPECT_FALSE(NeverSent(status));

  auto batch = publisher.BroadcastBatch({{"chat:a", "ok"}, {"", "x"}});
  EXPECT_EQ(batch.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Publisher, ServerWithApiKeysAcceptsOnlyTheKey) {
  auto server = Must(ServerProcess::Start(
      CableServerBinary(), {"--host=127.0.0.1", "--port=0", "--grpc_port=0",
                            "--log_level=warn", "--publisher_api_keys=k1,k2"}));
  const std::string room = ChatIdentifier("keyed");
  auto subscriber = Subscriber(server, room);
  Publisher keyed =
      Must(Publisher::Create({.target = GrpcTarget(server), .api_key = "k2"}));
  Publisher wrong =
      Must(Publisher::Create({.target = GrpcTarget(server), .api_key = "k3"}));
  Publisher anonymous = Connect(server);

  ASSERT_TRUE(keyed.Broadcast("chat:keyed", "with key").ok());
  EXPECT_EQ(NextMessage(*subscriber, room), json("with key"));
  for (const Publisher* publisher : {&wrong, &anonymous}) {
    absl::Status status = publisher->Broadcast("chat:keyed", "no");
    EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated) << status;
    EXPECT_FALSE(IsRetryable(status));
  }
}

TEST(Publisher, UnreachableTargetIsUnavailableWithinTheDeadline) {
  ClosedPort closed;
  Publisher publisher = Must(Publisher::Create(
      {.target = closed.target(),
       .default_deadline = std::chrono::seconds(5),
       .retry = {.max_attempts = 3,
                 .initial_backoff = std::chrono::milliseconds(50)}}));

  const auto start = std::chrono::steady_clock::now();
  absl::Status status = publisher.Broadcast("chat:a", "x");
  const auto took = std::chrono::steady_clock::now() - start;

  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr(closed.target()));
  EXPECT_THAT(status.message(), HasSubstr("3 attempts"));
  EXPECT_TRUE(NeverSent(status));
  EXPECT_TRUE(IsRetryable(status));
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(Publisher, ShortCallDeadlineExpiresBeforeSending) {
  ClosedPort closed;
  Publisher publisher = Must(Publisher::Create(
      {.target = closed.target(),
       .retry = {.max_attempts = 100,
                 .initial_backoff = std::chrono::milliseconds(50)}}));

  const auto start = std::chrono::steady_clock::now();
  absl::Status status = publisher.Broadcast(
      "chat:a", "x", {.deadline = std::chrono::milliseconds(300)});
  const auto took = std::chrono::steady_clock::now() - start;

  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_TRUE(NeverSent(status));
  EXPECT_TRUE(IsRetryable(status));
  EXPECT_GE(took, std::chrono::milliseconds(300));
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST(Publisher, CreateChecksOptions) {
  EXPECT_EQ(Publisher::Create({}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Publisher::Create({.target = "127.0.0.1:1",
                               .tls = TlsOptions{.client_cert_pem = "x"}})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Publisher::Create({.target = "127.0.0.1:1",
                               .default_deadline = std::chrono::seconds(0)})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      Publisher::Create({.target = "127.0.0.1:1", .retry = {.max_attempts = 0}})
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(Publisher, ReadsHistoryPresenceChannelsAndInfo) {
  auto server = StartCableServer();
  const std::string room = ChatIdentifier("reads");
  auto subscriber = Subscriber(server, room);
  Publisher publisher = Connect(server);
  for (const char* data : {"1", "2", "3"}) {
    ASSERT_TRUE(publisher.Broadcast("chat:reads", data).ok());
  }

  auto all = publisher.History("chat:reads");
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->messages.size(), 3u);
  EXPECT_EQ(all->last_offset, 3u);
  EXPECT_EQ(all->messages[2].data, "3");
  EXPECT_GT(all->messages[0].time.time_since_epoch().count(), 0);
  auto after = publisher.History(
      "chat:reads", {.after_offset = 1, .epoch = all->epoch, .limit = 1});
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_EQ(after->messages.size(), 1u);
  EXPECT_EQ(after->messages[0].offset, 2u);
  EXPECT_EQ(
      publisher.History("chat:reads", {.after_offset = 1}).status().code(),
      absl::StatusCode::kInvalidArgument);  // an offset needs its epoch

  auto members = publisher.Presence("chat:reads");
  ASSERT_TRUE(members.ok()) << members.status();
  EXPECT_TRUE(members->empty());
  auto counts = publisher.PresenceStats("chat:reads");
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->clients, 0u);

  auto live = publisher.Channels("chat:*");
  ASSERT_TRUE(live.ok()) << live.status();
  ASSERT_EQ(live->streams.size(), 1u);
  EXPECT_EQ(live->streams[0].first, "chat:reads");
  EXPECT_EQ(live->streams[0].second, 1u);
  EXPECT_EQ(publisher.Channels("[").status().code(),
            absl::StatusCode::kInvalidArgument);

  auto info = publisher.Info();
  ASSERT_TRUE(info.ok()) << info.status();
  ASSERT_EQ(info->gateways.size(), 1u);
  EXPECT_GE(info->connections, 1u);
  EXPECT_EQ(info->services.size(), 1u);
  EXPECT_FALSE(info->version.empty());
}

}  // namespace
}  // namespace cable::testing
