#include "sdk/nats_pubsub.h"

#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstring>
#include <exception>
#include <random>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace cable {
namespace {

// How long unsubscribe and the destructor wait for nats.c's confirmation
// that it is done with a subscription or a connection. Only resource
// release depends on it (the callback gate does not), so running over is
// logged, not fatal.
constexpr absl::Duration kCompletionWait = absl::Seconds(10);

// Unsubscribed nats.c subscriptions kept before unsubscribe flushes to
// free them (see Connection::graveyard).
constexpr std::size_t kMaxBuried = 256;

absl::Status FromNats(natsStatus s, absl::string_view what) {
  if (s == NATS_OK) return absl::OkStatus();
  const char* text = natsStatus_GetText(s);
  std::string message = absl::StrCat("nats: ", what, ": ", text);
  natsStatus last = NATS_OK;
  const char* detail = nats_GetLastError(&last);
  if (detail != nullptr && *detail != '\0' && std::strcmp(detail, text) != 0) {
    absl::StrAppend(&message, " (", detail, ")");
  }
  switch (s) {
    case NATS_TIMEOUT:
      return absl::DeadlineExceededError(message);
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_NOT_YET_CONNECTED:
    case NATS_NO_SERVER:
    case NATS_IO_ERROR:
    case NATS_STALE_CONNECTION:
    case NATS_INSUFFICIENT_BUFFER:
    case NATS_CONNECTION_AUTH_FAILED:
    case NATS_SECURE_CONNECTION_REQUIRED:
    case NATS_SSL_ERROR:
    case NATS_DRAINING:
      return absl::UnavailableError(message);
    case NATS_INVALID_ARG:
    case NATS_INVALID_SUBJECT:
    case NATS_MAX_PAYLOAD:
    case NATS_ADDRESS_MISSING:
    case NATS_INVALID_TIMEOUT:
      return absl::InvalidArgumentError(message);
    case NATS_NO_MEMORY:
      return absl::ResourceExhaustedError(message);
    case NATS_NOT_PERMITTED:
      return absl::PermissionDeniedError(message);
    default:
      return absl::InternalError(message);
  }
}

std::string ConnectedUrl(natsConnection* nc) {
  char buffer[256];
  if (natsConnection_GetConnectedUrl(nc, buffer, sizeof buffer) != NATS_OK) {
    return "?";
  }
  return buffer;
}

struct OptionsDeleter {
  void operator()(natsOptions* o) const { natsOptions_Destroy(o); }
};

struct MsgDeleter {
  void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
};

}  // namespace

// The connection and what nats.c's connection callbacks touch. nats.c may
// call the callbacks until the "closed" callback, which may come after
// ~NatsPubSub, so `self` keeps this alive until then.
struct NatsPubSub::Connection {
  std::string name;
  std::chrono::milliseconds reconnect_wait{0};
  std::chrono::milliseconds max_reconnect_wait{0};
  std::chrono::milliseconds reconnect_jitter{0};
  std::function<void(bool)> on_change;
  natsConnection* nc = nullptr;
  std::shared_ptr<Connection> self;

  // Unsubscribed subscriptions whose last reference is not dropped yet.
  // nats.c 3.4's read loop looks a subscription up and then locks it
  // without holding a reference, so a subscription freed right after its
  // removal can crash it (nats.c issue #637, fixed in 3.6). A flush that
  // starts after the removal ends after the read loop has moved past any
  // such lookup, so each successful flush destroys what was buried before
  // it started; closing the connection (which joins the read loop)
  // destroys the rest.
  absl::Mutex graveyard_mu;
  std::vector<natsSubscription*> graveyard ABSL_GUARDED_BY(graveyard_mu);

  void Bury(natsSubscription* sub) {
    absl::MutexLock lock(&graveyard_mu);
    graveyard.push_back(sub);
  }

  std::size_t buried() {
    absl::MutexLock lock(&graveyard_mu);
    return graveyard.size();
  }

