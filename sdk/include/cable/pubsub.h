#pragma once
// The pub/sub seam (seed: MVC::Keayl::Cable::PubSub): subscribe(stream,
// callback) -> id, unsubscribe(id), broadcast(stream, message).
// Implementations: InMemoryPubSub (one process), NatsPubSub (many).

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cable {

using PubSubSubscriptionId = std::uint64_t;

// Called for every message published on a subscribed stream. Runs on an
// arbitrary thread (the publisher's, or a backend's delivery thread): copy
// what you need and post to your own executor. Messages of one stream from
// one publisher arrive in publish order and never concurrently.
using PubSubCallback =
    std::function<void(absl::string_view stream, absl::string_view message)>;

class PubSub {
 public:
  virtual ~PubSub() = default;

  // Starts delivering `stream`'s messages to `callback`. When this returns
  // OK the subscription is live: every broadcast that starts afterwards
  // reaches it.
  virtual absl::StatusOr<PubSubSubscriptionId> subscribe(
      absl::string_view stream, PubSubCallback callback) = 0;

  // Stops a subscription. After it returns the callback is not running and
  // will not run again. Unknown ids are ignored.
  virtual void unsubscribe(PubSubSubscriptionId id) = 0;

  // Publishes `message` to every subscriber of `stream`.
  virtual absl::Status broadcast(absl::string_view stream,
                                 absl::string_view message) = 0;

  // Returns once every broadcast made so far has reached the backend, so
  // that a later broadcast from another process cannot overtake it and
  // this process dying cannot lose it. The Publisher API and the service's
  // commands call it before answering.
  virtual absl::Status flush() { return absl::OkStatus(); }

  // False while the backend is unreachable (broadcasts then wait in the
  // process until it is back; a flush would only wait).
  virtual bool connected() const { return true; }
};

}  // namespace cable
