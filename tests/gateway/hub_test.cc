#include "cable/gateway/hub.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "cable/gateway/websocket.h"
#include "cable/in_memory_pubsub.h"

namespace cable::gateway {
namespace {

class RecordingSink final : public FrameSink {
 public:
  void Deliver(SharedFrame frame) override {
    absl::MutexLock lock(&mu_);
    frames_.push_back(std::move(frame));
  }
  std::vector<SharedFrame> frames() {
    absl::MutexLock lock(&mu_);
    return frames_;
  }

 private:
  absl::Mutex mu_;
  std::vector<SharedFrame> frames_;
};

// The message a shared frame carries: the Hub hands sinks finished
// WebSocket frames, header included.
std::string Text(const SharedFrame& frame) {
  EXPECT_EQ(static_cast<unsigned char>((*frame)[0]), 0x81u);  // FIN, text
  return std::string(ws::FramePayload(*frame));
}

// Subscribes and returns what on_live got: the in-memory backend goes live
// before its subscribe returns, so on_live has run by then.
absl::Status Subscribe(Hub& hub, absl::string_view stream,
                       absl::string_view identifier,
                       const std::shared_ptr<FrameSink>& sink) {
  std::optional<absl::Status> result;
  hub.Subscribe(stream, identifier, sink,
                [&result](absl::Status status) { result = std::move(status); });
  EXPECT_TRUE(result.has_value());
  return result.value_or(absl::InternalError("on_live did not run"));
}

TEST(Hub, OneBackendSubscriptionPerStream) {
  InMemoryPubSub pubsub;
  Hub hub(pubsub);
  auto a = std::make_shared<RecordingSink>();
  auto b = std::make_shared<RecordingSink>();
  ASSERT_TRUE(Subscribe(hub, "s", "id", a).ok());
  ASSERT_TRUE(Subscribe(hub, "s", "id", b).ok());
  EXPECT_EQ(pubsub.subscriber_count("s"), 1u);
  EXPECT_EQ(hub.subscriber_count("s"), 2u);
  hub.Unsubscribe("s", "id", a.get());
  EXPECT_EQ(pubsub.subscriber_count("s"), 1u);
  hub.Unsubscribe("s", "id", b.get());
  EXPECT_EQ(pubsub.subscriber_count("s"), 0u);
  EXPECT_EQ(hub.stream_count(), 0u);
}

TEST(Hub, SharesOneFramePerIdentifier) {
  InMemoryPubSub pubsub;
  Hub hub(pubsub);
  auto a = std::make_shared<RecordingSink>();
  auto b = std::make_shared<RecordingSink>();
  auto c = std::make_shared<RecordingSink>();
  ASSERT_TRUE(Subscribe(hub, "s", "one", a).ok());
  ASSERT_TRUE(Subscribe(hub, "s", "one", b).ok());
  ASSERT_TRUE(Subscribe(hub, "s", "two", c).ok());
  ASSERT_TRUE(pubsub.Broadcast("s", R"({"x":1})").ok());
  ASSERT_EQ(a->frames().size(), 1u);
  ASSERT_EQ(b->frames().size(), 1u);
  ASSERT_EQ(c->frames().size(), 1u);
  // Same object, not just equal bytes.
  EXPECT_EQ(a->frames()[0].get(), b->frames()[0].get());
  EXPECT_EQ(Text(a->frames()[0]), R"({"identifier":"one","message":{"x":1}})");
  EXPECT_EQ(Text(c->frames()[0]), R"({"identifier":"two","message":{"x":1}})");
}

TEST(Hub, NonJsonDataBecomesAJsonString) {
  InMemoryPubSub pubsub;
  Hub hub(pubsub);
  auto a = std::make_shared<RecordingSink>();
  ASSERT_TRUE(Subscribe(hub, "s", "i", a).ok());
  ASSERT_TRUE(pubsub.Broadcast("s", "hello \"world\"").ok());
  ASSERT_TRUE(pubsub.Broadcast("s", "").ok());
  ASSERT_EQ(a->frames().size(), 2u);
  EXPECT_EQ(Text(a->frames()[0]),
            R"({"identifier":"i","message":"hello \"world\""})");
  EXPECT_EQ(Text(a->frames()[1]), R"({"identifier":"i","message":""})");
}

TEST(Hub, DuplicateSubscribeIsANoOpAndUnsubscribeStopsDelivery) {
  InMemoryPubSub pubsub;
  Hub hub(pubsub);
  auto a = std::make_shared<RecordingSink>();
  ASSERT_TRUE(Subscribe(hub, "s", "i", a).ok());
  ASSERT_TRUE(Subscribe(hub, "s", "i", a).ok());
  ASSERT_TRUE(pubsub.Broadcast("s", "1").ok());
  EXPECT_EQ(a->frames().size(), 1u);
  hub.Unsubscribe("s", "i", a.get());
  hub.Unsubscribe("s", "i", a.get());  // unknown: ignored
  ASSERT_TRUE(pubsub.Broadcast("s", "2").ok());
  EXPECT_EQ(a->frames().size(), 1u);
}

TEST(Hub, KeepsOrderPerStream) {
  InMemoryPubSub pubsub;
  Hub hub(pubsub);
  auto a = std::make_shared<RecordingSink>();
  ASSERT_TRUE(Subscribe(hub, "s", "i", a).ok());
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(pubsub.Broadcast("s", std::to_string(i)).ok());
  }
  auto frames = a->frames();
  ASSERT_EQ(frames.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(Text(frames[i]),
              "{\"identifier\":\"i\",\"message\":" + std::to_string(i) + "}");
  }
}

}  // namespace
}  // namespace cable::gateway