  // Flushes; on success destroys the subscriptions buried before.
  natsStatus FlushAndReap(std::chrono::milliseconds timeout) {
    std::vector<natsSubscription*> batch;
    {
      absl::MutexLock lock(&graveyard_mu);
      batch.swap(graveyard);
    }
    const natsStatus s = natsConnection_FlushTimeout(nc, timeout.count());
    if (s == NATS_OK) {
      for (natsSubscription* sub : batch) natsSubscription_Destroy(sub);
    } else if (!batch.empty()) {
      absl::MutexLock lock(&graveyard_mu);
      graveyard.insert(graveyard.end(), batch.begin(), batch.end());
    }
    return s;
  }

  // After natsConnection_Close: the read loop is gone.
  void DestroyBuried() {
    std::vector<natsSubscription*> batch;
    {
      absl::MutexLock lock(&graveyard_mu);
      batch.swap(graveyard);
    }
    for (natsSubscription* sub : batch) natsSubscription_Destroy(sub);
  }

  std::atomic<bool> connected_flag{false};
  mutable absl::Mutex mu;
  bool connected ABSL_GUARDED_BY(mu) = false;
  bool closed ABSL_GUARDED_BY(mu) = false;
  // Number of connection events seen so far.
  int events ABSL_GUARDED_BY(mu) = 0;
  std::minstd_rand rng ABSL_GUARDED_BY(mu){std::random_device{}()};

  void Update(bool up, bool is_closed) {
    {
      absl::MutexLock lock(&mu);
      ++events;
      connected = up;
      connected_flag.store(up, std::memory_order_release);
    }
    if (on_change) on_change(up);
    if (is_closed) {
      // Last: the destructor returns once it sees `closed`, and nothing of
      // the owner's may be touched after that.
      absl::MutexLock lock(&mu);
      closed = true;
    }
  }

  // After natsConnection_Connect returned OK: connected, unless a
  // callback already reported something newer.
  void InitiallyConnected() {
    {
      absl::MutexLock lock(&mu);
      if (events != 0) return;
      connected = true;
      connected_flag.store(true, std::memory_order_release);
    }
    if (on_change) on_change(true);
  }

  static void OnConnected(natsConnection* nc, void* closure) {
    auto* c = static_cast<Connection*>(closure);
    spdlog::info("nats {}: connected to {}", c->name, ConnectedUrl(nc));
    c->Update(true, false);
  }

  static void OnDisconnected(natsConnection* nc, void* closure) {
    auto* c = static_cast<Connection*>(closure);
    if (natsConnection_IsClosed(nc)) {
      spdlog::debug("nats {}: disconnected (closing)", c->name);
    } else {
      spdlog::warn("nats {}: disconnected; reconnecting", c->name);
    }
    c->Update(false, false);
  }

  static void OnReconnected(natsConnection* nc, void* closure) {
    auto* c = static_cast<Connection*>(closure);
    spdlog::info("nats {}: reconnected to {}", c->name, ConnectedUrl(nc));
    c->Update(true, false);
  }

  static void OnClosed(natsConnection*, void* closure) {
    auto* c = static_cast<Connection*>(closure);
    // The last callback nats.c makes for this connection.
    std::shared_ptr<Connection> keep = std::move(c->self);
    spdlog::info("nats {}: connection closed", c->name);
    c->Update(false, true);
  }

  static void OnError(natsConnection*, natsSubscription* sub, natsStatus err,
                      void* closure) {
    auto* c = static_cast<Connection*>(closure);
    const char* subject =
        sub != nullptr ? natsSubscription_GetSubject(sub) : nullptr;
    spdlog::error("nats {}: asynchronous error: {}{}{}", c->name,
                  natsStatus_GetText(err),
                  subject != nullptr ? " on subject " : "",
                  subject != nullptr ? subject : "");
  }

  // Exponential backoff with jitter, called by nats.c's reconnect thread
  // after each failed round over the server list.
  static int64_t ReconnectDelay(natsConnection*, int attempts, void* closure) {
    auto* c = static_cast<Connection*>(closure);
    const int doublings = std::clamp(attempts - 1, 0, 20);
    const int64_t base = c->reconnect_wait.count();
    const int64_t delay =
        std::min<int64_t>(c->max_reconnect_wait.count(), base << doublings);
    int64_t jitter = 0;
    if (c->reconnect_jitter.count() > 0) {
      absl::MutexLock lock(&c->mu);
      jitter =
          static_cast<int64_t>(c->rng() % (c->reconnect_jitter.count() + 1));
    }
    return std::max<int64_t>(1, delay + jitter);
  }
};

