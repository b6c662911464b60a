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
//  - Connect goes through the shared connection layer (nats_connection.h):
//    it blocks up to `connect_timeout` per server, twice when no server is
//    reachable and `retry_on_failed_connect` (the default) is on; the
//    connection is then made in the background with the reconnect
//    backoff, and connected() stays false until it is. Without it,
//    Connect returns Unavailable when no server is reachable. Refused
//    credentials are Unauthenticated either way.
//  - After a disconnect nats.c reconnects (forever by default, with
//    exponential backoff and jitter) and re-sends every subscription by
//    itself: existing subscriptions keep working without re-subscribing.
//    Broadcasts made while disconnected are buffered (up to
//    `reconnect_buffer_bytes`) and sent after the reconnect.
//  - `subscribe` never waits on the network: it queues the subscription
//    and returns. A thread of this NatsPubSub (the worker) takes every
//    subscription queued meanwhile, subscribes them on the connection and
//    flushes once for the whole batch, then runs each `on_live` with OK
//    (the server has it) or the reason. A subscription that finds the
//    connection down gets Unavailable and leaves nothing behind: it cannot
//    promise that it is live. flush(done) is served by the same worker
//    (in the same batches); `unsubscribe` never waits on the network.
//
// Messages of any size (up to `max_message_bytes`):
//  - A message that fits the server's max payload (natsConnection_
//    GetMaxPayload; 1 MB by default) is published as one plain NATS message:
//    no headers, no copy.
//  - A larger one is split into fragments of at most max payload minus
//    kFragmentHeaderRoom bytes, published back to back on the same subject
//    from this connection (one at a time per NatsPubSub, so fragments of
//    two large messages of one publisher never interleave). Each carries
//    the headers of nats_fragments.h (FragmentWriter cuts, and
//    FragmentAssembler reassembles, without I/O); the subscriber reassembles
//    them per (subscription, publisher) and calls the callback once with the
//    whole message when the last fragment arrives. NATS keeps one connection's
//    messages in order, so a message published after a large one is still
//    delivered after it, and fragments of different publishers may interleave
//    freely. Raw subjects (publish_subject/subscribe_subject) work the
//    same way.
//  - Memory for partially received messages is bounded: a message whose
//    fragments stop coming (a publisher crashed, fragments were lost while
//    reconnecting, a slow consumer dropped some) is dropped with a warning
//    when the same publisher starts another one, when a fragment is out of
//    sequence, or after `reassembly_timeout` without progress; one that
//    announces more than `max_message_bytes` or does not fit
//    `max_reassembly_bytes` is dropped at its first fragment. Dropped
//    messages are lost, as core NATS messages can be.
//  - Before the first connection the server's max payload is unknown; up to
//    then messages over kAssumedMaxPayload are fragmented.
//
// Threads: callbacks run on nats.c's global message delivery pool
// (`delivery_pool_size` threads shared by every connection in the process,
// each subscription pinned to one of them), never concurrently for one
// subscription. `on_live` and flush completions run on the worker (they
// may call this NatsPubSub, but not destroy it), which
// also drops stale partial messages (every reassembly_timeout / 4 while
// there are any, and whenever a fragment arrives; a flush in progress
// delays it). Every method is thread-safe.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cable/nats_fragments.h"
#include "cable/nats_security.h"
#include "cable/pubsub.h"
#include "cable/stream_subject.h"

