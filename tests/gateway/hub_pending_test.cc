// The Hub over a backend whose subscriptions go live when the test says:
// pending streams, waiters, failures and unsubscribing before live.

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "cable/gateway/hub.h"
#include "cable/pubsub.h"

namespace cable::gateway {
namespace {

// A PubSub whose subscribe only records the request; complete() makes it
// live (or failed).
class ManualPubSub final : public PubSub {
 public:
  struct Pending {
    std::string stream;
    PubSubCallback callback;
    PubSubDone on_live;
    PubSubSubscriptionId id;
  };

  PubSubSubscriptionId Subscribe(absl::string_view stream,
                                 PubSubCallback callback,
                                 PubSubDone on_live) override {
    const PubSubSubscriptionId id = ++next_id_;
    pending_.push_back(
        {std::string(stream), std::move(callback), std::move(on_live), id});
    if (inline_status_) {
      // Completes before subscribe returns, as a backend may.
      Complete(pending_.size() - 1, *inline_status_);
    }
    return inline_status_ && !inline_status_->ok() ? 0 : id;
  }
  void Unsubscribe(PubSubSubscriptionId id) override {
    unsubscribed_.push_back(id);
  }
  absl::Status Broadcast(absl::string_view, absl::string_view) override {
    return absl::OkStatus();
  }

  // Runs the on_live of the `index`th subscribe.
  void Complete(std::size_t index, absl::Status status) {
    ASSERT_LT(index, pending_.size());
    ASSERT_TRUE(pending_[index].on_live) << "completed twice";
    auto on_live = std::move(pending_[index].on_live);
    pending_[index].on_live = nullptr;
    std::move(on_live)(std::move(status));
  }
  void Deliver(std::size_t index, absl::string_view message) {
    pending_[index].callback(pending_[index].stream, message);
  }

