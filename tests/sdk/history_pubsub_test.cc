// HistoryPubSub over InMemoryPubSub: positioned broadcasts on streams with
// history, plain ones elsewhere, offsets in delivery order.

#include "cable/history_pubsub.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "cable/in_memory_history.h"
#include "cable/in_memory_pubsub.h"

namespace cable {
namespace {

// What a subscriber received, in order.
class Recorder {
 public:
  PubSubCallback callback() {
    return [this](absl::string_view, absl::string_view message) {
      absl::MutexLock lock(&mu_);
      messages_.emplace_back(message);
    };
  }
  std::vector<std::string> messages() const {
    absl::MutexLock lock(&mu_);
    return messages_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> messages_ ABSL_GUARDED_BY(mu_);
};

HistoryPolicy Policy() {
  absl::StatusOr<HistoryPolicy> policy =
      ParseHistoryPolicy(100, absl::Minutes(5), "ticker:*=0");
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *std::move(policy) : HistoryPolicy{};
}

class HistoryPubSubTest : public ::testing::Test {
 protected:
  PubSubSubscriptionId MustSubscribe(absl::string_view stream,
                                     Recorder& recorder) {
    absl::StatusOr<PubSubSubscriptionId> id =
        SubscribeAndWait(pubsub_, stream, recorder.callback());
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? *id : 0;
  }

