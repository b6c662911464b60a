// NatsPubSub: connecting, the subscriptions and the worker that starts them
// in batches. Publishing is in nats_pubsub_publish.cc, the connection in
// nats_connection.cc, fragmentation in nats_fragments.cc.

#include "cable/nats_pubsub.h"

#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <climits>
#include <exception>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cable/nats_connection.h"
#include "nats_pubsub_internal.h"

namespace cable {
namespace {

// Unsubscribed nats.c subscriptions kept before the worker flushes to free
// them (see NatsConnection::Bury).
constexpr std::size_t kMaxBuried = 256;
// The worker's longest sleep while nothing is queued: how late it may
// notice a partial message that went stale.
constexpr absl::Duration kIdleWake = absl::Seconds(1);

// nats.c's defaults (natsp.h), which the options leave in place.
constexpr std::size_t kDefaultReconnectBufferBytes = 8 << 20;
constexpr int kDefaultPendingMsgs = 65536;
constexpr std::int64_t kDefaultPendingBytes = 64 << 20;

std::uint64_t RandomNonce() {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

// The subscription whose callback this thread is running (nullptr on any
// thread that is not inside a NatsPubSub callback). Lets unsubscribe tell
// that it was called from a callback, where waiting could deadlock.
thread_local const void* tls_delivering = nullptr;

// The value of a header, or "" (which no fragment header parses as).
absl::string_view Header(natsMsg* msg, const char* key) {
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg, key, &value) != NATS_OK || value == nullptr) {
    return {};
  }
  return value;
}

}  // namespace

void NatsPubSub::Subscription::OnMessage(natsConnection*, natsSubscription*,
                                         natsMsg* msg, void* closure) {
  std::unique_ptr<natsMsg, NatsMsgDestroyer> owned(msg);
  auto* s = static_cast<Subscription*>(closure);
  if (!s->active.load(std::memory_order_acquire)) return;
  const absl::string_view data(
      natsMsg_GetData(msg),
      static_cast<std::size_t>(std::max(0, natsMsg_GetDataLength(msg))));
  // For a message without headers (every plain one) this is one cheap
  // lookup.
  const absl::string_view id = Header(msg, kFragmentIdHeader);
  const char* subject = s->raw ? natsMsg_GetSubject(msg) : nullptr;
  const absl::string_view name =
      s->raw ? absl::string_view(subject != nullptr ? subject : "")
             : absl::string_view(s->stream);
  const void* previous = tls_delivering;
  tls_delivering = s;
  {
    absl::MutexLock lock(&s->deliver_mu);
    if (s->active.load(std::memory_order_relaxed)) {
      if (id.empty()) {
        s->Deliver(name, data);
      } else {
        std::optional<FragmentHeader> f =
            ParseFragmentHeader(id, Header(msg, kFragmentIndexHeader),
                                Header(msg, kFragmentCountHeader),
                                Header(msg, kFragmentSizeHeader));
        std::optional<std::string> whole;
        {
          absl::MutexLock d(&s->delivery->mu);
          FragmentAssembler& assembler = s->delivery->assembler;
          const absl::Time now = absl::Now();
          assembler.Expire(now);
          if (!f) {
            assembler.AddMalformed(s->subject);
          } else {
            try {
              whole = assembler.Add(s->id, *f, data, now, s->subject);
            } catch (const std::exception& e) {  // std::bad_alloc
              spdlog::error("nats: dropping a fragment on {}: {}", s->subject,
                            e.what());
            }
          }
        }
        if (whole) s->Deliver(name, *whole);
      }
    }
  }
  tls_delivering = previous;
}

void NatsPubSub::Subscription::Deliver(absl::string_view name,
                                       absl::string_view data) {
  try {
    callback(name, data);
  } catch (const std::exception& e) {
    spdlog::error("nats: subscriber of {} threw: {}", subject, e.what());
  } catch (...) {
    spdlog::error("nats: subscriber of {} threw", subject);
  }
}

