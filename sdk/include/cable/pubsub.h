#pragma once
// The pub/sub seam (seed: MVC::Keayl::Cable::PubSub): subscribe(stream,
// callback, on_live) -> id, unsubscribe(id), broadcast(stream, message),
// flush(done). Nothing in it waits on the network: liveness and flushes
// complete through callbacks, so event loops and gRPC callback threads can
// call it. Implementations: InMemoryPubSub (one process), NatsPubSub
// (many); HistoryPubSub decorates either with stream history.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cable/history.h"

namespace cable {

using PubSubSubscriptionId = std::uint64_t;

// Called for every message published on a subscribed stream. Runs on an
// arbitrary thread (the publisher's, or a backend's delivery thread): copy
// what you need and post to your own executor. Messages of one stream from
// one publisher arrive in publish order and never concurrently.
using PubSubCallback =
    std::function<void(absl::string_view stream, absl::string_view message)>;

// Runs exactly once when a subscription has started (OK: live) or could not
// start (the reason), or when a flush has completed. Runs on a backend
// thread, or inline before the call that took it returns: it must not take
// a lock its caller may hold across that call, and should post to its own
// executor rather than do work.
using PubSubDone = absl::AnyInvocable<void(absl::Status) &&>;

class PubSub {
 public:
  virtual ~PubSub() = default;

  // Starts delivering `stream`'s messages to `callback` and returns at
  // once, never waiting on the network. `on_live` runs once: OK when the
  // subscription is live (every broadcast that starts afterwards reaches
  // it), or the reason it could not start; the id is then void and
  // unsubscribing it is a no-op. The id may be unsubscribed before
  // `on_live` ran; `on_live` still runs (then with CANCELLED, or the error
  // it was about to report).
  virtual PubSubSubscriptionId Subscribe(absl::string_view stream,
                                         PubSubCallback callback,
                                         PubSubDone on_live) = 0;

  // Stops a subscription, never waiting on the network. After it returns
  // the callback is not running and will not run again (it may wait for a
  // running call to return). Unknown ids are ignored.
  virtual void Unsubscribe(PubSubSubscriptionId id) = 0;

  // Publishes `message` to every subscriber of `stream`.
  virtual absl::Status Broadcast(absl::string_view stream,
                                 absl::string_view message) = 0;

  // Broadcast, and the position the message got in `stream`'s history
  // (history.h), or nullopt when it got none: the stream keeps no history,
  // or this pub/sub keeps none at all (this default). HistoryPubSub
  // overrides it.
  virtual absl::StatusOr<std::optional<StreamPosition>> BroadcastWithPosition(
      absl::string_view stream, absl::string_view message) {
    absl::Status status = Broadcast(stream, message);
    if (!status.ok()) return status;
    return std::optional<StreamPosition>();
  }

  // `done` runs once every broadcast made before the call has reached the
  // backend, so that a later broadcast from another process cannot
  // overtake it and this process dying cannot lose it (or with the reason
  // it could not be confirmed). The Publisher API and the service's
  // commands wait for it before answering.
  virtual void Flush(PubSubDone done) { std::move(done)(absl::OkStatus()); }

  // False while the backend is unreachable (broadcasts then wait in the
  // process until it is back; a flush would only wait).
  virtual bool connected() const { return true; }
};

// For start-up code and tests that may block: subscribes and waits for
// `on_live`. Its error, or DeadlineExceeded (and nothing left behind) when
// `on_live` has not run within `timeout`. Never call it on an event loop
// or a gRPC callback thread.
absl::StatusOr<PubSubSubscriptionId> SubscribeAndWait(
    PubSub& pubsub, absl::string_view stream, PubSubCallback callback,
    absl::Duration timeout = absl::Seconds(30));

// Likewise for flush: its status, or DeadlineExceeded after `timeout`.
absl::Status FlushAndWait(PubSub& pubsub,
                          absl::Duration timeout = absl::Seconds(30));

}  // namespace cable