// One subscription. nats.c's message handler and completion callback get a
// raw pointer to it; `self` keeps it alive until the completion callback,
// after which nats.c never touches it again.
struct NatsPubSub::Subscription {
  std::string subject;
  std::string stream;  // what the callback gets, unless `raw`
  bool raw = false;
  natsSubscription* sub = nullptr;
  std::shared_ptr<Subscription> self;

  // The gate: held while the user callback runs; `active` is cleared under
  // it, so once unsubscribe has taken it no call is running or will start.
  absl::Mutex deliver_mu;
  std::atomic<bool> active{true};
  PubSubCallback callback;  // guarded by deliver_mu once subscribed

  absl::Mutex complete_mu;
  bool completed ABSL_GUARDED_BY(complete_mu) = false;

  static void OnMessage(natsConnection*, natsSubscription*, natsMsg* msg,
                        void* closure);
  static void OnComplete(void* closure) {
    auto* s = static_cast<Subscription*>(closure);
    std::shared_ptr<Subscription> keep = std::move(s->self);
    absl::MutexLock lock(&s->complete_mu);
    s->completed = true;
  }
};

namespace {
// The subscription whose callback this thread is running (nullptr on any
// thread that is not inside a NatsPubSub callback). Lets unsubscribe tell
// that it was called from a callback, where waiting could deadlock.
thread_local const void* tls_delivering = nullptr;
}  // namespace

void NatsPubSub::Subscription::OnMessage(natsConnection*, natsSubscription*,
                                         natsMsg* msg, void* closure) {
  std::unique_ptr<natsMsg, MsgDeleter> owned(msg);
  auto* s = static_cast<Subscription*>(closure);
  if (!s->active.load(std::memory_order_acquire)) return;
  const absl::string_view data(
      natsMsg_GetData(msg),
      static_cast<std::size_t>(std::max(0, natsMsg_GetDataLength(msg))));
  const char* subject = s->raw ? natsMsg_GetSubject(msg) : nullptr;
  const absl::string_view name =
      s->raw ? absl::string_view(subject != nullptr ? subject : "")
             : absl::string_view(s->stream);
  const void* previous = tls_delivering;
  tls_delivering = s;
  {
    absl::MutexLock lock(&s->deliver_mu);
    if (s->active.load(std::memory_order_relaxed)) {
      try {
        s->callback(name, data);
      } catch (const std::exception& e) {
        spdlog::error("nats: subscriber of {} threw: {}", s->subject, e.what());
      } catch (...) {
        spdlog::error("nats: subscriber of {} threw", s->subject);
      }
    }
  }
  tls_delivering = previous;
}

