// NatsPubSub's asynchronous seam against a real nats-server that the tests
// pause (SIGSTOP): subscribe, unsubscribe and flush never wait on the
// network; subscriptions go live in batches, one flush per batch.

#include "tests/sdk/nats_pubsub_test_util.h"

namespace cable::nats_test {
namespace {

// Far under kWait and the flush timeout: what "returns at once" means
// here (generous for loaded CI machines; a network wait would take
// seconds).
constexpr auto kAtOnce = std::chrono::milliseconds(500);

// Records one on_live / flush completion.
class Completion {
 public:
  PubSubDone callback() {
    return [this](absl::Status s) {
      absl::MutexLock lock(&mu_);
      status_ = std::move(s);
      done_ = true;
    };
  }
  bool done() const {
    absl::MutexLock lock(&mu_);
    return done_;
  }
  // The status, once done (Internal after kWait).
  absl::Status Await() const {
    absl::MutexLock lock(&mu_);
    if (!mu_.AwaitWithTimeout(absl::Condition(&done_), kWait)) {
      return absl::InternalError("not completed within kWait");
    }
    return status_;
  }

 private:
  mutable absl::Mutex mu_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

std::chrono::steady_clock::duration Timed(const std::function<void()>& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::steady_clock::now() - start;
}

TEST_F(NatsPubSubTest, SubscribeReturnsAtOnceAndGoesLiveWhenTheServerAnswers) {
  Inbox inbox;
  auto sub = Connect("sub");
  auto pub = Connect("pub");
  ASSERT_TRUE(sub && pub);
  ASSERT_TRUE(server_->Pause().ok());
  Completion live;
  PubSubSubscriptionId id = 0;
  const auto took = Timed([&] {
    id = sub->Subscribe("paused", inbox.callback(), live.callback());
  });
  EXPECT_LT(took, kAtOnce);
  EXPECT_NE(id, 0u);
  EXPECT_EQ(sub->subscription_count(), 1u);
  // The server cannot have confirmed it: on_live has not run. (A flush
  // round trip through the paused server proves nothing can come back.)
  Completion flushed;
  sub->Flush(flushed.callback());
  EXPECT_FALSE(live.done());
  EXPECT_FALSE(flushed.done());

  ASSERT_TRUE(server_->Resume().ok());
  EXPECT_TRUE(live.Await().ok()) << live.Await();
  EXPECT_TRUE(flushed.Await().ok()) << flushed.Await();
  // Live: a broadcast that starts now reaches it.
  ASSERT_TRUE(pub->Broadcast("paused", "after").ok());
  ASSERT_TRUE(inbox.AwaitMessage("after"));
  sub->Unsubscribe(id);
}

TEST_F(NatsPubSubTest, ManySubscriptionsQueuedTogetherShareOneFlush) {
  auto sub = Connect("sub");
  auto pub = Connect("pub");
  ASSERT_TRUE(sub && pub);
  const std::uint64_t before = sub->batch_flushes();
  ASSERT_TRUE(server_->Pause().ok());
  constexpr int kSubscriptions = 50;
  std::vector<std::unique_ptr<Inbox>> inboxes;
  std::vector<std::unique_ptr<Completion>> lives;
  const auto took = Timed([&] {
    for (int i = 0; i < kSubscriptions; ++i) {
      inboxes.push_back(std::make_unique<Inbox>());
      lives.push_back(std::make_unique<Completion>());
      sub->Subscribe(absl::StrCat("batch.", i), inboxes.back()->callback(),
                     lives.back()->callback());
    }
  });
  EXPECT_LT(took, kAtOnce);
  ASSERT_TRUE(server_->Resume().ok());
  for (const auto& live : lives) ASSERT_TRUE(live->Await().ok());
  // The worker may have taken the first subscription alone before the
  // others were queued (its flush then waited on the paused server while
  // the rest queued up): at most two flushes, never one per subscription.
  const std::uint64_t flushes = sub->batch_flushes() - before;
  EXPECT_GE(flushes, 1u);
  EXPECT_LE(flushes, 2u);
  for (int i = 0; i < kSubscriptions; ++i) {
    ASSERT_TRUE(pub->Broadcast(absl::StrCat("batch.", i), "x").ok());
  }
  for (const auto& inbox : inboxes) ASSERT_TRUE(inbox->AwaitCount(1));
}

TEST_F(NatsPubSubTest, UnsubscribeReturnsAtOnceWhileTheServerIsPaused) {
  Inbox inbox;
  auto sub = Connect("sub");
  ASSERT_TRUE(sub);
  auto id = SubscribeAndWait(*sub, "s", inbox.callback());
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(server_->Pause().ok());
  EXPECT_LT(Timed([&] { sub->Unsubscribe(*id); }), kAtOnce);
  EXPECT_EQ(sub->subscription_count(), 0u);
  // Also one that is not live yet: its on_live then says Cancelled.
  Completion live;
  const PubSubSubscriptionId queued =
      sub->Subscribe("t", inbox.callback(), live.callback());
  EXPECT_LT(Timed([&] { sub->Unsubscribe(queued); }), kAtOnce);
  ASSERT_TRUE(server_->Resume().ok());
  EXPECT_EQ(live.Await().code(), absl::StatusCode::kCancelled) << live.Await();
  EXPECT_EQ(sub->subscription_count(), 0u);
}

TEST_F(NatsPubSubTest, OnLiveReportsAConnectionThatIsDown) {
  Inbox inbox;
  auto sub = Connect("sub");
  ASSERT_TRUE(sub);
  ASSERT_TRUE(server_->Stop().ok());
  ASSERT_TRUE(sub->AwaitConnected(false, kWaitMs));
  Completion live;
  EXPECT_LT(
      Timed([&] { sub->Subscribe("down", inbox.callback(), live.callback()); }),
      kAtOnce);
  EXPECT_EQ(live.Await().code(), absl::StatusCode::kUnavailable)
      << live.Await();
  // Nothing left behind.
  EXPECT_EQ(sub->subscription_count(), 0u);
}

TEST(NatsPubSubAsync, OnLiveReportsANeverConnectedConnection) {
  Inbox inbox;
  NatsPubSubOptions o =
      FastOptions(absl::StrCat("nats://127.0.0.1:", UnusedPort()), "never");
  auto ps = NatsPubSub::Connect(o);
  ASSERT_TRUE(ps.ok()) << ps.status();
  Completion live;
  (*ps)->Subscribe("s", inbox.callback(), live.callback());
  EXPECT_EQ(live.Await().code(), absl::StatusCode::kUnavailable);
  // Invalid input is reported inline, before subscribe returns.
  Completion invalid;
  EXPECT_EQ((*ps)->Subscribe("s", nullptr, invalid.callback()), 0u);
  EXPECT_TRUE(invalid.done());
  EXPECT_EQ(invalid.Await().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(NatsPubSubTest, DestroyingCompletesWhatIsQueued) {
  Inbox inbox;
  auto sub = Connect("sub");
  ASSERT_TRUE(sub);
  ASSERT_TRUE(server_->Pause().ok());
  Completion first;
  Completion second;
  sub->Subscribe("a", inbox.callback(), first.callback());
  sub->Subscribe("b", inbox.callback(), second.callback());
  // The worker may be waiting on the paused server for the first: resume
  // so that the destructor does not wait for the flush timeout.
  ASSERT_TRUE(server_->Resume().ok());
  sub.reset();
  EXPECT_TRUE(first.done());
  EXPECT_TRUE(second.done());
}

}  // namespace
}  // namespace cable::nats_test
