#pragma once
// A PubSub that hands every call to another one: the base of decorators
// that watch or change a few calls (HistoryPubSub, the service's recording
// of broadcasts, test doubles) and forward the rest unchanged.

#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cable/history.h"
#include "cable/pubsub.h"

namespace cable {

// Forwards every virtual of PubSub to `inner` (which must outlive this),
// BroadcastWithPosition included: a subclass that overrides Broadcast to
// watch broadcasts overrides BroadcastWithPosition too, or the positioned
// ones pass it by.
class ForwardingPubSub : public PubSub {
 public:
  explicit ForwardingPubSub(PubSub& inner) : inner_(inner) {}
  ForwardingPubSub(const ForwardingPubSub&) = delete;
  ForwardingPubSub& operator=(const ForwardingPubSub&) = delete;

  PubSubSubscriptionId Subscribe(absl::string_view stream,
                                 PubSubCallback callback,
                                 PubSubDone on_live) override {
    return inner_.Subscribe(stream, std::move(callback), std::move(on_live));
  }
  void Unsubscribe(PubSubSubscriptionId id) override { inner_.Unsubscribe(id); }
  absl::Status Broadcast(absl::string_view stream,
                         absl::string_view message) override {
    return inner_.Broadcast(stream, message);
  }
  absl::StatusOr<std::optional<StreamPosition>> BroadcastWithPosition(
      absl::string_view stream, absl::string_view message) override {
    return inner_.BroadcastWithPosition(stream, message);
  }
  void Flush(PubSubDone done) override { inner_.Flush(std::move(done)); }
  bool connected() const override { return inner_.connected(); }

 protected:
  PubSub& inner() const { return inner_; }

 private:
  PubSub& inner_;
};

}  // namespace cable
