// cable::BatchPublisher: sends on size and on Flush, in order, and keeps a
// batch only when it certainly never reached the server.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>

#include "cable/publisher_batch.h"
#include "tests/sdk_cpp/real_server.h"
#include "tests/sdk_cpp/test_servers.h"

namespace cable::testing {
namespace {

using ::nlohmann::json;
using ::testing::ElementsAre;
using Broadcasts = std::vector<std::pair<std::string, std::string>>;

constexpr RetryPolicy kFastRetry = {
    .max_attempts = 2,
    .initial_backoff = std::chrono::milliseconds(10),
    .max_backoff = std::chrono::milliseconds(50)};

TEST(BatchPublisher, SendsOnSizeAndOnFlushToSubscribers) {
  auto server = StartCableServer();
  const std::string room = ChatIdentifier("batch");
  auto subscriber = Subscriber(server, room);
  Publisher publisher = Must(Publisher::Create({.target = GrpcTarget(server)}));
  BatchPublisher batch(publisher, {.max_broadcasts = 3});

  ASSERT_TRUE(batch.Add("chat:batch", "1").ok());
  ASSERT_TRUE(batch.Add("chat:batch", "2").ok());
  EXPECT_EQ(batch.pending(), 2u);
  ASSERT_TRUE(batch.Add("chat:batch", "3").ok());
  EXPECT_EQ(batch.pending(), 0u) << "the third filled the batch";
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(NextMessage(*subscriber, room), i);

  ASSERT_TRUE(batch.Add("chat:batch", R"({"n":4})").ok());
  ASSERT_TRUE(batch.Add("chat:batch", "five").ok());
  EXPECT_EQ(batch.pending(), 2u);
  ASSERT_TRUE(batch.Flush().ok());
  EXPECT_EQ(batch.pending(), 0u);
  EXPECT_EQ(NextMessage(*subscriber, room), json::parse(R"({"n":4})"));
  EXPECT_EQ(NextMessage(*subscriber, room), json("five"));
}

TEST(BatchPublisher, SplitsByBytesAndKeepsOrder) {
  FakePublisherServer server;
  Publisher publisher = Must(Publisher::Create({.target = server.target()}));
  {
    BatchPublisher batch(publisher, {.max_broadcasts = 100, .max_bytes = 10});
    ASSERT_TRUE(batch.Add("s", "1234").ok());                // 5 bytes
    ASSERT_TRUE(batch.Add("s", "5678").ok());                // 10: sent
    ASSERT_TRUE(batch.Add("s", std::string(20, 'x')).ok());  // alone
    ASSERT_TRUE(batch.Add("s", "tail").ok());
  }  // the destructor flushes "tail"
  const auto calls = server.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].broadcasts, (Broadcasts{{"s", "1234"}, {"s", "5678"}}));
  EXPECT_EQ(calls[1].broadcasts, (Broadcasts{{"s", std::string(20, 'x')}}));
  EXPECT_EQ(calls[2].broadcasts, (Broadcasts{{"s", "tail"}}));
}

TEST(BatchPublisher, KeepsABatchThatWasNeverSent) {
  ClosedPort closed;
  Publisher publisher =
      Must(Publisher::Create({.target = closed.target(), .retry = kFastRetry}));
  BatchPublisher batch(publisher, {.max_broadcasts = 2, .max_pending = 3});

  ASSERT_TRUE(batch.Add("s", "a").ok());
  absl::Status full = batch.Add("s", "b");
  EXPECT_EQ(full.code(), absl::StatusCode::kUnavailable) << full;
  EXPECT_TRUE(NeverSent(full));
  EXPECT_EQ(batch.pending(), 2u);
  EXPECT_EQ(batch.Add("s", "c").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(batch.Add("s", "d").code(), absl::StatusCode::kResourceExhausted)
      << "at most max_pending queued";
  EXPECT_EQ(batch.pending(), 3u);

  const int port = closed.port();
  closed.Release();
  FakePublisherServer server(port);
  ASSERT_TRUE(batch.Flush().ok());
  EXPECT_EQ(batch.pending(), 0u);
  const auto calls = server.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].broadcasts, (Broadcasts{{"s", "a"}, {"s", "b"}}));
  EXPECT_EQ(calls[1].broadcasts, (Broadcasts{{"s", "c"}}));
}

TEST(BatchPublisher, DropsABatchTheServerMayHaveSeen) {
  FakePublisherServer server;
  server.AnswerBroadcastWith(
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "maybe published"));
  Publisher publisher = Must(Publisher::Create({.target = server.target()}));
  BatchPublisher batch(publisher, {.max_broadcasts = 2});

  ASSERT_TRUE(batch.Add("s", "a").ok());
  absl::Status status = batch.Add("s", "b");
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(NeverSent(status));
  EXPECT_EQ(batch.pending(), 0u);
  EXPECT_EQ(server.calls().size(), 1u);
}

}  // namespace
}  // namespace cable::testing