absl::StatusOr<std::unique_ptr<NatsPubSub>> NatsPubSub::Connect(
    const NatsPubSubOptions& options) {
  if (absl::Status s = ValidateSubjectPrefix(options.subject_prefix); !s.ok()) {
    return s;
  }
  if (options.flush_timeout.count() <= 0 || options.delivery_pool_size < 0) {
    return absl::InvalidArgumentError(
        "nats: invalid timing, reconnect, buffer or pool option");
  }
  if (options.max_message_bytes == 0 ||
      options.max_reassembly_bytes < options.max_message_bytes ||
      options.reassembly_timeout.count() <= 0) {
    return absl::InvalidArgumentError(
        "nats: max_message_bytes must be positive and at most "
        "max_reassembly_bytes, reassembly_timeout positive");
  }
  NatsConnectionOptions c;
  c.url = options.url;
  c.name = options.name;
  c.security = options.security;
  c.connect_timeout = options.connect_timeout;
  c.reconnect_wait = options.reconnect_wait;
  c.max_reconnect_wait = options.max_reconnect_wait;
  c.reconnect_jitter = options.reconnect_jitter;
  c.max_reconnect = options.max_reconnect;
  c.retry_on_failed_connect = options.retry_on_failed_connect;
  c.reconnect_buffer_bytes = options.reconnect_buffer_bytes;
  c.global_message_delivery = true;
  c.on_connection_change = options.on_connection_change;
  if (absl::Status s = ValidateNatsConnectionOptions(c); !s.ok()) return s;

  // Library initialisation is idempotent; the delivery pool only grows.
  if (natsStatus s = nats_Open(-1); s != NATS_OK) {
    return FromNatsStatus(s, "library initialisation");
  }
  if (options.delivery_pool_size > 0) {
    if (natsStatus s =
            nats_SetMessageDeliveryPoolSize(options.delivery_pool_size);
        s != NATS_OK) {
      return FromNatsStatus(s, "delivery pool size");
    }
  }
  absl::StatusOr<std::unique_ptr<NatsConnection>> connection =
      NatsConnection::Connect(c);
  if (!connection.ok()) return connection.status();
  return std::unique_ptr<NatsPubSub>(
      new NatsPubSub(*std::move(connection), options));
}

NatsPubSub::NatsPubSub(std::unique_ptr<NatsConnection> connection,
                       const NatsPubSubOptions& options)
    : connection_(std::move(connection)),
      subject_prefix_(options.subject_prefix),
      flush_timeout_(options.flush_timeout),
      max_message_bytes_(options.max_message_bytes),
      reconnect_buffer_bytes_(
          options.reconnect_buffer_bytes > 0
              ? static_cast<std::size_t>(options.reconnect_buffer_bytes)
              : kDefaultReconnectBufferBytes),
      expiry_period_(
          std::clamp(absl::FromChrono(options.reassembly_timeout) / 4,
                     absl::Milliseconds(1), kIdleWake)),
      delivery_(std::make_shared<Delivery>(
          FragmentAssembler::Limits{
              options.max_message_bytes, options.max_reassembly_bytes,
              absl::FromChrono(options.reassembly_timeout)},
          options.name)),
      writer_(RandomNonce()) {
  worker_ = std::thread([this] { Work(); });
}