namespace cable {

struct NatsPubSubOptions {
  // One server URL or a comma-separated list ("nats://a:4222,nats://b:4222").
  std::string url = "nats://127.0.0.1:4222";
  // Connection name, shown by the server's monitoring (and in our logs).
  std::string name = "cable";
  // Streams live on `<subject_prefix>.<token>`.
  std::string subject_prefix = std::string(kDefaultSubjectPrefix);
  // Credentials and TLS.
  NatsSecurity security;

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
  // How long the worker waits for the server to confirm a batch of
  // subscriptions or a flush (and the destructor's last flush).
  std::chrono::milliseconds flush_timeout{5000};
  // Bytes of publishes buffered while reconnecting (0 = nats.c's 8 MB).
  int reconnect_buffer_bytes = 0;
  // Threads of nats.c's process-wide delivery pool. The pool only grows:
  // the largest value any connection asked for wins. 0 = leave it
  // (nats.c's default is 1 thread).
  int delivery_pool_size = 4;
  // Largest message broadcast accepts (larger: InvalidArgument) and
  // subscribers reassemble (larger: dropped at the first fragment). Each
  // subscription lets nats.c queue max(64 MB, 2 * this) bytes behind a slow
  // callback before it drops messages (nats.c's default is 64 MB).
  std::size_t max_message_bytes = std::size_t{64} << 20;
  // Memory reserved for partially received fragmented messages, over every
  // subscription of this NatsPubSub; a message that would go over it is
  // dropped. At least max_message_bytes.
  std::size_t max_reassembly_bytes = std::size_t{256} << 20;
  // A partially received message with no new fragment for this long is
  // dropped.
  std::chrono::milliseconds reassembly_timeout{10000};
  // Called with the new state on every connect, disconnect, reconnect and
  // close, on nats.c's callback thread (after connected() changed). Must
  // not block or call back into this NatsPubSub's destructor.
  std::function<void(bool connected)> on_connection_change;
};

class NatsConnection;

class NatsPubSub final : public PubSub {
 public:
  // See the header comment. InvalidArgument for bad options,
  // Unauthenticated for refused credentials, Unavailable when no server is
  // reachable and `retry_on_failed_connect` is off.
  static absl::StatusOr<std::unique_ptr<NatsPubSub>> Connect(
      const NatsPubSubOptions& options);

  NatsPubSub(const NatsPubSub&) = delete;
  NatsPubSub& operator=(const NatsPubSub&) = delete;
  // Stops the worker (waiting for a flush it is in), runs the `on_live` of
  // queued subscriptions with Cancelled, flushes pending broadcasts
  // (bounded by flush_timeout) and completes queued flushes with its
  // result, stops every subscription (no callback runs after it returns)
  // and closes the connection. Must not be called from one of its own
  // callbacks.
  ~NatsPubSub() override;

  // Queues a subscription to StreamSubject(subject_prefix, stream); see
  // the header comment. The callback gets `stream` as given here.
  // `on_live`: OK once the server has the subscription; Unavailable (and
  // nothing left behind) while disconnected or if the server does not
  // confirm within flush_timeout; InvalidArgument (inline, id 0) for a
  // name over the subject length limit or an empty callback; Cancelled if
  // unsubscribed or destroyed before it was live.
  PubSubSubscriptionId Subscribe(absl::string_view stream,
                                 PubSubCallback callback,
                                 PubSubDone on_live) override;

  // Stops a subscription without waiting on the network: when it returns
  // the callback is not running and never runs again (nats.c may release
  // its own resources a moment later). Called from inside that
  // subscription's own callback it cannot wait for the running call: it
  // then only guarantees that no later call happens. It may be called from
  // inside any other callback too, but two callbacks unsubscribing each
  // other's subscriptions at the same time deadlock (as with
  // InMemoryPubSub). Unknown ids are ignored.
  void Unsubscribe(PubSubSubscriptionId id) override;

  // Publishes to the stream's subject. Buffered: nats.c's flusher sends it
  // shortly (while reconnecting, it goes to the reconnect buffer). A
  // message over the server's max payload goes out in fragments (see the
  // header comment). InvalidArgument for a name over the subject length
  // limit or a message over max_message_bytes; Unavailable if the
  // connection is closed or the reconnect buffer cannot hold the message
  // (if that happens half-way through a fragmented message, subscribers
  // drop what they got of it); FailedPrecondition for a message that needs
  // fragments when the server's max payload is under 2 *
  // kFragmentHeaderRoom.
  absl::Status Broadcast(absl::string_view stream,
                         absl::string_view message) override;

  // Raw subjects, for Cable's internal traffic. `subject` must be a valid
  // literal subject for publish_subject; subscribe_subject also accepts
  // wildcards. Same guarantees as broadcast/subscribe; the callback's first
  // argument is the message's actual subject. Unsubscribe with
  // unsubscribe().
  absl::Status PublishSubject(absl::string_view subject,
                              absl::string_view data);
  PubSubSubscriptionId SubscribeSubject(absl::string_view subject,
                                        PubSubCallback callback,
                                        PubSubDone on_live);