  InMemoryPubSub inner_;
  InMemoryHistory history_{Policy()};
  HistoryPubSub pubsub_{inner_, history_, history_.policy()};
};

struct Decoded {
  StreamPosition pos;
  std::string data;
};

Decoded MustDecode(absl::string_view message) {
  Decoded out;
  absl::string_view data;
  EXPECT_TRUE(DecodeStreamMessage(message, &out.pos, &data)) << message;
  out.data = std::string(data);
  return out;
}

TEST_F(HistoryPubSubTest, SubscribersGetEnvelopedMessagesInOffsetOrder) {
  Recorder recorder;
  MustSubscribe("chat:1", recorder);
  for (const char* m : {"{\"n\":1}", "{\"n\":2}", "{\"n\":3}"}) {
    ASSERT_TRUE(pubsub_.Broadcast("chat:1", m).ok());
  }
  const std::vector<std::string> got = recorder.messages();
  ASSERT_EQ(got.size(), 3u);
  std::string epoch;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const Decoded d = MustDecode(got[i]);
    EXPECT_EQ(d.pos.offset, i + 1);
    EXPECT_EQ(d.data, absl::StrCat("{\"n\":", i + 1, "}"));
    if (i == 0) epoch = d.pos.epoch;
    EXPECT_EQ(d.pos.epoch, epoch);
  }
  // The same messages are in history, under the same positions.
  bool ran = false;
  history_.Read("chat:1", HistoryQuery{}, [&](absl::StatusOr<HistoryPage> p) {
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(p->epoch, epoch);
    ASSERT_EQ(p->entries.size(), 3u);
    EXPECT_EQ(p->entries[2].offset, 3u);
    EXPECT_EQ(p->entries[2].data, "{\"n\":3}");
    ran = true;
  });
  EXPECT_TRUE(ran);
}

TEST_F(HistoryPubSubTest, BroadcastWithPositionReturnsTheOffset) {
  Recorder recorder;
  MustSubscribe("chat:1", recorder);
  absl::StatusOr<std::optional<StreamPosition>> first =
      pubsub_.BroadcastWithPosition("chat:1", "a");
  absl::StatusOr<std::optional<StreamPosition>> second =
      pubsub_.BroadcastWithPosition("chat:1", "b");
  absl::StatusOr<std::optional<StreamPosition>> other =
      pubsub_.BroadcastWithPosition("chat:2", "c");
  ASSERT_TRUE(first.ok() && second.ok() && other.ok());
  ASSERT_TRUE(first->has_value() && second->has_value() && other->has_value());
  EXPECT_EQ((*first)->offset, 1u);
  EXPECT_EQ((*second)->offset, 2u);
  EXPECT_EQ((*second)->epoch, (*first)->epoch);
  EXPECT_EQ((*other)->offset, 1u);  // streams count separately
  const std::vector<std::string> got = recorder.messages();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(MustDecode(got[1]).pos, **second);
}

TEST_F(HistoryPubSubTest, StreamsWithoutHistoryGetPlainMessages) {
  Recorder ticker;
  Recorder state;
  MustSubscribe("ticker:AAPL", ticker);
  MustSubscribe("$state:chat:1", state);
  absl::StatusOr<std::optional<StreamPosition>> pos =
      pubsub_.BroadcastWithPosition("ticker:AAPL", "{\"price\":1}");
  ASSERT_TRUE(pos.ok()) << pos.status();
  EXPECT_FALSE(pos->has_value());
  ASSERT_TRUE(pubsub_.Broadcast("$state:chat:1", "state").ok());
  EXPECT_EQ(ticker.messages(), std::vector<std::string>{"{\"price\":1}"});
  EXPECT_EQ(state.messages(), std::vector<std::string>{"state"});
  EXPECT_EQ(history_.stream_count(), 0u);
}

TEST_F(HistoryPubSubTest, ForwardsSubscriptionsFlushAndConnected) {
  Recorder recorder;
  const PubSubSubscriptionId id = MustSubscribe("chat:1", recorder);
  EXPECT_EQ(inner_.subscriber_count("chat:1"), 1u);
  ASSERT_TRUE(pubsub_.Broadcast("chat:1", "a").ok());
  pubsub_.Unsubscribe(id);
  EXPECT_EQ(inner_.subscriber_count("chat:1"), 0u);
  ASSERT_TRUE(pubsub_.Broadcast("chat:1", "b").ok());
  EXPECT_EQ(recorder.messages().size(), 1u);
  EXPECT_TRUE(FlushAndWait(pubsub_).ok());
  EXPECT_TRUE(pubsub_.connected());
}

TEST(PubSub, BroadcastWithPositionDefaultsToNoPosition) {
  InMemoryPubSub pubsub;
  Recorder recorder;
  ASSERT_TRUE(SubscribeAndWait(pubsub, "chat:1", recorder.callback()).ok());
  absl::StatusOr<std::optional<StreamPosition>> pos =
      pubsub.BroadcastWithPosition("chat:1", "plain");
  ASSERT_TRUE(pos.ok()) << pos.status();
  EXPECT_FALSE(pos->has_value());
  EXPECT_EQ(recorder.messages(), std::vector<std::string>{"plain"});
}

// A History whose appends fail (a store that is down).
class FailingHistory final : public History {
 public:
  absl::StatusOr<StreamPosition> Append(absl::string_view,
                                        absl::string_view) override {
    return absl::UnavailableError("store down");
  }
  void Read(absl::string_view, HistoryQuery, HistoryReadDone done) override {
    std::move(done)(absl::UnavailableError("store down"));
  }
};

TEST(HistoryPubSub, NothingIsPublishedWhenTheAppendFails) {
  InMemoryPubSub inner;
  FailingHistory history;
  HistoryPubSub pubsub(inner, history, Policy());
  Recorder chat;
  Recorder ticker;
  ASSERT_TRUE(SubscribeAndWait(pubsub, "chat:1", chat.callback()).ok());
  ASSERT_TRUE(SubscribeAndWait(pubsub, "ticker:1", ticker.callback()).ok());
  EXPECT_EQ(pubsub.Broadcast("chat:1", "lost").code(),
            absl::StatusCode::kUnavailable);
  EXPECT_TRUE(chat.messages().empty());
  // Streams without history do not depend on the store.
  EXPECT_TRUE(pubsub.Broadcast("ticker:1", "tick").ok());
  EXPECT_EQ(ticker.messages(), std::vector<std::string>{"tick"});
}

TEST_F(HistoryPubSubTest, ConcurrentBroadcastersDeliverInOffsetOrder) {
  constexpr int kThreads = 4;
  constexpr int kEach = 500;
  absl::Mutex mu;
  std::uint64_t last = 0;
  std::uint64_t out_of_order = 0;
  std::string epoch;
  const PubSubSubscriptionId id = *SubscribeAndWait(
      pubsub_, "chat:1", [&](absl::string_view, absl::string_view message) {
        StreamPosition pos;
        absl::string_view data;
        const bool ok = DecodeStreamMessage(message, &pos, &data);
        absl::MutexLock lock(&mu);
        if (epoch.empty()) epoch = pos.epoch;
        if (!ok || pos.offset != last + 1 || pos.epoch != epoch) {
          ++out_of_order;
        }
        last = pos.offset;
      });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        EXPECT_TRUE(
            pubsub_.Broadcast("chat:1", absl::StrCat("t", t, "-", i)).ok());
        // A stream sharing nothing but, perhaps, a stripe.
        EXPECT_TRUE(pubsub_.Broadcast(absl::StrCat("chat:", t + 2), "x").ok());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  pubsub_.Unsubscribe(id);
  absl::MutexLock lock(&mu);
  EXPECT_EQ(out_of_order, 0u);
  EXPECT_EQ(last, std::uint64_t{kThreads * kEach});
}

}  // namespace
}  // namespace cable
