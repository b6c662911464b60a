// NatsPubSub against a real nats-server: delivery, ordering, names,
// unsubscribe, raw subjects, restarts.

#include "tests/sdk/nats_pubsub_test_util.h"

namespace cable::nats_test {
namespace {

TEST_F(NatsPubSubTest, ServerHelperReportsPorts) {
  EXPECT_GT(server_->port(), 0);
  EXPECT_GT(server_->monitoring_port(), 0);
  EXPECT_NE(server_->port(), server_->monitoring_port());
  EXPECT_EQ(server_->url(), absl::StrCat("nats://127.0.0.1:", server_->port()));
}

TEST_F(NatsPubSubTest, DeliversOnceAcrossConnections) {
  Inbox inbox;
  auto sub = Connect("sub");
  auto pub = Connect("pub");
  ASSERT_TRUE(sub && pub);
  auto id = SubscribeAndWait(*sub, "chat", inbox.callback());
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(sub->subscription_count(), 1u);
  ASSERT_TRUE(pub->Broadcast("chat", "hello").ok());
  ASSERT_TRUE(pub->Broadcast("other", "not for chat").ok());
  ASSERT_TRUE(pub->Broadcast("chat", "end").ok());
  ASSERT_TRUE(inbox.AwaitCount(2));
  // "end" came after "hello" on the same stream: a duplicate of "hello"
  // would have come before it.
  using Item = std::pair<std::string, std::string>;
  EXPECT_EQ(inbox.items(),
            (std::vector<Item>{{"chat", "hello"}, {"chat", "end"}}));
}

TEST_F(NatsPubSubTest, ASubscriptionIsLiveWhenSubscribeReturns) {
  auto sub = Connect("sub");
  auto pub = Connect("pub");
  ASSERT_TRUE(sub && pub);
  // No warm-up: the first broadcast after subscribe returns must arrive.
  for (int i = 0; i < 20; ++i) {
    Inbox inbox;
    const std::string stream = absl::StrCat("live-", i);
    auto id = SubscribeAndWait(*sub, stream, inbox.callback());
    ASSERT_TRUE(id.ok()) << id.status();
    ASSERT_TRUE(pub->Broadcast(stream, "first").ok());
    ASSERT_TRUE(inbox.AwaitCount(1)) << stream;
    sub->Unsubscribe(*id);
  }
}

TEST_F(NatsPubSubTest, KeepsPublishOrderOfAThousandMessages) {
  Inbox inbox;
  auto sub = Connect("sub");
  auto pub = Connect("pub");
  ASSERT_TRUE(sub && pub);
  ASSERT_TRUE(SubscribeAndWait(*sub, "ordered", inbox.callback()).ok());
  std::vector<std::string> sent;
  for (int i = 0; i < 1000; ++i) {
    sent.push_back(absl::StrCat("m", i));
    ASSERT_TRUE(pub->Broadcast("ordered", sent.back()).ok());
  }
  ASSERT_TRUE(inbox.AwaitCount(1000));
  EXPECT_EQ(inbox.messages(), sent);
}

TEST_F(NatsPubSubTest, HostileStreamNamesRoundTripThroughTheServer) {
  const std::vector<std::string> names = {
      ""s,
      " "s,
      "a b"s,
      "."s,
      ".."s,
      ".a"s,
      "a."s,
      "a.b"s,
      "a"s,
      "A"s,
      "*"s,
      ">"s,
      "a.*"s,
      "a.>"s,
      "_"s,
      "_2E"s,
      "__"s,
      "😀"s,
      "é"s,
      "\0"s,
      "a\0b"s,
      "\t"s,
      "\r\n"s,
      "$JS"s,
      "-"s,
      "chat"s,
      "chat.room 1"s,
      "{\"channel\":\"ChatChannel\",\"room\":\"1\"}"s,
      std::string(338, '.'),  // the longest all-escaped name under the limit
  };
  auto sub = Connect("sub");
  auto pub = Connect("pub");
  ASSERT_TRUE(sub && pub);
  std::vector<std::unique_ptr<Inbox>> inboxes;
  for (const std::string& name : names) {
    inboxes.push_back(std::make_unique<Inbox>());
    auto id = SubscribeAndWait(*sub, name, inboxes.back()->callback());
    ASSERT_TRUE(id.ok()) << id.status();
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    ASSERT_TRUE(pub->Broadcast(names[i], absl::StrCat("msg ", i)).ok());
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    ASSERT_TRUE(pub->Broadcast(names[i], "end").ok());
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    ASSERT_TRUE(inboxes[i]->AwaitCount(2)) << i;
    using Item = std::pair<std::string, std::string>;
    EXPECT_EQ(inboxes[i]->items(),
              (std::vector<Item>{{names[i], absl::StrCat("msg ", i)},
                                 {names[i], "end"}}))
        << "stream #" << i;
  }
}

TEST_F(NatsPubSubTest, RejectsNamesOverTheLimit) {
  auto ps = Connect("ps");
  ASSERT_TRUE(ps);
  const std::string too_long(339, '.');
  Inbox inbox;
  EXPECT_EQ(SubscribeAndWait(*ps, too_long, inbox.callback()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ps->Broadcast(too_long, "x").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SubscribeAndWait(*ps, "ok", nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Over the server's max payload (1 MB by default): sent in fragments.
  EXPECT_TRUE(ps->Broadcast("big", std::string(2 << 20, 'x')).ok());
  EXPECT_TRUE(FlushAndWait(*ps).ok());
  EXPECT_EQ(ps->subscription_count(), 0u);
}

TEST_F(NatsPubSubTest, UnsubscribeStopsDelivery) {
  std::atomic<bool> unsubscribed{false};
  std::atomic<int> after{0};
  Inbox counted;
  Inbox witness;  // a second subscription on the same stream
  std::atomic<bool> stop{false};
  PubSubCallback inner = counted.callback();
  auto sub = Connect("sub");
  auto pub = Connect("pub");
  ASSERT_TRUE(sub && pub);
  auto id = SubscribeAndWait(*sub, "s",
                             [&](absl::string_view s, absl::string_view m) {
                               if (unsubscribed.load()) after.fetch_add(1);
                               inner(s, m);
                             });
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(SubscribeAndWait(*sub, "s", witness.callback()).ok());

  std::thread publisher([&] {
    for (int i = 0; i < 20000 && !stop.load(); ++i) {
      if (!pub->Broadcast("s", absl::StrCat(i)).ok()) break;
    }
  });
  const bool flowing = counted.AwaitCount(100);
  sub->Unsubscribe(*id);
  unsubscribed.store(true);
  const std::size_t at_unsubscribe = counted.messages().size();
  stop.store(true);
  publisher.join();
  ASSERT_TRUE(flowing);
  ASSERT_TRUE(pub->Broadcast("s", "sentinel").ok());
  // The witness gets the sentinel after everything published before it.
  ASSERT_TRUE(witness.AwaitMessage("sentinel"));
  EXPECT_EQ(after.load(), 0);
  EXPECT_EQ(counted.messages().size(), at_unsubscribe);
  EXPECT_EQ(sub->subscription_count(), 1u);
  sub->Unsubscribe(*id);  // unknown by now: ignored
}

TEST_F(NatsPubSubTest, UnsubscribeWaitsForARunningCallback) {
  absl::Notification entered;
  absl::Notification release;
  absl::Mutex log_mu;
  std::vector<std::string> log;
  absl::Notification calling;
  auto sub = Connect("sub");
  auto pub = Connect("pub");
  ASSERT_TRUE(sub && pub);
  auto id = SubscribeAndWait(*sub, "block",
                             [&](absl::string_view, absl::string_view) {
                               entered.Notify();
                               release.WaitForNotificationWithTimeout(kWait);
                               absl::MutexLock lock(&log_mu);
                               log.push_back("callback returned");
                             });
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(pub->Broadcast("block", "x").ok());
  ASSERT_TRUE(entered.WaitForNotificationWithTimeout(kWait));
  std::thread unsubscriber([&] {
    calling.Notify();
    sub->Unsubscribe(*id);
    absl::MutexLock lock(&log_mu);
    log.push_back("unsubscribe returned");
  });
  const bool called = calling.WaitForNotificationWithTimeout(kWait);
  release.Notify();
  unsubscriber.join();
  ASSERT_TRUE(called);
  absl::MutexLock lock(&log_mu);
  EXPECT_EQ(log, (std::vector<std::string>{"callback returned",
                                           "unsubscribe returned"}));
}

TEST_F(NatsPubSubTest, ACallbackCanUnsubscribeItself) {
  std::atomic<PubSubSubscriptionId> self_id{0};
  std::atomic<int> calls{0};
  absl::Notification id_known;
  absl::Notification unsubscribed;
  Inbox witness;
  auto sub = Connect("sub");
  auto pub = Connect("pub");
  ASSERT_TRUE(sub && pub);
  auto id =
      SubscribeAndWait(*sub, "self", [&](absl::string_view, absl::string_view) {
        if (calls.fetch_add(1) != 0) return;
        id_known.WaitForNotificationWithTimeout(kWait);
        sub->Unsubscribe(self_id.load());  // must not deadlock
        unsubscribed.Notify();
      });
  ASSERT_TRUE(id.ok());
  self_id.store(*id);
  id_known.Notify();
  ASSERT_TRUE(SubscribeAndWait(*sub, "self", witness.callback()).ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(pub->Broadcast("self", "x").ok());
  ASSERT_TRUE(unsubscribed.WaitForNotificationWithTimeout(kWait));
  // The two subscriptions may run on different delivery threads: wait for
  // the witness to get all ten, by which time the first subscription has
  // had every chance to be called again.
  ASSERT_TRUE(witness.AwaitCount(10));
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(sub->subscription_count(), 1u);
}

TEST_F(NatsPubSubTest, RawSubjects) {
  Inbox inbox;
  auto sub = Connect("sub");
  auto pub = Connect("pub");
  ASSERT_TRUE(sub && pub);
  auto id = SubscribeSubjectAndWait(*sub, "cable.internal.>", inbox.callback());
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(pub->PublishSubject("cable.internal.a.b", "one").ok());
  ASSERT_TRUE(pub->PublishSubject("cable.other", "no").ok());
  ASSERT_TRUE(pub->PublishSubject("cable.internal.c", "two").ok());
  ASSERT_TRUE(inbox.AwaitCount(2));
  using Item = std::pair<std::string, std::string>;
  EXPECT_EQ(inbox.items(), (std::vector<Item>{{"cable.internal.a.b", "one"},
                                              {"cable.internal.c", "two"}}));
  EXPECT_EQ(pub->PublishSubject("a.*", "x").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pub->PublishSubject("a b", "x").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      SubscribeSubjectAndWait(*sub, "a..b", inbox.callback()).status().code(),
      absl::StatusCode::kInvalidArgument);
  sub->Unsubscribe(*id);
  EXPECT_EQ(sub->subscription_count(), 0u);
}

TEST_F(NatsPubSubTest, ResumesDeliveryAfterTheServerRestarts) {
  Inbox inbox;
  Inbox never;
  Inbox fresh;
  ConnectionEvents sub_events;
  ConnectionEvents pub_events;
  auto sub = Connect("sub", &sub_events);
  auto pub = Connect("pub", &pub_events);
  ASSERT_TRUE(sub && pub);
  ASSERT_TRUE(SubscribeAndWait(*sub, "durable", inbox.callback()).ok());
  ASSERT_TRUE(pub->Broadcast("durable", "before").ok());
  ASSERT_TRUE(inbox.AwaitCount(1));

  ASSERT_TRUE(server_->Stop().ok());
  const int sub_down = sub_events.Await(false);
  ASSERT_GE(sub_down, 0);
  ASSERT_GE(pub_events.Await(false), 0);
  EXPECT_FALSE(sub->connected());
  EXPECT_FALSE(pub->connected());
  EXPECT_TRUE(sub->AwaitConnected(false, kWaitMs));

  // While down: no live subscription can be promised; nothing is left.
  auto down = SubscribeAndWait(*sub, "while-down", never.callback());
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable)
      << down.status();
  EXPECT_EQ(sub->subscription_count(), 1u);
  // Broadcasts go to the reconnect buffer.
  EXPECT_TRUE(pub->Broadcast("elsewhere", "during").ok());

  ASSERT_TRUE(server_->Restart().ok());
  ASSERT_GE(sub_events.Await(true, sub_down + 1), 0);
  ASSERT_TRUE(sub->AwaitConnected(true, kWaitMs));
  ASSERT_TRUE(pub->AwaitConnected(true, kWaitMs));
  // nats.c re-sent the subscription when it reconnected; make sure the
  // server processed it before publishing.
  ASSERT_TRUE(sub->Flush(kWaitMs).ok());
  ASSERT_TRUE(pub->Broadcast("durable", "after").ok());
  ASSERT_TRUE(inbox.AwaitCount(2));
  EXPECT_EQ(inbox.messages(), (std::vector<std::string>{"before", "after"}));
  EXPECT_EQ(sub->subscription_count(), 1u);

  // And new subscriptions work again.
  ASSERT_TRUE(SubscribeAndWait(*sub, "fresh", fresh.callback()).ok());
  ASSERT_TRUE(pub->Broadcast("fresh", "hi").ok());
  ASSERT_TRUE(fresh.AwaitCount(1));
}

TEST_F(NatsPubSubTest, SurvivesAServerCrash) {
  Inbox inbox;
  auto sub = Connect("sub");
  auto pub = Connect("pub");
  ASSERT_TRUE(sub && pub);
  ASSERT_TRUE(SubscribeAndWait(*sub, "crash", inbox.callback()).ok());
  ASSERT_TRUE(server_->Kill().ok());
  ASSERT_TRUE(sub->AwaitConnected(false, kWaitMs));
  ASSERT_TRUE(server_->Restart().ok());
  ASSERT_TRUE(sub->AwaitConnected(true, kWaitMs));
  ASSERT_TRUE(pub->AwaitConnected(true, kWaitMs));
  ASSERT_TRUE(sub->Flush(kWaitMs).ok());
  ASSERT_TRUE(pub->Broadcast("crash", "after").ok());
  ASSERT_TRUE(inbox.AwaitCount(1));
}

}  // namespace
}  // namespace cable::nats_test
