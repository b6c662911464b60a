// NatsPubSub with messages over the server's max payload (fragments over a
// real nats-server).

#include "tests/sdk/nats_pubsub_test_util.h"

namespace cable::nats_test {
namespace {

TEST_F(NatsPubSubTest, FourMegabytesRoundTripByteExact) {
  Inbox inbox;
  auto sub = Connect("sub");
  auto pub = Connect("pub");
  ASSERT_TRUE(sub && pub);
  ASSERT_TRUE(SubscribeAndWait(*sub, "big", inbox.callback()).ok());
  constexpr int kRounds = 5;
  std::vector<std::string> sent;
  for (int i = 0; i < kRounds; ++i) sent.push_back(Payload(4 << 20, i));
  for (int i = 0; i < kRounds; ++i) {
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(pub->Broadcast("big", sent[i]).ok());
    const auto published = std::chrono::steady_clock::now();
    ASSERT_TRUE(inbox.AwaitCount(i + 1));
    const auto received = inbox.times()[i];
    std::printf(
        "[   TIME   ] 4 MiB broadcast #%d: broadcast() %.1f ms, "
        "end to end %.1f ms\n",
        i + 1, Millis(published - start), Millis(received - start));
  }
  const auto messages = inbox.messages();
  ASSERT_EQ(messages.size(), sent.size());
  for (int i = 0; i < kRounds; ++i) {
    EXPECT_TRUE(SameBytes(messages[i], sent[i])) << "message " << i;
  }
  const auto stats = sub->reassembly_stats();
  EXPECT_EQ(stats.completed, static_cast<std::uint64_t>(kRounds));
  EXPECT_EQ(stats.dropped, 0u);
  EXPECT_EQ(stats.pending, 0u);
  EXPECT_EQ(stats.pending_bytes, 0u);
}

TEST_F(NatsPubSubTest, LargeAndSmallMessagesKeepPublishOrder) {
  Inbox inbox;
  auto sub = Connect("sub");
  auto pub = Connect("pub");
  ASSERT_TRUE(sub && pub);
  ASSERT_TRUE(SubscribeAndWait(*sub, "mixed", inbox.callback()).ok());
  const std::vector<std::string> sent = {Payload(3 << 20, 1), "small",
                                         Payload(5 << 19, 2), "last"};
  for (const auto& message : sent) {
    ASSERT_TRUE(pub->Broadcast("mixed", message).ok());
  }
  ASSERT_TRUE(inbox.AwaitCount(sent.size()));
  const auto messages = inbox.messages();
  ASSERT_EQ(messages.size(), sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) {
    EXPECT_TRUE(SameBytes(messages[i], sent[i])) << "message " << i;
  }
}

// Two publishers on one stream, each sending large and small messages at
// the same time from its own thread: every message arrives whole, and each
// publisher's messages in its order.
void ExpectConcurrentPublishersDeliverIntact(NatsPubSub& sub, NatsPubSub& a,
                                             NatsPubSub& b, std::size_t large) {
  Inbox inbox;
  ASSERT_TRUE(SubscribeAndWait(sub, "shared", inbox.callback()).ok());
  constexpr int kPerPublisher = 4;
  std::vector<std::vector<std::string>> sent(2);
  for (int p = 0; p < 2; ++p) {
    for (int i = 0; i < kPerPublisher; ++i) {
      sent[p].push_back(i % 2 == 0 ? Payload(large + i, 100 * p + i)
                                   : absl::StrCat("small ", p, " ", i));
    }
  }
  absl::Notification go;
  std::atomic<int> failures{0};
  auto publish = [&](NatsPubSub* ps, int p) {
    go.WaitForNotificationWithTimeout(kWait);
    for (const auto& message : sent[p]) {
      if (!ps->Broadcast("shared", message).ok()) failures.fetch_add(1);
    }
  };
  std::thread ta(publish, &a, 0);
  std::thread tb(publish, &b, 1);
  go.Notify();
  ta.join();
  tb.join();
  ASSERT_EQ(failures.load(), 0);
  ASSERT_TRUE(inbox.AwaitCount(2 * kPerPublisher));
  const auto messages = inbox.messages();
  ASSERT_EQ(messages.size(), 2u * kPerPublisher);
  std::vector<std::size_t> next(2, 0);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    int from = -1;
    for (int p = 0; p < 2; ++p) {
      if (next[p] < sent[p].size() && messages[i] == sent[p][next[p]]) {
        from = p;
      }
    }
    ASSERT_GE(from, 0) << "message " << i << " (" << messages[i].size()
                       << " bytes) is not the next one of either publisher";
    ++next[from];
  }
  const auto stats = sub.reassembly_stats();
  EXPECT_EQ(stats.completed, static_cast<std::uint64_t>(kPerPublisher));
  EXPECT_EQ(stats.dropped, 0u);
  EXPECT_EQ(stats.pending, 0u);
}

TEST_F(NatsPubSubTest, TwoPublishersSendLargeMessagesConcurrently) {
  auto sub = Connect("sub");
  auto a = Connect("pub-a");
  auto b = Connect("pub-b");
  ASSERT_TRUE(sub && a && b);
  ExpectConcurrentPublishersDeliverIntact(*sub, *a, *b, (5 << 20) / 2);
}

TEST_F(NatsPubSubTest, WireFormatOfLargeAndSmallMessages) {
  auto pub = Connect("pub");
  ASSERT_TRUE(pub);
  RawClient raw(server_->url());
  ASSERT_TRUE(raw.ok());
  const std::int64_t max_payload = raw.max_payload();
  ASSERT_EQ(max_payload, 1 << 20);
  const std::string subject = StreamSubject(pub->subject_prefix(), "wire");
  ASSERT_EQ(raw.SubscribeSync(subject), NATS_OK);

  // Exactly max payload: one plain message, no headers.
  const std::string fits = Payload(max_payload, 7);
  const std::string large = Payload(5 << 19, 8);  // 2.5 MiB: 3 fragments
  ASSERT_TRUE(pub->Broadcast("wire", fits).ok());
  ASSERT_TRUE(pub->Broadcast("wire", large).ok());

  auto plain = raw.Next();
  ASSERT_NE(plain, nullptr);
  const char* value = nullptr;
  EXPECT_EQ(natsMsgHeader_Get(plain.get(), kFragmentIdHeader, &value),
            NATS_NOT_FOUND);
  EXPECT_TRUE(SameBytes(std::string(natsMsg_GetData(plain.get()),
                                    natsMsg_GetDataLength(plain.get())),
                        fits));

  std::string joined;
  std::string id;
  for (int i = 0; i < 3; ++i) {
    auto fragment = raw.Next();
    ASSERT_NE(fragment, nullptr) << "fragment " << i;
    if (i == 0) id = Header(fragment.get(), kFragmentIdHeader);
    EXPECT_EQ(Header(fragment.get(), kFragmentIdHeader), id);
    EXPECT_EQ(Header(fragment.get(), kFragmentIndexHeader), absl::StrCat(i));
    EXPECT_EQ(Header(fragment.get(), kFragmentCountHeader), "3");
    EXPECT_EQ(Header(fragment.get(), kFragmentSizeHeader),
              absl::StrCat(large.size()));
    EXPECT_LE(natsMsg_GetDataLength(fragment.get()),
              max_payload - static_cast<std::int64_t>(kFragmentHeaderRoom));
    joined.append(natsMsg_GetData(fragment.get()),
                  natsMsg_GetDataLength(fragment.get()));
  }
  EXPECT_EQ(id.size(), 16u + 1 + 1) << id;  // "<16 hex digits>.1"
  EXPECT_TRUE(SameBytes(joined, large));
}

TEST(NatsPubSubFragments, ManySmallFragmentsOnASmallMaxPayloadServer) {
  auto server = StartServerWithMaxPayload(1024);
  ASSERT_TRUE(server.ok()) << server.status();
  RawClient raw(server->url());
  ASSERT_TRUE(raw.ok());
  ASSERT_EQ(raw.max_payload(), 1024);
  auto sub = NatsPubSub::Connect(FastOptions(server->url(), "sub"));
  auto pub = NatsPubSub::Connect(FastOptions(server->url(), "pub"));
  ASSERT_TRUE(sub.ok() && pub.ok());

  // Sizes around the fragment size (1024 - kFragmentHeaderRoom = 768).
  constexpr std::size_t kChunk = 1024 - kFragmentHeaderRoom;
  const std::vector<std::size_t> sizes = {0,
                                          1,
                                          1023,
                                          1024,
                                          1025,
                                          2 * kChunk,
                                          2 * kChunk + 1,
                                          3 * kChunk - 1,
                                          100000,
                                          1 << 20,
                                          5,
                                          (4 << 20) + 3};
  Inbox inbox;
  ASSERT_TRUE(SubscribeAndWait(**sub, "tiny", inbox.callback()).ok());
  std::vector<std::string> sent;
  std::uint64_t fragmented = 0;
  std::size_t fragments = 0;
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    sent.push_back(Payload(sizes[i], i));
    bytes += sizes[i];
    if (sizes[i] > 1024) {
      ++fragmented;
      fragments += (sizes[i] + kChunk - 1) / kChunk;
    }
  }
  const auto start = std::chrono::steady_clock::now();
  for (const auto& message : sent) {
    ASSERT_TRUE((*pub)->Broadcast("tiny", message).ok());
  }
  ASSERT_TRUE(inbox.AwaitCount(sent.size()));
  std::printf(
      "[   TIME   ] %zu messages (%.1f MiB, %zu fragments of <= %zu "
      "bytes) through a 1 KiB max payload server: %.1f ms\n",
      sent.size(), static_cast<double>(bytes) / (1 << 20), fragments, kChunk,
      Millis(inbox.times().back() - start));
  const auto messages = inbox.messages();
  ASSERT_EQ(messages.size(), sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) {
    EXPECT_TRUE(SameBytes(messages[i], sent[i])) << "message " << i;
  }
  EXPECT_EQ((*sub)->reassembly_stats().completed, fragmented);

