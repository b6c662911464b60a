// NatsPubSub's reassembly of hand-made fragments (lost, interleaved,
// malformed, stalled) sent by a raw nats.c client.

#include "tests/sdk/nats_pubsub_test_util.h"

namespace cable::nats_test {
namespace {

class NatsPubSubReassemblyTest : public NatsPubSubTest {
 protected:
  void SetUp() override {
    NatsPubSubTest::SetUp();
    raw_ = std::make_unique<RawClient>(server_->url());
    ASSERT_TRUE(raw_->ok());
  }

  std::unique_ptr<NatsPubSub> Subscriber(NatsPubSubOptions o) {
    auto ps = NatsPubSub::Connect(o);
    EXPECT_TRUE(ps.ok()) << ps.status();
    if (!ps.ok()) return nullptr;
    subject_ = StreamSubject((*ps)->subject_prefix(), "r");
    auto id = SubscribeAndWait(**ps, "r", inbox_.callback());
    EXPECT_TRUE(id.ok()) << id.status();
    id_ = id.value_or(0);
    return std::move(*ps);
  }

  natsStatus Fragment(std::uint64_t nonce, std::uint64_t sequence,
                      std::uint64_t index, std::uint64_t count,
                      std::uint64_t size, absl::string_view data) {
    return raw_->Fragment(subject_, nonce, sequence, index, count, size, data);
  }

  // Sends "end" and returns everything received up to it.
  std::vector<std::string> End() {
    EXPECT_EQ(raw_->Publish(subject_, "end", {}), NATS_OK);
    EXPECT_TRUE(inbox_.AwaitMessage("end"));
    return inbox_.messages();
  }