NatsPubSub::~NatsPubSub() {
  std::vector<std::shared_ptr<Subscription>> queued;
  std::vector<PubSubDone> flushes;
  std::vector<std::shared_ptr<Subscription>> subs;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  worker_.join();
  {
    absl::MutexLock lock(&mu_);
    queued.swap(to_start_);
    flushes.swap(to_flush_);
    for (auto& [id, sub] : subscriptions_) subs.push_back(std::move(sub));
    subscriptions_.clear();
  }
  // Gate every callback first: none runs once the destructor goes on.
  for (const auto& sub : subs) {
    PubSubCallback callback;
    {
      absl::MutexLock lock(&sub->deliver_mu);
      sub->active.store(false, std::memory_order_release);
      callback = std::move(sub->callback);
    }
    absl::MutexLock lock(&delivery_->mu);
    delivery_->assembler.Forget(sub->id);
  }
  for (const auto& sub : queued) {
    PubSubDone on_live;
    {
      absl::MutexLock lock(&mu_);
      on_live = std::move(sub->on_live);
    }
    if (on_live) {
      std::move(on_live)(absl::CancelledError(
          absl::StrCat("nats: closing before the subscription to ",
                       sub->subject, " was live")));
    }
  }
  // Best effort: let buffered broadcasts reach the server.
  natsStatus flushed = NATS_CONNECTION_DISCONNECTED;
  if (natsConnection_Status(connection_->Get()) == NATS_CONN_STATUS_CONNECTED) {
    flushed = connection_->FlushAndReap(flush_timeout_);
  }
  for (PubSubDone& done : flushes) {
    std::move(done)(FromNatsStatus(flushed, "flush while closing"));
  }
  // Closing closes every subscription and joins nats.c's read loop; nats.c
  // then runs their completion callbacks, which release them.
  connection_->Close();
  for (const auto& sub : subs) {
    if (sub->sub != nullptr) natsSubscription_Destroy(sub->sub);
  }
}

PubSubSubscriptionId NatsPubSub::Subscribe(absl::string_view stream,
                                           PubSubCallback callback,
                                           PubSubDone on_live) {
  if (absl::Status s = ValidateStreamName(stream, subject_prefix_); !s.ok()) {
    std::move(on_live)(std::move(s));
    return 0;
  }
  return Queue(StreamSubject(subject_prefix_, stream), std::string(stream),
               /*raw=*/false, std::move(callback), std::move(on_live));
}

PubSubSubscriptionId NatsPubSub::SubscribeSubject(absl::string_view subject,
                                                  PubSubCallback callback,
                                                  PubSubDone on_live) {
  if (absl::Status s = ValidateSubject(subject, /*allow_wildcards=*/true);
      !s.ok()) {
    std::move(on_live)(std::move(s));
    return 0;
  }
  return Queue(std::string(subject), std::string(), /*raw=*/true,
               std::move(callback), std::move(on_live));
}

PubSubSubscriptionId NatsPubSub::Queue(std::string subject, std::string stream,
                                       bool raw, PubSubCallback callback,
                                       PubSubDone on_live) {
  if (!callback) {
    std::move(on_live)(absl::InvalidArgumentError("subscribe: no callback"));
    return 0;
  }
  auto sub = std::make_shared<Subscription>();
  sub->subject = std::move(subject);
  sub->stream = std::move(stream);
  sub->raw = raw;
  sub->callback = std::move(callback);
  sub->delivery = delivery_;
  absl::MutexLock lock(&mu_);
  sub->id = next_id_++;
  sub->on_live = std::move(on_live);
  subscriptions_.emplace(sub->id, sub);
  to_start_.push_back(std::move(sub));
  return next_id_ - 1;
}

void NatsPubSub::Flush(PubSubDone done) {
  absl::MutexLock lock(&mu_);
  to_flush_.push_back(std::move(done));
}

void NatsPubSub::Work() {
  for (;;) {
    std::vector<std::shared_ptr<Subscription>> subs;
    std::vector<PubSubDone> flushes;
    bool reap = false;
    {
      absl::Duration wait = kIdleWake;
      {
        absl::MutexLock d(&delivery_->mu);
        if (delivery_->assembler.stats().pending > 0) wait = expiry_period_;
      }
      absl::MutexLock lock(&mu_);
      auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || reap_ || !to_start_.empty() || !to_flush_.empty();
      };
      mu_.AwaitWithTimeout(absl::Condition(&has_work), wait);
      if (stopping_) return;
      subs.swap(to_start_);
      flushes.swap(to_flush_);
      reap = reap_;
      reap_ = false;
    }
    ExpireFragments();
    if (subs.empty() && flushes.empty() && !reap) continue;
    RunBatch(std::move(subs), std::move(flushes));
  }
}

