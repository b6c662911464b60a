// ForwardingPubSub hands every PubSub call, BroadcastWithPosition included,
// to the inner pub/sub, and a subclass overrides only what it watches.

#include "cable/forwarding_pubsub.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace cable {
namespace {

// Records every call and answers each with something recognisable.
class ScriptedPubSub final : public PubSub {
 public:
  PubSubSubscriptionId Subscribe(absl::string_view stream, PubSubCallback,
                                 PubSubDone on_live) override {
    calls.push_back(absl::StrCat("subscribe ", stream));
    std::move(on_live)(absl::OkStatus());
    return 42;
  }
  void Unsubscribe(PubSubSubscriptionId id) override {
    calls.push_back(absl::StrCat("unsubscribe ", id));
  }
  absl::Status Broadcast(absl::string_view stream,
                         absl::string_view message) override {
    calls.push_back(absl::StrCat("broadcast ", stream, " ", message));
    return absl::UnavailableError("broadcast answer");
  }
  absl::StatusOr<std::optional<StreamPosition>> BroadcastWithPosition(
      absl::string_view stream, absl::string_view message) override {
    calls.push_back(absl::StrCat("positioned ", stream, " ", message));
    return std::optional<StreamPosition>(
        StreamPosition{.epoch = "epoch", .offset = 7});
  }
  void Flush(PubSubDone done) override {
    calls.push_back("flush");
    std::move(done)(absl::DataLossError("flush answer"));
  }
  bool connected() const override { return false; }

  std::vector<std::string> calls;
};

TEST(ForwardingPubSub, ForwardsEveryCallAndItsAnswer) {
  ScriptedPubSub inner;
  ForwardingPubSub forwarding(inner);

  absl::Status live = absl::UnknownError("not run");
  EXPECT_EQ(forwarding.Subscribe(
                "s", [](absl::string_view, absl::string_view) {},
                [&](absl::Status s) { live = s; }),
            42u);
  EXPECT_TRUE(live.ok());
  forwarding.Unsubscribe(42);
  EXPECT_EQ(forwarding.Broadcast("s", "m").message(), "broadcast answer");
  absl::StatusOr<std::optional<StreamPosition>> pos =
      forwarding.BroadcastWithPosition("s", "p");
  ASSERT_TRUE(pos.ok() && pos->has_value());
  EXPECT_EQ((*pos)->offset, 7u);
  EXPECT_EQ((*pos)->epoch, "epoch");
  absl::Status flushed;
  forwarding.Flush([&](absl::Status s) { flushed = s; });
  EXPECT_EQ(flushed.message(), "flush answer");
  EXPECT_FALSE(forwarding.connected());

  EXPECT_EQ(inner.calls, (std::vector<std::string>{
                             "subscribe s", "unsubscribe 42", "broadcast s m",
                             "positioned s p", "flush"}));
}

// Watches flushes, forwards the rest.
class CountingFlushes final : public ForwardingPubSub {
 public:
  using ForwardingPubSub::ForwardingPubSub;
  void Flush(PubSubDone done) override {
    ++flushes;
    ForwardingPubSub::Flush(std::move(done));
  }
  int flushes = 0;
};

TEST(ForwardingPubSub, ASubclassOverridesOnlyWhatItWatches) {
  ScriptedPubSub inner;
  CountingFlushes counting(inner);
  EXPECT_FALSE(counting.Broadcast("s", "m").ok());
  counting.Flush([](absl::Status) {});
  EXPECT_EQ(counting.flushes, 1);
  EXPECT_EQ(inner.calls, (std::vector<std::string>{"broadcast s m", "flush"}));
}

}  // namespace
}  // namespace cable