  std::unique_ptr<RawClient> raw_;
  std::string subject_;
  PubSubSubscriptionId id_ = 0;
  Inbox inbox_;
};

TEST_F(NatsPubSubReassemblyTest, InterleavedPublishers) {
  auto sub = Subscriber(FastOptions(server_->url(), "sub"));
  ASSERT_TRUE(sub);
  ASSERT_EQ(Fragment(0xA, 1, 0, 3, 9, "aaa"), NATS_OK);
  ASSERT_EQ(Fragment(0xB, 7, 0, 2, 6, "bbb"), NATS_OK);
  ASSERT_EQ(Fragment(0xA, 1, 1, 3, 9, "AAA"), NATS_OK);
  ASSERT_EQ(Fragment(0xB, 7, 1, 2, 6, "BBB"), NATS_OK);
  ASSERT_EQ(Fragment(0xA, 1, 2, 3, 9, "!!!"), NATS_OK);
  EXPECT_EQ(End(), (std::vector<std::string>{"bbbBBB", "aaaAAA!!!", "end"}));
  const auto stats = sub->reassembly_stats();
  EXPECT_EQ(stats.completed, 2u);
  EXPECT_EQ(stats.dropped, 0u);
  EXPECT_EQ(stats.pending, 0u);
}

TEST_F(NatsPubSubReassemblyTest, DropsAMessageWithLostFragments) {
  auto sub = Subscriber(FastOptions(server_->url(), "sub"));
  ASSERT_TRUE(sub);
  // Message 1 loses its last fragment; message 2 of the same publisher
  // starts: message 1 cannot complete any more.
  ASSERT_EQ(Fragment(0xA, 1, 0, 2, 6, "one"), NATS_OK);
  ASSERT_EQ(Fragment(0xA, 2, 0, 2, 6, "two"), NATS_OK);
  ASSERT_EQ(Fragment(0xA, 2, 1, 2, 6, "TWO"), NATS_OK);
  // Message 3 loses its middle fragment.
  ASSERT_EQ(Fragment(0xA, 3, 0, 3, 9, "thr"), NATS_OK);
  ASSERT_EQ(Fragment(0xA, 3, 2, 3, 9, "EE!"), NATS_OK);
  // A message whose start this subscription never saw.
  ASSERT_EQ(Fragment(0xC, 1, 1, 2, 6, "xyz"), NATS_OK);
  EXPECT_EQ(End(), (std::vector<std::string>{"twoTWO", "end"}));
  const auto stats = sub->reassembly_stats();
  EXPECT_EQ(stats.completed, 1u);
  EXPECT_EQ(stats.dropped, 2u);
  EXPECT_EQ(stats.pending, 0u);
  EXPECT_EQ(stats.pending_bytes, 0u);
}

TEST_F(NatsPubSubReassemblyTest, DropsMalformedFragments) {
  auto sub = Subscriber(FastOptions(server_->url(), "sub"));
  ASSERT_TRUE(sub);
  auto headers = [](std::string id, std::string index, std::string count,
                    std::string size) {
    return std::vector<std::pair<std::string, std::string>>{
        {kFragmentIdHeader, std::move(id)},
        {kFragmentIndexHeader, std::move(index)},
        {kFragmentCountHeader, std::move(count)},
        {kFragmentSizeHeader, std::move(size)}};
  };
  const std::string id = "00000000000000aa.1";
  const std::vector<std::vector<std::pair<std::string, std::string>>> bad = {
      headers("aa.1", "0", "2", "6"),                // short nonce
      headers("00000000000000zz.1", "0", "2", "6"),  // not hex
      headers("00000000000000aa.", "0", "2", "6"),   // no sequence
      headers(id, "2", "2", "6"),                    // index >= count
      headers(id, "0", "0", "6"),                    // no fragments
      headers(id, "-1", "2", "6"),                   // not a number
      headers(id, "0", "2", " 6x"),                  // not a number
      {{kFragmentIdHeader, id}},                     // headers missing
  };
  for (const auto& h : bad) {
    ASSERT_EQ(raw_->Publish(subject_, "abc", h), NATS_OK);
  }
  // Fragments that do not add up to the announced size.
  ASSERT_EQ(Fragment(0xB, 1, 0, 2, 4, "abc"), NATS_OK);
  ASSERT_EQ(Fragment(0xB, 1, 1, 2, 4, "def"), NATS_OK);  // 6 > 4
  ASSERT_EQ(Fragment(0xB, 2, 0, 2, 9, "abc"), NATS_OK);
  ASSERT_EQ(Fragment(0xB, 2, 1, 2, 9, "def"), NATS_OK);  // 6 < 9
  // Someone else's headers: delivered as a plain message.
  ASSERT_EQ(raw_->Publish(subject_, "foreign", {{"X-Other", "1"}}), NATS_OK);
  EXPECT_EQ(End(), (std::vector<std::string>{"foreign", "end"}));
  const auto stats = sub->reassembly_stats();
  EXPECT_EQ(stats.completed, 0u);
  EXPECT_EQ(stats.dropped, bad.size() + 2);
  EXPECT_EQ(stats.pending, 0u);
  EXPECT_EQ(stats.pending_bytes, 0u);
}

TEST_F(NatsPubSubReassemblyTest, DropsMessagesOverTheMemoryLimits) {
  NatsPubSubOptions o = FastOptions(server_->url(), "sub");
  o.max_message_bytes = 1000;
  o.max_reassembly_bytes = 1500;
  auto sub = Subscriber(o);
  ASSERT_TRUE(sub);
  const std::string half = Payload(500, 1);
  // Over max_message_bytes.
  ASSERT_EQ(Fragment(0xA, 1, 0, 3, 1001, half), NATS_OK);
  // B fits; C, with B partly received, does not fit the 1500 bytes.
  ASSERT_EQ(Fragment(0xB, 1, 0, 2, 1000, half), NATS_OK);
  ASSERT_EQ(Fragment(0xC, 1, 0, 2, 1000, half), NATS_OK);
  ASSERT_EQ(Fragment(0xB, 1, 1, 2, 1000, half), NATS_OK);
  ASSERT_EQ(Fragment(0xC, 1, 1, 2, 1000, half), NATS_OK);
  // Once B is done, there is room again.
  ASSERT_EQ(Fragment(0xC, 2, 0, 2, 1000, half), NATS_OK);
  ASSERT_EQ(Fragment(0xC, 2, 1, 2, 1000, half), NATS_OK);
  EXPECT_EQ(End(), (std::vector<std::string>{half + half, half + half, "end"}));
  const auto stats = sub->reassembly_stats();
  EXPECT_EQ(stats.completed, 2u);
  EXPECT_EQ(stats.dropped, 2u);
  EXPECT_EQ(stats.pending, 0u);
  EXPECT_EQ(stats.pending_bytes, 0u);
}

TEST_F(NatsPubSubReassemblyTest, DropsAStalledMessageAfterTheTimeout) {
  NatsPubSubOptions o = FastOptions(server_->url(), "sub");
  o.reassembly_timeout = std::chrono::milliseconds(100);
  auto sub = Subscriber(o);
  ASSERT_TRUE(sub);
  // A publisher that crashed after its first fragment.
  ASSERT_EQ(Fragment(0xA, 1, 0, 2, 6, "abc"), NATS_OK);
  ASSERT_TRUE(sub->AwaitReassemblyStats(
      [](const NatsPubSub::ReassemblyStats& s) { return s.pending == 1; },
      kWaitMs));
  EXPECT_EQ(sub->reassembly_stats().pending_bytes, 6u);
  // The sweeper drops it once it has seen no fragment for 100 ms.
  ASSERT_TRUE(sub->AwaitReassemblyStats(
      [](const NatsPubSub::ReassemblyStats& s) {
        return s.pending == 0 && s.dropped == 1;
      },
      kWaitMs));
  EXPECT_EQ(sub->reassembly_stats().pending_bytes, 0u);
  // Its last fragment, if it ever comes, is skipped.
  ASSERT_EQ(Fragment(0xA, 1, 1, 2, 6, "def"), NATS_OK);
  EXPECT_EQ(End(), (std::vector<std::string>{"end"}));
  EXPECT_EQ(sub->reassembly_stats().completed, 0u);
}

TEST_F(NatsPubSubReassemblyTest, UnsubscribeReleasesPartialMessages) {
  auto sub = Subscriber(FastOptions(server_->url(), "sub"));
  ASSERT_TRUE(sub);
  ASSERT_EQ(Fragment(0xA, 1, 0, 2, 6, "abc"), NATS_OK);
  ASSERT_EQ(Fragment(0xB, 1, 0, 2, 6, "abc"), NATS_OK);
  ASSERT_TRUE(sub->AwaitReassemblyStats(
      [](const NatsPubSub::ReassemblyStats& s) { return s.pending == 2; },
      kWaitMs));
  ASSERT_EQ(sub->subscription_count(), 1u);
  sub->Unsubscribe(id_);
  EXPECT_EQ(sub->subscription_count(), 0u);
  const auto stats = sub->reassembly_stats();
  EXPECT_EQ(stats.pending, 0u);
  EXPECT_EQ(stats.pending_bytes, 0u);
  // Destroying a NatsPubSub with partial messages releases them too.
  Inbox other;
  ASSERT_TRUE(SubscribeAndWait(*sub, "r", other.callback()).ok());
  ASSERT_EQ(Fragment(0xA, 2, 0, 2, 6, "abc"), NATS_OK);
  ASSERT_TRUE(sub->AwaitReassemblyStats(
      [](const NatsPubSub::ReassemblyStats& s) { return s.pending == 1; },
      kWaitMs));
  sub.reset();
}

}  // namespace
}  // namespace cable::nats_test
