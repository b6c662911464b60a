// A gateway's part of the server API: the Hub's per-stream counts, and
// the SurveyResponder's answers on the control bus.
#include "cable/gateway/survey_responder.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "cable/gateway/hub.h"
#include "cable/in_memory_pubsub.h"

namespace cable::gateway {
namespace {

class NullSink final : public FrameSink {
 public:
  void Deliver(SharedFrame) override {}
};

void Add(Hub& hub, const std::string& stream, const std::string& identifier,
         const std::shared_ptr<FrameSink>& sink) {
  hub.Subscribe(stream, identifier, sink, [](absl::Status) {});
}

auto All() {
  return [](absl::string_view) { return true; };
}

TEST(HubCounts, SortedByNameCappedAndFiltered) {
  InMemoryPubSub pubsub;
  Hub hub(pubsub);
  auto a = std::make_shared<NullSink>();
  auto b = std::make_shared<NullSink>();
  Add(hub, "c", "i", a);
  Add(hub, "a", "i", a);
  Add(hub, "a", "i", b);
  Add(hub, "a", "j", a);  // another identifier: another subscription
  Add(hub, "b", "i", b);
  bool truncated = true;
  auto counts = hub.Counts(All(), 10, &truncated);
  EXPECT_FALSE(truncated);
  ASSERT_EQ(counts.size(), 3u);
  EXPECT_EQ(counts[0].stream, "a");
  EXPECT_EQ(counts[0].subscribers, 3u);
  EXPECT_EQ(counts[2].stream, "c");

  counts = hub.Counts(All(), 2, &truncated);
  EXPECT_TRUE(truncated);
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts[1].stream, "b");

  counts =
      hub.Counts([](absl::string_view s) { return s != "a"; }, 10, &truncated);
  ASSERT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts[0].stream, "b");

  EXPECT_EQ(hub.totals().streams, 3u);
  EXPECT_EQ(hub.totals().subscriptions, 5u);
  hub.Unsubscribe("c", "i", a.get());
  EXPECT_EQ(hub.totals().streams, 2u);
  EXPECT_EQ(hub.Counts(All(), 10, &truncated).size(), 2u);
}

internal::v1::Survey ChannelsSurvey(const std::string& pattern,
                                    std::uint32_t limit) {
  internal::v1::Survey survey;
  survey.set_reply_stream("reply.s.1");
  survey.mutable_channels()->set_pattern(pattern);
  survey.mutable_channels()->set_limit(limit);
  return survey;
}

TEST(SurveyResponder, AnswersChannelsAndInfo) {
  InMemoryPubSub pubsub;
  Hub hub(pubsub);
  auto sink = std::make_shared<NullSink>();
  Add(hub, "chat:a", "i", sink);
  Add(hub, "chat:b", "i", sink);
  Add(hub, "other", "i", sink);
  SurveyResponder responder("gw1", hub, pubsub, [] { return 7; });

  internal::v1::SurveyReply reply =
      responder.Answer(ChannelsSurvey("chat:*", 0));
  EXPECT_EQ(reply.gateway_id(), "gw1");
  ASSERT_EQ(reply.streams_size(), 2);
  EXPECT_EQ(reply.streams(0).stream(), "chat:a");
  EXPECT_EQ(reply.streams(0).subscribers(), 1u);
  EXPECT_FALSE(reply.truncated());
  reply = responder.Answer(ChannelsSurvey("", 1));
  EXPECT_EQ(reply.streams_size(), 1);
  EXPECT_TRUE(reply.truncated());

  internal::v1::Survey info;
  info.mutable_info();
  reply = responder.Answer(info);
  EXPECT_EQ(reply.gateway().id(), "gw1");
  EXPECT_EQ(reply.gateway().connections(), 7u);
  EXPECT_EQ(reply.gateway().streams(), 3u);
  EXPECT_EQ(reply.gateway().subscriptions(), 3u);
  EXPECT_FALSE(reply.gateway().version().empty());
}

TEST(SurveyResponder, RepliesOnTheReplyStreamFromItsThread) {
  InMemoryPubSub pubsub;
  Hub hub(pubsub);
  SurveyResponder responder("gw1", hub, pubsub, [] { return 0; });
  absl::Mutex mu;
  std::optional<internal::v1::ControlMessage> got;
  auto id = SubscribeAndWait(
      pubsub, "reply.s.1", [&](absl::string_view, absl::string_view bytes) {
        internal::v1::ControlMessage message;
        ASSERT_TRUE(message.ParseFromArray(bytes.data(),
                                           static_cast<int>(bytes.size())));
        absl::MutexLock lock(&mu);
        got = std::move(message);
      });
  ASSERT_TRUE(id.ok());
  responder.Enqueue(ChannelsSurvey("", 0));
  absl::MutexLock lock(&mu);
  auto answered = [&got] { return got.has_value(); };
  ASSERT_TRUE(
      mu.AwaitWithTimeout(absl::Condition(&answered), absl::Seconds(10)));
  EXPECT_EQ(got->survey_reply().gateway_id(), "gw1");
  mu.Unlock();
  responder.Stop();
  pubsub.Unsubscribe(*id);
  mu.Lock();
}

}  // namespace
}  // namespace cable::gateway
