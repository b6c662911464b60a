#pragma once
// The pub/sub seam (seed: MVC::Keayl::Cable::PubSub): subscribe(stream,
// callback) -> id, unsubscribe(id), broadcast(stream, message).
// Implementations: InMemoryPubSub (one process), NatsPubSub (many).

#include <cstdint>
#include <functional>
#include <string>

#include "absl/functional/any_invocable.h"
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

// Runs exactly once when a subscription has started (OK: live) or could not
// start (the reason), or when a flush has completed. Runs on a backend
// thread, or inline before the call that took it returns: it must not take
// a lock its caller may hold across that call, and should post to its own
// executor rather than do work.
using PubSubDone = absl::AnyInvocable<void(absl::Status) &&>;

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

  // TRANSITION (issue 15): the asynchronous seam. Starts delivering
  // `stream`'s messages to `callback` and returns at once, never waiting on
  // the network. `on_live` runs once: OK when the subscription is live
  // (every broadcast that starts afterwards reaches it), or the reason it
  // could not start; the id is then void and unsubscribing it is a no-op.
  // The id may be unsubscribed before `on_live` ran; `on_live` still runs
  // (then with the status it would have had, or CANCELLED).
  // The default bridges to the synchronous subscribe above; implementations
  // override it, and the synchronous form goes once all have.
  virtual PubSubSubscriptionId subscribe(absl::string_view stream,
                                         PubSubCallback callback,
                                         PubSubDone on_live) {
    absl::StatusOr<PubSubSubscriptionId> id =
        subscribe(stream, std::move(callback));
    std::move(on_live)(id.status());
    return id.ok() ? *id : 0;
  }

  // TRANSITION (issue 15): the asynchronous flush. `done` runs once every
  // broadcast made before the call has reached the backend (see flush()).
  virtual void flush(PubSubDone done) { std::move(done)(flush()); }

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