void NatsPubSub::ExpireFragments() {
  absl::MutexLock d(&delivery_->mu);
  delivery_->assembler.Expire(absl::Now());
}

void NatsPubSub::RunBatch(std::vector<std::shared_ptr<Subscription>> subs,
                          std::vector<PubSubDone> flushes) {
  // (subscription, its on_live status if already known)
  std::vector<std::pair<std::shared_ptr<Subscription>, absl::Status>> results;
  std::vector<std::shared_ptr<Subscription>> to_close;
  const bool up =
      natsConnection_Status(connection_->Get()) == NATS_CONN_STATUS_CONNECTED;
  bool any_started = false;
  for (auto& sub : subs) {
    {
      absl::MutexLock lock(&mu_);
      if (sub->cancelled) {
        results.emplace_back(std::move(sub), absl::CancelledError());
        continue;
      }
    }
    absl::Status started =
        up ? Start(sub)
           : absl::UnavailableError(absl::StrCat(
                 "nats: not connected; cannot make a live subscription to ",
                 sub->subject));
    absl::MutexLock lock(&mu_);
    if (!started.ok()) {
      // Nothing left behind (Start buried what it made).
      subscriptions_.erase(sub->id);
      sub->cancelled = true;
      results.emplace_back(std::move(sub), std::move(started));
      continue;
    }
    sub->started = true;
    any_started = true;
    // Unsubscribed while it was being started: unsubscribe saw it not
    // started, so closing it is ours.
    if (sub->cancelled) to_close.push_back(sub);
    results.emplace_back(std::move(sub), absl::OkStatus());
  }
  for (const auto& sub : to_close) Close(sub);

  natsStatus flushed = NATS_OK;
  // Reaping alone waits for a connection: a flush while disconnected would
  // only wait for its timeout.
  if (any_started || !flushes.empty() || (up && connection_->buried() > 0)) {
    flushed = connection_->FlushAndReap(flush_timeout_);
    absl::MutexLock lock(&mu_);
    ++batch_flushes_;
  }
  const absl::Status flush_status = FromNatsStatus(flushed, "flush");

  std::vector<std::pair<PubSubDone, absl::Status>> calls;
  to_close.clear();
  {
    absl::MutexLock lock(&mu_);
    for (auto& [sub, status] : results) {
      if (status.ok() && sub->cancelled) {
        status = absl::CancelledError(
            absl::StrCat("subscription to ", sub->subject, " cancelled"));
      } else if (status.ok() && !flush_status.ok()) {
        status = absl::UnavailableError(absl::StrCat(
            "subscription to ", sub->subject,
            " not confirmed by the server: ", flush_status.message()));
        subscriptions_.erase(sub->id);
        sub->cancelled = true;
        to_close.push_back(sub);
      }
      calls.emplace_back(std::move(sub->on_live), std::move(status));
    }
  }
  for (const auto& sub : to_close) Close(sub);
  for (auto& [on_live, status] : calls) {
    if (on_live) std::move(on_live)(std::move(status));
  }
  for (PubSubDone& done : flushes) std::move(done)(flush_status);
}