  // Blocks until the server has processed everything sent so far.
  // Unavailable/DeadlineExceeded while disconnected or on timeout. For
  // tests and start-up; flush(done) never blocks.
  absl::Status Flush(std::chrono::milliseconds timeout);
  // PubSub::flush: the worker flushes (bounded by flush_timeout, batched
  // with queued subscriptions and flushes) and runs `done` with the result.
  void Flush(PubSubDone done) override;

  // True while connected to a server (updated by nats.c's connection
  // callbacks).
  bool connected() const override;

  // Waits until connected() == `want`; false on timeout. For start-up
  // checks and tests.
  bool AwaitConnected(bool want, std::chrono::milliseconds timeout) const;

  const std::string& subject_prefix() const { return subject_prefix_; }

  // Live and queued subscriptions (for tests and metrics).
  std::size_t subscription_count() const;
  // Flushes the worker has made so far, one per batch of queued
  // subscriptions and flushes (for tests and metrics).
  std::uint64_t batch_flushes() const;

  // Reassembly of fragmented messages received by this NatsPubSub's
  // subscriptions (for tests and metrics). Fragments of a message whose
  // first fragment was never seen (e.g. sent before the subscription) are
  // skipped silently and not counted as dropped.
  using ReassemblyStats = FragmentAssembler::Stats;
  ReassemblyStats reassembly_stats() const;
  // Waits until `done(reassembly_stats())`; false on timeout. `done` runs
  // under an internal lock: it must not call this NatsPubSub.
  bool AwaitReassemblyStats(
      const std::function<bool(const ReassemblyStats&)>& done,
      std::chrono::milliseconds timeout) const;

 private:
  struct Subscription;
  struct Delivery;

  NatsPubSub(std::unique_ptr<NatsConnection> connection,
             const NatsPubSubOptions& options);

  PubSubSubscriptionId Queue(std::string subject, std::string stream, bool raw,
                             PubSubCallback callback, PubSubDone on_live);
  // The worker: batches of subscriptions and flushes, stale fragments.
  void Work();
  // One batch (see the header comment).
  void RunBatch(std::vector<std::shared_ptr<Subscription>> subs,
                std::vector<PubSubDone> flushes);
  // natsConnection_Subscribe and its settings.
  absl::Status Start(const std::shared_ptr<Subscription>& sub);
  // Unsubscribes and gates `sub`; never waits on the network.
  void Close(const std::shared_ptr<Subscription>& sub);
  void ExpireFragments();

  absl::Status PublishImpl(const std::string& subject, absl::string_view data);
  // Publishes `data` as fragments of at most `max_payload` bytes each,
  // headers included.
  absl::Status PublishFragments(const std::string& subject,
                                absl::string_view data,
                                std::size_t max_payload);

  const std::unique_ptr<NatsConnection> connection_;
  const std::string subject_prefix_;
  const std::chrono::milliseconds flush_timeout_;
  const std::size_t max_message_bytes_;
  const std::size_t reconnect_buffer_bytes_;
  const absl::Duration expiry_period_;
  const std::shared_ptr<Delivery> delivery_;

  // Publisher side of fragmentation: one fragmented message at a time.
  absl::Mutex fragment_mu_;
  FragmentWriter writer_ ABSL_GUARDED_BY(fragment_mu_);

  mutable absl::Mutex mu_;
  PubSubSubscriptionId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<PubSubSubscriptionId, std::shared_ptr<Subscription>>
      subscriptions_ ABSL_GUARDED_BY(mu_);
  // The worker's queues.
  std::vector<std::shared_ptr<Subscription>> to_start_ ABSL_GUARDED_BY(mu_);
  std::vector<PubSubDone> to_flush_ ABSL_GUARDED_BY(mu_);
  // Many buried subscriptions, or a new partial message: wake the worker.
  bool reap_ ABSL_GUARDED_BY(mu_) = false;
  bool poked_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::uint64_t batch_flushes_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread worker_;
};

}  // namespace cable
