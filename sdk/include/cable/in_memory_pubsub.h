#pragma once

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "cable/pubsub.h"

namespace cable {

// Single-process PubSub: tracks subscribers per stream and calls each one
// synchronously on the publisher's thread. A subscription is live at once:
// `on_live` runs inline, before subscribe returns; flush completes inline.
class InMemoryPubSub final : public PubSub {
 public:
  InMemoryPubSub() = default;
  InMemoryPubSub(const InMemoryPubSub&) = delete;
  InMemoryPubSub& operator=(const InMemoryPubSub&) = delete;

  PubSubSubscriptionId Subscribe(absl::string_view stream,
                                 PubSubCallback callback,
                                 PubSubDone on_live) override;
  void Unsubscribe(PubSubSubscriptionId id) override;
  absl::Status Broadcast(absl::string_view stream,
                         absl::string_view message) override;

  // Number of subscriptions on `stream` (for tests and metrics).
  std::size_t subscriber_count(absl::string_view stream) const;

 private:
  struct Subscriber;

  // Serialises broadcasts per process so that a message never overtakes an
  // earlier one on the same stream and `unsubscribe` can wait for a running
  // callback by taking it.
  mutable absl::Mutex delivery_mu_;
  mutable absl::Mutex mu_ ABSL_ACQUIRED_AFTER(delivery_mu_);
  PubSubSubscriptionId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<
      std::string,
      absl::flat_hash_map<PubSubSubscriptionId, std::shared_ptr<Subscriber>>>
      streams_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<PubSubSubscriptionId, std::string> stream_of_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace cable