  // And concurrent publishers, whose thousands of fragments interleave.
  auto sub2 = NatsPubSub::Connect(FastOptions(server->url(), "sub2"));
  auto other = NatsPubSub::Connect(FastOptions(server->url(), "other"));
  ASSERT_TRUE(sub2.ok() && other.ok());
  ExpectConcurrentPublishersDeliverIntact(**sub2, **pub, **other, 300000);
}

TEST_F(NatsPubSubTest, RawSubjectsCarryLargeMessagesToo) {
  Inbox inbox;
  auto sub = Connect("sub");
  auto pub = Connect("pub");
  ASSERT_TRUE(sub && pub);
  ASSERT_TRUE(
      SubscribeSubjectAndWait(*sub, "cable.internal.>", inbox.callback()).ok());
  const std::string large = Payload(3 << 20, 3);
  ASSERT_TRUE(pub->PublishSubject("cable.internal.a", large).ok());
  ASSERT_TRUE(pub->PublishSubject("cable.internal.b", "small").ok());
  ASSERT_TRUE(pub->PublishSubject("cable.internal.c", large).ok());
  ASSERT_TRUE(inbox.AwaitCount(3));
  const auto items = inbox.items();
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].first, "cable.internal.a");
  EXPECT_TRUE(SameBytes(items[0].second, large));
  EXPECT_EQ(items[1],
            (std::pair<std::string, std::string>{"cable.internal.b", "small"}));
  EXPECT_EQ(items[2].first, "cable.internal.c");
  EXPECT_TRUE(SameBytes(items[2].second, large));
}

