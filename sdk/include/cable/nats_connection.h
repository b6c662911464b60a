#pragma once
// The one NATS connection layer: how Cable connects to NATS (URL list,
// TLS, credentials, timeouts, reconnect backoff, retry on a failed first
// connect), how it reads nats.c's statuses (FromNatsStatus), its
// connection-state callbacks, and the workaround for nats.c 3.4's
// subscription-freeing bug. NatsPubSub and the JetStream client
// (cable/jetstream_client.h) both build on it.
//
// Connect:
//  - The first attempt runs without nats.c's retry-on-failed-connect, so
//    its status is the servers' own answer, read synchronously: refused
//    credentials are Unauthenticated ("refused the credentials", with the
//    server's reason), whatever nats.c's reconnect thread does later.
//  - Only when it reached no server at all, and `retry_on_failed_connect`
//    is set, a second attempt starts nats.c's background connect (with the
//    reconnect backoff) and Connect returns a not-yet-connected connection.
//    Connect may then take up to twice `connect_timeout` per server.
//
// Thread-safe. nats.c may call the connection callbacks until its "closed"
// callback, which Close() waits for.

#include <nats/nats.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "cable/nats_security.h"

namespace cable {

// The absl code of a nats.c status. The one mapping for all of Cable's NATS
// code; codes are chosen by who should act (absl/status/status.h):
//  - Unavailable: the network or the server is (for now) not there;
//    retrying later may succeed (closed, disconnected, no server, I/O,
//    stale, no responders, draining, TLS handshake errors).
//  - Unauthenticated for NATS_CONNECTION_AUTH_FAILED: the server refused
//    our credentials; retrying with the same ones cannot succeed, so not
//    Unavailable, and it is about who we are, not what we may do, so not
//    PermissionDenied (which NATS_NOT_PERMITTED, a refused subject, is).
//    It is also what Connect reports for refused credentials.
//  - DeadlineExceeded for timeouts, NotFound, InvalidArgument for bad
//    arguments, ResourceExhausted for memory, Internal for the rest.
absl::StatusCode NatsStatusCode(natsStatus s);

// The absl::Status of a nats.c status: "nats: <what>: <text>", plus the
// thread's last nats.c error detail when it says more. OK for NATS_OK.
absl::Status FromNatsStatus(natsStatus s, absl::string_view what);

struct NatsConnectionOptions {
  // One server URL or a comma-separated list ("nats://a:4222,nats://b:4222").
  std::string url = "nats://127.0.0.1:4222";
  // Connection name, shown by the server's monitoring (and in our logs).
  std::string name = "cable";
  NatsSecurity security;
  // Timeout of one TCP connect + handshake to one server.
  std::chrono::milliseconds connect_timeout{2000};
  // Reconnect backoff: after every server in the list failed, wait
  // min(max_reconnect_wait, reconnect_wait * 2^(n-1)) plus a random jitter
  // of up to `reconnect_jitter`, where n counts the failed rounds.
  std::chrono::milliseconds reconnect_wait{100};
  std::chrono::milliseconds max_reconnect_wait{5000};
  std::chrono::milliseconds reconnect_jitter{100};
  // Reconnect rounds before giving up and closing for good; -1 = forever.
  int max_reconnect = -1;
  // See the header comment.
  bool retry_on_failed_connect = false;
  // Bytes of publishes buffered while reconnecting (0 = nats.c's 8 MB).
  int reconnect_buffer_bytes = 0;
  // Deliver messages on nats.c's process-wide delivery pool rather than a
  // thread per subscription.
  bool global_message_delivery = false;
  // Called with the new state on every connect, disconnect, reconnect and
  // close, on nats.c's callback thread (after connected() changed). Must
  // not block or close this connection.
  std::function<void(bool connected)> on_connection_change;
};

// Checks the options without connecting: InvalidArgument for an empty URL
// list or a non-positive timing.
absl::Status ValidateNatsConnectionOptions(const NatsConnectionOptions& o);

// One nats.c connection. See the header comment.
class NatsConnection final {
 public:
  // InvalidArgument for bad options; Unauthenticated for refused
  // credentials; Unavailable when no server is reachable and
  // `retry_on_failed_connect` is off; else the connect error.
  static absl::StatusOr<std::unique_ptr<NatsConnection>> Connect(
      const NatsConnectionOptions& options);

  NatsConnection(const NatsConnection&) = delete;
  NatsConnection& operator=(const NatsConnection&) = delete;
  // Close(), then frees the connection.
  ~NatsConnection();

  natsConnection* Get() const { return nc_; }
  const std::string& name() const;

  // True while connected to a server (updated by nats.c's callbacks).
  bool connected() const;
  // Waits until connected() == `want`; false on timeout.
  bool AwaitConnected(bool want, std::chrono::milliseconds timeout) const;

  // --- nats.c 3.4 workaround (issue #637, fixed in 3.6) -------------------
  // Its read loop looks a subscription up and then locks it without
  // holding a reference, so a subscription freed right after its removal
  // can crash it. Unsubscribed subscriptions are buried here instead of
  // destroyed; a flush that starts after the removal ends after the read
  // loop has moved past any such lookup, so each successful FlushAndReap
  // destroys what was buried before it started, and Close() (which joins
  // the read loop) destroys the rest.
  void Bury(natsSubscription* sub);
  std::size_t buried() const;
  // natsConnection_FlushTimeout; on success destroys the subscriptions
  // buried before it started.
  natsStatus FlushAndReap(std::chrono::milliseconds timeout);

  // Closes the connection (no callback of its subscriptions runs after
  // it), destroys the buried subscriptions and waits (bounded) for nats.c's
  // closed callback. Idempotent.
  void Close();

 private:
  struct Callbacks;

  NatsConnection(std::shared_ptr<Callbacks> callbacks, natsConnection* nc);

  // What nats.c's callbacks touch; it keeps itself alive until the closed
  // callback, which may come after this object is gone.
  const std::shared_ptr<Callbacks> callbacks_;
  natsConnection* const nc_;

  mutable absl::Mutex graveyard_mu_;
  std::vector<natsSubscription*> graveyard_ ABSL_GUARDED_BY(graveyard_mu_);
  absl::Mutex close_mu_;
  bool closed_ ABSL_GUARDED_BY(close_mu_) = false;
};

}  // namespace cable