absl::StatusOr<std::unique_ptr<NatsPubSub>> NatsPubSub::Connect(
    const NatsPubSubOptions& options) {
  if (absl::Status s = ValidateSubjectPrefix(options.subject_prefix); !s.ok()) {
    return s;
  }
  std::vector<std::string> servers;
  for (absl::string_view part : absl::StrSplit(options.url, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (!part.empty()) servers.emplace_back(part);
  }
  if (servers.empty()) {
    return absl::InvalidArgumentError("nats: no server URL given");
  }
  if (options.reconnect_wait.count() <= 0 ||
      options.max_reconnect_wait < options.reconnect_wait ||
      options.reconnect_jitter.count() < 0 ||
      options.connect_timeout.count() <= 0 ||
      options.flush_timeout.count() <= 0 || options.max_reconnect < -1 ||
      options.reconnect_buffer_bytes < 0 || options.delivery_pool_size < 0) {
    return absl::InvalidArgumentError(
        "nats: invalid timing, reconnect, buffer or pool option");
  }

  // Library initialisation is idempotent; the delivery pool only grows.
  if (natsStatus s = nats_Open(-1); s != NATS_OK) {
    return FromNats(s, "library initialisation");
  }
  if (options.delivery_pool_size > 0) {
    if (natsStatus s =
            nats_SetMessageDeliveryPoolSize(options.delivery_pool_size);
        s != NATS_OK) {
      return FromNats(s, "delivery pool size");
    }
  }

  auto connection = std::make_shared<Connection>();
  connection->name = options.name;
  connection->reconnect_wait = options.reconnect_wait;
  connection->max_reconnect_wait = options.max_reconnect_wait;
  connection->reconnect_jitter = options.reconnect_jitter;
  connection->on_change = options.on_connection_change;
  Connection* c = connection.get();

  natsOptions* raw_opts = nullptr;
  if (natsStatus s = natsOptions_Create(&raw_opts); s != NATS_OK) {
    return FromNats(s, "options");
  }
  std::unique_ptr<natsOptions, OptionsDeleter> opts(raw_opts);
  std::vector<const char*> server_ptrs;
  for (const auto& server : servers) server_ptrs.push_back(server.c_str());

  natsStatus s = natsOptions_SetServers(opts.get(), server_ptrs.data(),
                                        static_cast<int>(server_ptrs.size()));
  if (s == NATS_OK && !options.name.empty()) {
    s = natsOptions_SetName(opts.get(), options.name.c_str());
  }
  if (s == NATS_OK) {
    s = natsOptions_SetTimeout(opts.get(), options.connect_timeout.count());
  }
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(opts.get(), true);
  if (s == NATS_OK) {
    s = natsOptions_SetMaxReconnect(opts.get(), options.max_reconnect);
  }
  if (s == NATS_OK) {
    s = natsOptions_SetCustomReconnectDelay(opts.get(),
                                            &Connection::ReconnectDelay, c);
  }
  if (s == NATS_OK && options.reconnect_buffer_bytes > 0) {
    s = natsOptions_SetReconnectBufSize(opts.get(),
                                        options.reconnect_buffer_bytes);
  }
  if (s == NATS_OK) {
    s = natsOptions_UseGlobalMessageDelivery(opts.get(), true);
  }
  if (s == NATS_OK) {
    s = natsOptions_SetDisconnectedCB(opts.get(), &Connection::OnDisconnected,
                                      c);
  }
  if (s == NATS_OK) {
    s = natsOptions_SetReconnectedCB(opts.get(), &Connection::OnReconnected, c);
  }
  if (s == NATS_OK) {
    s = natsOptions_SetClosedCB(opts.get(), &Connection::OnClosed, c);
  }
  if (s == NATS_OK) {
    s = natsOptions_SetErrorHandler(opts.get(), &Connection::OnError, c);
  }
  if (s == NATS_OK && options.retry_on_failed_connect) {
    s = natsOptions_SetRetryOnFailedConnect(opts.get(), true,
                                            &Connection::OnConnected, c);
  }
  if (s != NATS_OK) return FromNats(s, "options");

  // From here nats.c may call back until the "closed" callback.
  connection->self = connection;
  natsConnection* nc = nullptr;
  s = natsConnection_Connect(&nc, opts.get());
  if (s == NATS_OK) {
    spdlog::info("nats {}: connected to {}", options.name, ConnectedUrl(nc));
  } else if (s == NATS_NOT_YET_CONNECTED && nc != nullptr) {
    spdlog::warn(
        "nats {}: no server reachable at {}; retrying in the "
        "background",
        options.name, options.url);
  } else {
    // No connection object, so no callbacks.
    connection->self.reset();
    return FromNats(s, absl::StrCat("connect to ", options.url));
  }
  connection->nc = nc;
  if (s == NATS_OK) connection->InitiallyConnected();
  return std::unique_ptr<NatsPubSub>(
      new NatsPubSub(std::move(connection), options));
}

NatsPubSub::NatsPubSub(std::shared_ptr<Connection> connection,
                       const NatsPubSubOptions& options)
    : connection_(std::move(connection)),
      subject_prefix_(options.subject_prefix),
      flush_timeout_(options.flush_timeout) {}

NatsPubSub::~NatsPubSub() {
  std::vector<std::shared_ptr<Subscription>> subs;
  {
    absl::MutexLock lock(&mu_);
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
  }
  natsConnection* nc = connection_->nc;
  if (natsConnection_Status(nc) == NATS_CONN_STATUS_CONNECTED) {
    // Best effort: let buffered broadcasts reach the server.
    (void)connection_->FlushAndReap(flush_timeout_);
  }
  // Closing closes every subscription; nats.c then runs their completion
  // callbacks, which release them.
  // It also joins nats.c's read loop, so nothing of nats.c's still looks
  // at the subscriptions.
  natsConnection_Close(nc);
  for (const auto& sub : subs) natsSubscription_Destroy(sub->sub);
  connection_->DestroyBuried();
  {
    absl::MutexLock lock(&connection_->mu);
    if (!connection_->mu.AwaitWithTimeout(absl::Condition(&connection_->closed),
                                          kCompletionWait)) {
      spdlog::error("nats {}: no closed callback after closing",
                    connection_->name);
    }
  }
  natsConnection_Destroy(nc);
}

absl::StatusOr<PubSubSubscriptionId> NatsPubSub::subscribe(
    absl::string_view stream, PubSubCallback callback) {
  if (absl::Status s = ValidateStreamName(stream, subject_prefix_); !s.ok()) {
    return s;
  }
  return SubscribeImpl(StreamSubject(subject_prefix_, stream),
                       std::string(stream), /*raw=*/false, std::move(callback));
}

absl::StatusOr<PubSubSubscriptionId> NatsPubSub::subscribe_subject(
    absl::string_view subject, PubSubCallback callback) {
  if (absl::Status s = ValidateSubject(subject, /*allow_wildcards=*/true);
      !s.ok()) {
    return s;
  }
  return SubscribeImpl(std::string(subject), std::string(), /*raw=*/true,
                       std::move(callback));
}

absl::StatusOr<PubSubSubscriptionId> NatsPubSub::SubscribeImpl(
    std::string subject, std::string stream, bool raw,
    PubSubCallback callback) {
  if (!callback) return absl::InvalidArgumentError("subscribe: no callback");
  natsConnection* nc = connection_->nc;
  if (natsConnection_Status(nc) != NATS_CONN_STATUS_CONNECTED) {
    return absl::UnavailableError(absl::StrCat(
        "nats: not connected; cannot make a live subscription to ", subject));
  }
  auto sub = std::make_shared<Subscription>();
  sub->subject = std::move(subject);
  sub->stream = std::move(stream);
  sub->raw = raw;
  sub->callback = std::move(callback);
  sub->self = sub;
  natsSubscription* ns = nullptr;
  natsStatus s = natsConnection_Subscribe(&ns, nc, sub->subject.c_str(),
                                          &Subscription::OnMessage, sub.get());
  if (s != NATS_OK) {
    sub->self.reset();  // nats.c has no reference to it
    return FromNats(s, absl::StrCat("subscribe to ", sub->subject));
  }
  sub->sub = ns;
  s = natsSubscription_SetOnCompleteCB(ns, &Subscription::OnComplete,
                                       sub.get());
  if (s != NATS_OK) {
    // Already closed (the connection closed under us). Without a
    // completion callback we cannot know when nats.c is done with `sub`,
    // so it stays allocated (`self`); the gate keeps the callback quiet.
    absl::Status status =
        FromNats(s, absl::StrCat("subscribe to ", sub->subject));
    {
      absl::MutexLock lock(&sub->deliver_mu);
      sub->active.store(false, std::memory_order_release);
    }
    connection_->Bury(ns);
    return status;
  }
  s = connection_->FlushAndReap(flush_timeout_);
  if (s != NATS_OK) {
    absl::Status status =
        FromNats(s, absl::StrCat("subscription to ", sub->subject,
                                 " not confirmed by the server"));
    Close(sub);
    return absl::UnavailableError(status.message());
  }
  absl::MutexLock lock(&mu_);
  const PubSubSubscriptionId id = next_id_++;
  subscriptions_.emplace(id, std::move(sub));
  return id;
}

void NatsPubSub::unsubscribe(PubSubSubscriptionId id) {
  std::shared_ptr<Subscription> sub;
  {
    absl::MutexLock lock(&mu_);
    auto it = subscriptions_.find(id);
    if (it == subscriptions_.end()) return;
    sub = std::move(it->second);
    subscriptions_.erase(it);
  }
  Close(sub);
}

void NatsPubSub::Close(const std::shared_ptr<Subscription>& sub) {
  // Fails only if the subscription or connection is already closed, in
  // which case nats.c has closed the subscription itself.
  (void)natsSubscription_Unsubscribe(sub->sub);
  const bool own_callback = tls_delivering == sub.get();
  PubSubCallback callback;  // destroyed here, not on a nats.c thread
  if (own_callback) {
    // This thread holds deliver_mu inside the callback: clearing the flag
    // stops every later call; the running one is our caller.
    sub->active.store(false, std::memory_order_release);
  } else {
    absl::MutexLock lock(&sub->deliver_mu);
    sub->active.store(false, std::memory_order_release);
    callback = std::move(sub->callback);
  }
  // nats.c runs the completion callback on the subscription's delivery
  // thread. From inside any callback that thread may be this one (the pool
  // is shared), so waiting there could deadlock; the gate above already
  // guarantees the contract.
  if (tls_delivering == nullptr) {
    absl::MutexLock lock(&sub->complete_mu);
    if (!sub->complete_mu.AwaitWithTimeout(absl::Condition(&sub->completed),
                                           kCompletionWait)) {
      spdlog::warn("nats: subscription to {} not completed after {}",
                   sub->subject, absl::FormatDuration(kCompletionWait));
    }
  }
  connection_->Bury(sub->sub);
  // Subscribing and flush() reap buried subscriptions; reap here too if
  // many pile up without either (only while connected: a flush while
  // disconnected would just wait for its timeout).
  if (connection_->buried() >= kMaxBuried &&
      natsConnection_Status(connection_->nc) == NATS_CONN_STATUS_CONNECTED) {
    (void)connection_->FlushAndReap(flush_timeout_);
  }
}

absl::Status NatsPubSub::broadcast(absl::string_view stream,
                                   absl::string_view message) {
  if (absl::Status s = ValidateStreamName(stream, subject_prefix_); !s.ok()) {
    return s;
  }
  return PublishImpl(StreamSubject(subject_prefix_, stream), message);
}

absl::Status NatsPubSub::publish_subject(absl::string_view subject,
                                         absl::string_view data) {
  if (absl::Status s = ValidateSubject(subject, /*allow_wildcards=*/false);
      !s.ok()) {
    return s;
  }
  return PublishImpl(std::string(subject), data);
}

absl::Status NatsPubSub::PublishImpl(const std::string& subject,
                                     absl::string_view data) {
  if (data.size() > static_cast<std::size_t>(INT_MAX)) {
    return absl::InvalidArgumentError("nats: message too large");
  }
  natsStatus s =
      natsConnection_Publish(connection_->nc, subject.c_str(), data.data(),
                             static_cast<int>(data.size()));
  return FromNats(s, absl::StrCat("publish to ", subject));
}

absl::Status NatsPubSub::Flush(std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) {
    return absl::InvalidArgumentError("flush: timeout must be positive");
  }
  return FromNats(connection_->FlushAndReap(timeout), "flush");
}

absl::Status NatsPubSub::flush() { return Flush(flush_timeout_); }

bool NatsPubSub::connected() const {
  return connection_->connected_flag.load(std::memory_order_acquire);
}

bool NatsPubSub::AwaitConnected(bool want,
                                std::chrono::milliseconds timeout) const {
  struct Want {
    const Connection* c;
    bool want;
    bool operator()() const ABSL_NO_THREAD_SAFETY_ANALYSIS {
      return c->connected == want;
    }
  } cond{connection_.get(), want};
  absl::MutexLock lock(&connection_->mu);
  return connection_->mu.AwaitWithTimeout(absl::Condition(&cond),
                                          absl::FromChrono(timeout));
}

std::size_t NatsPubSub::subscription_count() const {
  absl::MutexLock lock(&mu_);
  return subscriptions_.size();
}

}  // namespace cable
