#pragma once
// PubSub over core NATS (nats.c): one connection per NatsPubSub, one NATS
// subscription per `subscribe`, stream names mapped to subjects by
// sdk/stream_subject.h (`<subject_prefix>.<token>`).
//
// Delivery is at most once, like core NATS: a message published while a
// subscriber is disconnected is not delivered to it. Per stream, messages
// from one NatsPubSub arrive in publish order (one connection, and nats.c
// delivers each subscription's messages in order on one thread).
//
// Connection behaviour:
//  - Connect never blocks longer than `connect_timeout` per server. With
//    `retry_on_failed_connect` (the default) it succeeds even when no server
//    is reachable; the connection is then made in the background with the
//    reconnect backoff, and connected() stays false until it is. Without
//    it, Connect returns Unavailable when no server is reachable.
//  - After a disconnect nats.c reconnects (forever by default, with
//    exponential backoff and jitter) and re-sends every subscription by
//    itself: existing subscriptions keep working without re-subscribing.
//    Broadcasts made while disconnected are buffered (up to
//    `reconnect_buffer_bytes`) and sent after the reconnect.
//  - While disconnected, `subscribe` returns Unavailable and leaves nothing
//    behind: it cannot promise that the subscription is live.
//
// Threads: callbacks run on nats.c's global message delivery pool
// (`delivery_pool_size` threads shared by every connection in the process,
// each subscription pinned to one of them), never concurrently for one
// subscription. Every method is thread-safe.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "sdk/pubsub.h"
#include "sdk/stream_subject.h"

namespace cable {

struct NatsPubSubOptions {
  // One server URL or a comma-separated list ("nats://a:4222,nats://b:4222").
  std::string url = "nats://127.0.0.1:4222";
  // Connection name, shown by the server's monitoring (and in our logs).
  std::string name = "cable";
  // Streams live on `<subject_prefix>.<token>`.
  std::string subject_prefix = std::string(kDefaultSubjectPrefix);

  // Reconnect backoff: after every server in the list failed, wait
  // min(max_reconnect_wait, reconnect_wait * 2^(n-1)) plus a random jitter
  // of up to `reconnect_jitter`, where n counts the failed rounds.
  std::chrono::milliseconds reconnect_wait{100};
  std::chrono::milliseconds max_reconnect_wait{5000};
  std::chrono::milliseconds reconnect_jitter{100};
  // Reconnect rounds before giving up and closing for good; -1 = forever.
  int max_reconnect = -1;
  // Timeout of one TCP connect + handshake to one server.
  std::chrono::milliseconds connect_timeout{2000};
  // See the header comment.
  bool retry_on_failed_connect = true;
  // How long `subscribe` waits for the server to confirm the subscription.
  std::chrono::milliseconds flush_timeout{5000};
  // Bytes of publishes buffered while reconnecting (0 = nats.c's 8 MB).
  int reconnect_buffer_bytes = 0;
  // Threads of nats.c's process-wide delivery pool. The pool only grows:
  // the largest value any connection asked for wins. 0 = leave it
  // (nats.c's default is 1 thread).
  int delivery_pool_size = 4;
  // Called with the new state on every connect, disconnect, reconnect and
  // close, on nats.c's callback thread (after connected() changed). Must
  // not block or call back into this NatsPubSub's destructor.
  std::function<void(bool connected)> on_connection_change;
};

class NatsPubSub final : public PubSub {
 public:
  // See the header comment. InvalidArgument for bad options, Unavailable
  // when no server is reachable and `retry_on_failed_connect` is off.
  static absl::StatusOr<std::unique_ptr<NatsPubSub>> Connect(
      const NatsPubSubOptions& options);

  NatsPubSub(const NatsPubSub&) = delete;
  NatsPubSub& operator=(const NatsPubSub&) = delete;
  // Flushes pending broadcasts (bounded by flush_timeout), stops every
  // subscription (no callback runs after it returns) and closes the
  // connection. Must not be called from one of its own callbacks.
  ~NatsPubSub() override;

  // Subscribes to StreamSubject(subject_prefix, stream) and flushes: on OK
  // the server has the subscription. The callback gets `stream` as given
  // here. Unavailable (and nothing left behind) while disconnected or if
  // the server does not confirm within flush_timeout; InvalidArgument for
  // a name over the subject length limit or an empty callback.
  absl::StatusOr<PubSubSubscriptionId> subscribe(
      absl::string_view stream, PubSubCallback callback) override;

  // Stops a subscription. When it returns the callback is not running and
  // never runs again, and nats.c has finished with the subscription.
  // Called from inside that subscription's own callback it cannot wait for
  // the running call: it then only guarantees that no later call happens.
  // It may be called from inside any other callback too, but two callbacks
  // unsubscribing each other's subscriptions at the same time deadlock
  // (as with InMemoryPubSub). Unknown ids are ignored.
  void unsubscribe(PubSubSubscriptionId id) override;

  // Publishes to the stream's subject. Buffered: nats.c's flusher sends it
  // shortly (while reconnecting, it goes to the reconnect buffer).
  // InvalidArgument for a name over the subject length limit or a message
  // over the server's max payload; Unavailable if the connection is closed
  // or the reconnect buffer is full.
  absl::Status broadcast(absl::string_view stream,
                         absl::string_view message) override;

  // Raw subjects, for Cable's internal traffic. `subject` must be a valid
  // literal subject for publish_subject; subscribe_subject also accepts
  // wildcards. Same guarantees as broadcast/subscribe; the callback's first
  // argument is the message's actual subject. Unsubscribe with
  // unsubscribe().
  absl::Status publish_subject(absl::string_view subject,
                               absl::string_view data);
  absl::StatusOr<PubSubSubscriptionId> subscribe_subject(
      absl::string_view subject, PubSubCallback callback);

  // Waits until the server has processed everything sent so far.
  // Unavailable/DeadlineExceeded while disconnected or on timeout.
  absl::Status Flush(std::chrono::milliseconds timeout);
  // PubSub::flush: Flush(flush_timeout).
  absl::Status flush() override;

  // True while connected to a server (updated by nats.c's connection
  // callbacks).
  bool connected() const;

  // Waits until connected() == `want`; false on timeout. For start-up
  // checks and tests.
  bool AwaitConnected(bool want, std::chrono::milliseconds timeout) const;

  const std::string& subject_prefix() const { return subject_prefix_; }

  // Live subscriptions (for tests and metrics).
  std::size_t subscription_count() const;

 private:
  struct Connection;
  struct Subscription;

  NatsPubSub(std::shared_ptr<Connection> connection,
             const NatsPubSubOptions& options);

  absl::StatusOr<PubSubSubscriptionId> SubscribeImpl(std::string subject,
                                                     std::string stream,
                                                     bool raw,
                                                     PubSubCallback callback);
  absl::Status PublishImpl(const std::string& subject, absl::string_view data);
  // Unsubscribes and gates `sub`; waits for nats.c's completion unless
  // called from a delivery thread.
  void Close(const std::shared_ptr<Subscription>& sub);

  const std::shared_ptr<Connection> connection_;
  const std::string subject_prefix_;
  const std::chrono::milliseconds flush_timeout_;

  mutable absl::Mutex mu_;
  PubSubSubscriptionId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<PubSubSubscriptionId, std::shared_ptr<Subscription>>
      subscriptions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cable