TEST_F(NatsPubSubTest, RefusesMessagesOverMaxMessageBytes) {
  auto ps = Connect("ps");
  ASSERT_TRUE(ps);
  // The default limit: 64 MiB.
  const absl::Status over =
      ps->Broadcast("huge", std::string((64 << 20) + 1, 'x'));
  EXPECT_EQ(over.code(), absl::StatusCode::kInvalidArgument) << over;
  EXPECT_NE(over.message().find("max_message_bytes"), std::string::npos)
      << over;
  EXPECT_EQ(
      ps->PublishSubject("raw.huge", std::string((64 << 20) + 1, 'x')).code(),
      absl::StatusCode::kInvalidArgument);

  // A configured one.
  NatsPubSubOptions o = FastOptions(server_->url(), "limited");
  o.max_message_bytes = 3 << 20;
  auto limited = NatsPubSub::Connect(o);
  ASSERT_TRUE(limited.ok()) << limited.status();
  Inbox inbox;
  ASSERT_TRUE(SubscribeAndWait(**limited, "s", inbox.callback()).ok());
  EXPECT_EQ((*limited)->Broadcast("s", Payload((3 << 20) + 1, 1)).code(),
            absl::StatusCode::kInvalidArgument);
  const std::string fits = Payload(3 << 20, 2);
  ASSERT_TRUE((*limited)->Broadcast("s", fits).ok());
  ASSERT_TRUE((*limited)->Broadcast("s", "end").ok());
  ASSERT_TRUE(inbox.AwaitCount(2));
  const auto messages = inbox.messages();
  EXPECT_TRUE(SameBytes(messages[0], fits));
  EXPECT_EQ(messages[1], "end");

  o.max_message_bytes = 0;
  EXPECT_EQ(NatsPubSub::Connect(o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o.max_message_bytes = 2 << 20;
  o.max_reassembly_bytes = 1 << 20;
  EXPECT_EQ(NatsPubSub::Connect(o).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(NatsPubSubTest, RefusesALargeMessageTheReconnectBufferCannotHold) {
  NatsPubSubOptions o = FastOptions(server_->url(), "buffered");
  o.reconnect_buffer_bytes = 1 << 20;
  auto ps = NatsPubSub::Connect(o);
  ASSERT_TRUE(ps.ok()) << ps.status();
  ASSERT_TRUE(server_->Stop().ok());
  ASSERT_TRUE((*ps)->AwaitConnected(false, kWaitMs));
  const absl::Status s = (*ps)->Broadcast("s", Payload(2 << 20, 1));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_TRUE((*ps)->Broadcast("s", "small").ok());
}

// Hand-made fragments: what a subscriber does with lost, interleaved,
// malformed or oversized ones. Each case ends with a plain "end" from the

}  // namespace
}  // namespace cable::nats_test