absl::Status NatsPubSub::Start(const std::shared_ptr<Subscription>& shared) {
  Subscription& sub = *shared;
  // nats.c gets a raw pointer; `self` keeps it alive until nats.c's
  // completion callback.
  sub.self = shared;
  natsSubscription* ns = nullptr;
  natsStatus s =
      natsConnection_Subscribe(&ns, connection_->Get(), sub.subject.c_str(),
                               &Subscription::OnMessage, &sub);
  if (s != NATS_OK) {
    sub.self.reset();  // nats.c has no reference to it
    return FromNatsStatus(s, absl::StrCat("subscribe to ", sub.subject));
  }
  sub.sub = ns;
  // Room for a whole message of max_message_bytes queued behind a slow
  // callback: over nats.c's default of 64 MB it would drop fragments. Fails
  // only if the subscription is closed already, which the next call sees.
  (void)natsSubscription_SetPendingLimits(
      ns, kDefaultPendingMsgs,
      static_cast<int>(std::clamp<std::uint64_t>(
          2 * static_cast<std::uint64_t>(max_message_bytes_),
          kDefaultPendingBytes, INT_MAX)));
  s = natsSubscription_SetOnCompleteCB(ns, &Subscription::OnComplete, &sub);
  if (s != NATS_OK) {
    // Already closed (the connection closed under us). Without a
    // completion callback we cannot know when nats.c is done with `sub`,
    // so it stays allocated (`self`); the gate keeps the callback quiet.
    absl::Status status =
        FromNatsStatus(s, absl::StrCat("subscribe to ", sub.subject));
    {
      absl::MutexLock lock(&sub.deliver_mu);
      sub.active.store(false, std::memory_order_release);
    }
    connection_->Bury(ns);
    sub.sub = nullptr;
    return status;
  }
  return absl::OkStatus();
}

void NatsPubSub::Unsubscribe(PubSubSubscriptionId id) {
  std::shared_ptr<Subscription> sub;
  bool started = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = subscriptions_.find(id);
    if (it == subscriptions_.end()) return;
    sub = std::move(it->second);
    subscriptions_.erase(it);
    sub->cancelled = true;
    started = sub->started;
  }
  if (started) {
    Close(sub);
    return;
  }
  // Queued or being started: the worker closes it (and runs on_live with
  // Cancelled); close the gate now so the contract holds on return. (Its
  // callback may already run: messages can come before the worker marks
  // it started, and that callback may be our caller.)
  if (tls_delivering == sub.get()) {
    sub->active.store(false, std::memory_order_release);
    return;
  }
  absl::MutexLock lock(&sub->deliver_mu);
  sub->active.store(false, std::memory_order_release);
}

void NatsPubSub::Close(const std::shared_ptr<Subscription>& sub) {
  // Fails only if the subscription or connection is already closed, in
  // which case nats.c has closed the subscription itself. Only queues an
  // UNSUB: no network wait.
  (void)natsSubscription_Unsubscribe(sub->sub);
  PubSubCallback callback;  // destroyed here, not on a nats.c thread
  if (tls_delivering == sub.get()) {
    // This thread holds deliver_mu inside the callback: clearing the flag
    // stops every later call; the running one is our caller.
    sub->active.store(false, std::memory_order_release);
  } else {
    absl::MutexLock lock(&sub->deliver_mu);
    sub->active.store(false, std::memory_order_release);
    callback = std::move(sub->callback);
  }
  {
    // No fragment is added once `active` is clear under deliver_mu.
    absl::MutexLock lock(&delivery_->mu);
    delivery_->assembler.Forget(sub->id);
  }
  // Not destroyed yet (nats.c 3.4 bug, see NatsConnection::Bury): the
  // worker's next flush reaps it; wake it if many pile up.
  connection_->Bury(sub->sub);
  if (connection_->buried() >= kMaxBuried) {
    absl::MutexLock lock(&mu_);
    reap_ = true;
  }
}

bool NatsPubSub::connected() const { return connection_->connected(); }

bool NatsPubSub::AwaitConnected(bool want,
                                std::chrono::milliseconds timeout) const {
  return connection_->AwaitConnected(want, timeout);
}

std::size_t NatsPubSub::subscription_count() const {
  absl::MutexLock lock(&mu_);
  return subscriptions_.size();
}

std::uint64_t NatsPubSub::batch_flushes() const {
  absl::MutexLock lock(&mu_);
  return batch_flushes_;
}

}  // namespace cable
