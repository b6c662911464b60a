// cable::Publisher against an in-test gRPC server that records what it
// receives: the API key metadata, and that a request that may have reached
// the server is never sent twice while reads are retried.

#include <gmock/gmock.h>
#include <grpcpp/support/status.h>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>

#include "cable/publisher.h"
#include "tests/sdk_cpp/test_servers.h"
#include "tests/support/must.h"

namespace cable::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Optional;
using Clock = std::chrono::steady_clock;

constexpr RetryPolicy kFastRetry = {
    .max_attempts = 3,
    .initial_backoff = std::chrono::milliseconds(10),
    .max_backoff = std::chrono::milliseconds(50)};

TEST(PublisherMetadata, ApiKeyIsSentAsBearerToken) {
  FakePublisherServer server;
  Publisher keyed =
      Must(Publisher::Create({.target = server.target(), .api_key = "s3cret"}));
  Publisher anonymous = Must(Publisher::Create({.target = server.target()}));

  ASSERT_TRUE(keyed.Broadcast("s", "1").ok());
  ASSERT_TRUE(keyed.GetState("board").ok());
  ASSERT_TRUE(anonymous.Broadcast("s", "2").ok());

  const auto calls = server.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_THAT(calls[0].authorization, Optional(std::string("Bearer s3cret")));
  EXPECT_THAT(calls[1].authorization, Optional(std::string("Bearer s3cret")));
  EXPECT_EQ(calls[2].authorization, std::nullopt);
}

TEST(PublisherRetries, PublishAnsweredUnavailableIsNotSentAgain) {
  FakePublisherServer server;
  server.AnswerBroadcastWith(
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "busy, maybe published"));
  Publisher publisher =
      Must(Publisher::Create({.target = server.target(), .retry = kFastRetry}));

  absl::Status status = publisher.Broadcast("s", "once");
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "busy, maybe published");
  EXPECT_FALSE(NeverSent(status));
  EXPECT_TRUE(IsRetryable(status));
  EXPECT_EQ(server.calls().size(), 1u);

  auto batch = publisher.BroadcastBatch({{"s", "a"}, {"s", "b"}});
  EXPECT_EQ(batch.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(server.calls().size(), 2u);
}

TEST(PublisherRetries, ReadAnsweredUnavailableIsRetried) {
  FakePublisherServer server;
  server.AnswerGetStateWith(
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "not yet"));
  Publisher publisher =
      Must(Publisher::Create({.target = server.target(), .retry = kFastRetry}));

  auto state = publisher.GetState("board");
  EXPECT_EQ(state.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(server.calls().size(), 3u);

  server.AnswerGetStateWith(
      grpc::Status(grpc::StatusCode::NOT_FOUND, "no such channel"));
  EXPECT_EQ(publisher.GetState("board").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(server.calls().size(), 4u) << "NOT_FOUND is final";
}

TEST(PublisherRetries, DeadlineAfterSendingIsNotRetried) {
  FakePublisherServer server;
  server.HoldBroadcasts();
  Publisher publisher = Must(
      Publisher::Create({.target = server.target(),
                         .default_deadline = std::chrono::milliseconds(400),
                         .retry = kFastRetry}));

  const auto start = Clock::now();
  absl::Status status = publisher.Broadcast("s", "slow");
  const auto took = Clock::now() - start;
  server.Release();

  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_FALSE(NeverSent(status));
  EXPECT_FALSE(IsRetryable(status));
  EXPECT_GE(took, std::chrono::milliseconds(400));
  EXPECT_LT(took, std::chrono::seconds(3));
  EXPECT_EQ(server.calls().size(), 1u);
}

TEST(PublisherRetries, PerCallDeadlineOverridesTheDefault) {
  FakePublisherServer server;
  server.HoldBroadcasts();
  Publisher publisher =
      Must(Publisher::Create({.target = server.target(),
                              .default_deadline = std::chrono::minutes(1)}));

  const auto start = Clock::now();
  absl::Status status = publisher.Broadcast(
      "s", "slow", {.deadline = std::chrono::milliseconds(200)});
  const auto took = Clock::now() - start;
  server.Release();

  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST(PublisherRetries, ConnectsOnceTheServerComesUp) {
  ClosedPort closed;
  Publisher publisher =
      Must(Publisher::Create({.target = closed.target(), .retry = kFastRetry}));
  absl::Status down = publisher.Broadcast("s", "lost");
  ASSERT_EQ(down.code(), absl::StatusCode::kUnavailable) << down;
  ASSERT_TRUE(NeverSent(down));

  const int port = closed.port();
  closed.Release();
  FakePublisherServer server(port);
  // gRPC reconnects at the policy's backoff; within the default deadline
  // and its attempts the channel becomes ready.
  absl::Status up = publisher.Broadcast("s", "sent");
  EXPECT_TRUE(up.ok()) << up;
  EXPECT_THAT(server.calls(),
              ElementsAre(Field(&FakePublisherServer::Call::broadcasts,
                                ElementsAre(std::pair<std::string, std::string>(
                                    "s", "sent")))));
}

}  // namespace
}  // namespace cable::testing