  std::vector<Pending> pending_;
  std::vector<PubSubSubscriptionId> unsubscribed_;
  std::optional<absl::Status> inline_status_;
  PubSubSubscriptionId next_id_ = 0;
};

class CountingSink final : public FrameSink {
 public:
  void Deliver(SharedFrame) override { ++frames; }
  int frames = 0;
};

// What an on_live received, if it ran.
struct Outcome {
  std::optional<absl::Status> status;
  Hub::OnLive callback() {
    return [this](absl::Status s) {
      EXPECT_FALSE(status.has_value()) << "on_live ran twice";
      status = std::move(s);
    };
  }
};

TEST(HubPending, StreamIsPendingUntilTheBackendSaysLive) {
  ManualPubSub pubsub;
  Hub hub(pubsub);
  auto sink = std::make_shared<CountingSink>();
  Outcome outcome;
  hub.Subscribe("s", "i", sink, outcome.callback());
  ASSERT_EQ(pubsub.pending_.size(), 1u);
  EXPECT_FALSE(outcome.status.has_value());
  EXPECT_EQ(hub.stream_count(), 1u);
  pubsub.Complete(0, absl::OkStatus());
  ASSERT_TRUE(outcome.status.has_value());
  EXPECT_TRUE(outcome.status->ok());
  pubsub.Deliver(0, "1");
  EXPECT_EQ(sink->frames, 1);
}

TEST(HubPending, SecondSubscriberWaitsWithTheFirst) {
  ManualPubSub pubsub;
  Hub hub(pubsub);
  auto a = std::make_shared<CountingSink>();
  auto b = std::make_shared<CountingSink>();
  Outcome first, second;
  hub.Subscribe("s", "i", a, first.callback());
  hub.Subscribe("s", "j", b, second.callback());
  EXPECT_EQ(pubsub.pending_.size(), 1u);  // one backend subscription
  EXPECT_FALSE(second.status.has_value());
  pubsub.Complete(0, absl::OkStatus());
  ASSERT_TRUE(first.status.has_value() && second.status.has_value());
  EXPECT_TRUE(first.status->ok());
  EXPECT_TRUE(second.status->ok());
}

TEST(HubPending, SubscriberOfALiveStreamIsToldAtOnce) {
  ManualPubSub pubsub;
  Hub hub(pubsub);
  auto a = std::make_shared<CountingSink>();
  Outcome first, second;
  hub.Subscribe("s", "i", a, first.callback());
  pubsub.Complete(0, absl::OkStatus());
  hub.Subscribe("s", "j", a, second.callback());
  ASSERT_TRUE(second.status.has_value());
  EXPECT_TRUE(second.status->ok());
  EXPECT_EQ(pubsub.pending_.size(), 1u);
  EXPECT_EQ(hub.subscriber_count("s"), 2u);
}

TEST(HubPending, FailureReachesEveryWaiterAndALaterSubscribeRetries) {
  ManualPubSub pubsub;
  Hub hub(pubsub);
  auto a = std::make_shared<CountingSink>();
  auto b = std::make_shared<CountingSink>();
  Outcome first, second;
  hub.Subscribe("s", "i", a, first.callback());
  hub.Subscribe("s", "i", b, second.callback());
  pubsub.Complete(0, absl::UnavailableError("nats down"));
  ASSERT_TRUE(first.status.has_value() && second.status.has_value());
  EXPECT_EQ(first.status->code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(second.status->code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(hub.stream_count(), 0u);
  // The failed stream's subscribers are gone; unsubscribing is harmless.
  hub.Unsubscribe("s", "i", a.get());

  Outcome retry;
  hub.Subscribe("s", "i", a, retry.callback());
  ASSERT_EQ(pubsub.pending_.size(), 2u);  // a fresh backend subscription
  pubsub.Complete(1, absl::OkStatus());
  ASSERT_TRUE(retry.status.has_value());
  EXPECT_TRUE(retry.status->ok());
  EXPECT_EQ(hub.subscriber_count("s"), 1u);
}

TEST(HubPending, UnsubscribeWhilePendingCancelsAndDropsTheBackend) {
  ManualPubSub pubsub;
  Hub hub(pubsub);
  auto a = std::make_shared<CountingSink>();
  Outcome outcome;
  hub.Subscribe("s", "i", a, outcome.callback());
  hub.Unsubscribe("s", "i", a.get());
  ASSERT_TRUE(outcome.status.has_value());
  EXPECT_EQ(outcome.status->code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(hub.stream_count(), 0u);
  ASSERT_EQ(pubsub.unsubscribed_.size(), 1u);
  EXPECT_EQ(pubsub.unsubscribed_[0], pubsub.pending_[0].id);
  // The backend's late answer finds nobody waiting.
  pubsub.Complete(0, absl::OkStatus());
  pubsub.Deliver(0, "late");
  EXPECT_EQ(a->frames, 0);
}

TEST(HubPending, InlineCompletionMayCallBackIntoTheHub) {
  // on_live runs inside the backend's subscribe: the Hub holds no lock
  // there, so a completion that unsubscribes (as a session's strand might,
  // racing on another thread) neither deadlocks nor leaks the backend
  // subscription whose id the Hub did not know yet.
  ManualPubSub pubsub;
  pubsub.inline_status_ = absl::OkStatus();
  Hub hub(pubsub);
  auto a = std::make_shared<CountingSink>();
  bool ran = false;
  hub.Subscribe("s", "i", a, [&](absl::Status status) {
    EXPECT_TRUE(status.ok());
    ran = true;
    hub.Unsubscribe("s", "i", a.get());
  });
  EXPECT_TRUE(ran);
  EXPECT_EQ(hub.stream_count(), 0u);
  ASSERT_EQ(pubsub.unsubscribed_.size(), 1u);
  EXPECT_EQ(pubsub.unsubscribed_[0], pubsub.pending_[0].id);
}

TEST(HubPending, InlineFailureLeavesNothingBehind) {
  ManualPubSub pubsub;
  pubsub.inline_status_ = absl::UnavailableError("no connection");
  Hub hub(pubsub);
  auto a = std::make_shared<CountingSink>();
  Outcome outcome;
  hub.Subscribe("s", "i", a, outcome.callback());
  ASSERT_TRUE(outcome.status.has_value());
  EXPECT_EQ(outcome.status->code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(hub.stream_count(), 0u);
  EXPECT_TRUE(pubsub.unsubscribed_.empty());
}

TEST(HubPending, DestroyingTheHubCancelsWaitersAndDropsSubscriptions) {
  ManualPubSub pubsub;
  auto a = std::make_shared<CountingSink>();
  Outcome outcome;
  {
    Hub hub(pubsub);
    hub.Subscribe("s", "i", a, outcome.callback());
  }
  ASSERT_TRUE(outcome.status.has_value());
  EXPECT_EQ(outcome.status->code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(pubsub.unsubscribed_.size(), 1u);
  pubsub.Complete(0, absl::OkStatus());  // after the Hub: ignored
}

}  // namespace
}  // namespace cable::gateway
