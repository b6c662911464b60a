#include "cable/nats_pubsub.h"

#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstring>
#include <exception>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
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

// nats.c's defaults (natsp.h), which the options leave in place.
constexpr std::size_t kDefaultReconnectBufferBytes = 8 << 20;
constexpr int kDefaultPendingMsgs = 65536;
constexpr std::int64_t kDefaultPendingBytes = 64 << 20;

// What a fragment's headers say (see nats_pubsub.h).
struct Fragment {
  std::uint64_t nonce = 0;
  std::uint64_t sequence = 0;
  std::uint64_t index = 0;
  std::uint64_t count = 0;
  std::uint64_t size = 0;
};

enum class FragmentKind { kNone, kFragment, kMalformed };

bool AllOf(absl::string_view text, bool (*pred)(unsigned char)) {
  return std::all_of(text.begin(), text.end(), [pred](char c) {
    return pred(static_cast<unsigned char>(c));
  });
}

bool ParseDecimal(const char* text, std::uint64_t* out) {
  if (text == nullptr) return false;
  const absl::string_view digits(text);
  return !digits.empty() && digits.size() <= 19 &&
         AllOf(digits, absl::ascii_isdigit) && absl::SimpleAtoi(digits, out);
}

bool GetDecimal(natsMsg* msg, const char* key, std::uint64_t* out) {
  const char* value = nullptr;
  return natsMsgHeader_Get(msg, key, &value) == NATS_OK &&
         ParseDecimal(value, out);
}

// kNone for a message without Cable's fragment headers (every plain
// message: for one without headers this is a single cheap lookup).
FragmentKind ParseFragment(natsMsg* msg, Fragment* f) {
  const char* id = nullptr;
  if (natsMsgHeader_Get(msg, kFragmentIdHeader, &id) != NATS_OK ||
      id == nullptr) {
    return FragmentKind::kNone;
  }
  const absl::string_view id_view(id);
  constexpr std::size_t kNonceDigits = 16;
  if (id_view.size() <= kNonceDigits + 1 || id_view[kNonceDigits] != '.') {
    return FragmentKind::kMalformed;
  }
  const absl::string_view nonce = id_view.substr(0, kNonceDigits);
  const std::string sequence(id_view.substr(kNonceDigits + 1));
  if (!AllOf(nonce, absl::ascii_isxdigit) ||
      !absl::SimpleHexAtoi(nonce, &f->nonce) ||
      !ParseDecimal(sequence.c_str(), &f->sequence) ||
      !GetDecimal(msg, kFragmentIndexHeader, &f->index) ||
      !GetDecimal(msg, kFragmentCountHeader, &f->count) ||
      !GetDecimal(msg, kFragmentSizeHeader, &f->size) || f->count == 0 ||
      f->index >= f->count) {
    return FragmentKind::kMalformed;
  }
  return FragmentKind::kFragment;
}

std::uint64_t RandomNonce() {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

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

// What the subscriptions of one NatsPubSub share for reassembling
// fragmented messages: limits, the memory budget, statistics, and the
// sweeper thread that drops stale partial messages. Subscriptions hold a
// reference (they can outlive the NatsPubSub until nats.c completes them);
// the sweeper is joined by ~NatsPubSub.
//
// Locks: Subscription::deliver_mu, then Subscription::frag_mu, then mu.
struct NatsPubSub::Reassembly {
  Reassembly(std::size_t max_message_bytes, std::size_t max_bytes,
             absl::Duration timeout, std::string name)
      : max_message_bytes(max_message_bytes),
        max_bytes(max_bytes),
        timeout(timeout),
        name(std::move(name)) {}

  const std::size_t max_message_bytes;
  const std::size_t max_bytes;
  const absl::Duration timeout;
  const std::string name;  // of the connection, for logs

  mutable absl::Mutex mu;
  ReassemblyStats stats ABSL_GUARDED_BY(mu);
  // Every subscription holding partial messages is here (it may stay a
  // little longer); the sweeper looks at these only. A subscription
  // removes itself under its frag_mu when it holds none, and adds itself
  // under its frag_mu when it starts one.
  absl::flat_hash_map<const Subscription*, std::weak_ptr<Subscription>> watched
      ABSL_GUARDED_BY(mu);
  bool stopping ABSL_GUARDED_BY(mu) = false;
  std::thread sweeper ABSL_GUARDED_BY(mu);

  // Reserves `bytes` for a new partial message of `sub` and has the
  // sweeper watch `sub` (starting it if needed). False when over budget.
  bool Admit(Subscription* sub, std::size_t bytes);

  void Release(std::size_t bytes) {
    absl::MutexLock lock(&mu);
    stats.pending_bytes -= bytes;
    --stats.pending;
  }

  void Count(bool completed) {
    absl::MutexLock lock(&mu);
    ++(completed ? stats.completed : stats.dropped);
  }

  void Unwatch(const Subscription* sub) {
    absl::MutexLock lock(&mu);
    watched.erase(sub);
  }

  // Stops and joins the sweeper; no new one starts afterwards.
  void Stop() {
    std::thread thread;
    {
      absl::MutexLock lock(&mu);
      stopping = true;
      thread = std::move(sweeper);
    }
    if (thread.joinable()) thread.join();
  }

  // The sweeper: while any subscription is watched, every timeout/4
  // drops the partial messages that made no progress for `timeout`.
  void Sweep();
};

// One subscription. nats.c's message handler and completion callback get a
// raw pointer to it; `self` keeps it alive until the completion callback,
// after which nats.c never touches it again.
struct NatsPubSub::Subscription
    : std::enable_shared_from_this<NatsPubSub::Subscription> {
  std::string subject;
  std::string stream;  // what the callback gets, unless `raw`
  bool raw = false;
  natsSubscription* sub = nullptr;
  std::shared_ptr<Subscription> self;
  std::shared_ptr<Reassembly> reassembly;

  // The gate: held while the user callback runs; `active` is cleared under
  // it, so once unsubscribe has taken it no call is running or will start.
  absl::Mutex deliver_mu;
  std::atomic<bool> active{true};
  PubSubCallback callback;  // guarded by deliver_mu once subscribed

  absl::Mutex complete_mu;
  bool completed ABSL_GUARDED_BY(complete_mu) = false;

  // A fragmented message being received: its memory (`size` bytes) is
  // reserved in the Reassembly until it is destroyed.
  struct Partial {
    Partial(Reassembly* owner, std::size_t size) : owner(owner), size(size) {}
    Partial(const Partial&) = delete;
    Partial& operator=(const Partial&) = delete;
    ~Partial() { owner->Release(size); }

    Reassembly* const owner;
    const std::size_t size;
    std::uint64_t sequence = 0;
    std::uint64_t count = 0;
    std::uint64_t next_index = 0;
    std::string data;
    absl::Time last_progress;
  };
  // Partial messages by publisher nonce: a publisher sends its fragmented
  // messages one after the other, so it has at most one in progress.
  absl::Mutex frag_mu;
  absl::flat_hash_map<std::uint64_t, std::unique_ptr<Partial>> partials
      ABSL_GUARDED_BY(frag_mu);

  // Takes one fragment (called under deliver_mu). True, with the message
  // in `*whole`, when it completed a message.
  bool AddFragment(const Fragment& f, absl::string_view data,
                   std::string* whole);
  // Drops partial messages without progress since `now - timeout`.
  void DropStale(absl::Time now);
  // Drops every partial message (the subscription is closing).
  void DiscardPartials() {
    absl::MutexLock lock(&frag_mu);
    partials.clear();
    reassembly->Unwatch(this);
  }

  // Runs the user callback (under deliver_mu, while active).
  void Deliver(absl::string_view name, absl::string_view data) {
    try {
      callback(name, data);
    } catch (const std::exception& e) {
      spdlog::error("nats: subscriber of {} threw: {}", subject, e.what());
    } catch (...) {
      spdlog::error("nats: subscriber of {} threw", subject);
    }
  }

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

bool NatsPubSub::Reassembly::Admit(Subscription* sub, std::size_t bytes) {
  absl::MutexLock lock(&mu);
  if (bytes > max_bytes - stats.pending_bytes) return false;
  stats.pending_bytes += bytes;
  ++stats.pending;
  watched.insert_or_assign(sub, sub->weak_from_this());
  if (!sweeper.joinable() && !stopping) {
    sweeper = std::thread([this] { Sweep(); });
  }
  return true;
}

void NatsPubSub::Reassembly::Sweep() {
  const absl::Duration period =
      std::clamp(timeout / 4, absl::Milliseconds(1), absl::Seconds(1));
  auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return stopping || !watched.empty();
  };
  mu.Lock();
  for (;;) {
    mu.Await(absl::Condition(&has_work));
    if (!stopping) mu.AwaitWithTimeout(absl::Condition(&stopping), period);
    if (stopping) break;
    std::vector<std::shared_ptr<Subscription>> subs;
    for (auto it = watched.begin(); it != watched.end();) {
      if (std::shared_ptr<Subscription> sub = it->second.lock()) {
        subs.push_back(std::move(sub));
        ++it;
      } else {
        watched.erase(it++);
      }
    }
    mu.Unlock();
    const absl::Time now = absl::Now();
    for (const auto& sub : subs) sub->DropStale(now);
    subs.clear();  // may destroy subscriptions, which takes mu
    mu.Lock();
  }
  mu.Unlock();
}

bool NatsPubSub::Subscription::AddFragment(const Fragment& f,
                                           absl::string_view data,
                                           std::string* whole) {
  Reassembly& r = *reassembly;
  absl::MutexLock lock(&frag_mu);
  auto it = partials.find(f.nonce);
  if (it != partials.end()) {
    const Partial& p = *it->second;
    if (f.sequence != p.sequence || f.index != p.next_index ||
        f.count != p.count || f.size != p.size) {
      // Fragments of p were lost (or its publisher gave up on it): NATS
      // delivers one publisher's fragments in order, and it sends one
      // message's fragments before the next message's.
      spdlog::warn(
          "nats {}: dropping incomplete message {:016x}.{} on {} ({} of {} "
          "bytes, {} of {} fragments): fragment {} of {} of message {} came "
          "next",
          r.name, f.nonce, p.sequence, subject, p.data.size(), p.size,
          p.next_index, p.count, f.index + 1, f.count, f.sequence);
      r.Count(false);
      partials.erase(it);
      it = partials.end();
    }
  }
  if (it == partials.end()) {
    if (f.index != 0) {
      // The rest of a message whose start this subscription did not get
      // (published before it subscribed) or just dropped.
      spdlog::debug("nats {}: skipping fragment {} of message {:016x}.{} on {}",
                    r.name, f.index + 1, f.nonce, f.sequence, subject);
      return false;
    }
    if (f.size > r.max_message_bytes) {
      spdlog::warn(
          "nats {}: dropping message {:016x}.{} on {}: {} bytes, over "
          "max_message_bytes ({})",
          r.name, f.nonce, f.sequence, subject, f.size, r.max_message_bytes);
      r.Count(false);
      return false;
    }
    if (!r.Admit(this, f.size)) {
      spdlog::warn(
          "nats {}: dropping message {:016x}.{} on {}: its {} bytes do not "
          "fit max_reassembly_bytes ({}) next to the other partial messages",
          r.name, f.nonce, f.sequence, subject, f.size, r.max_bytes);
      r.Count(false);
      return false;
    }
    auto p = std::make_unique<Partial>(&r, f.size);
    p->sequence = f.sequence;
    p->count = f.count;
    p->data.reserve(f.size);
    it = partials.emplace(f.nonce, std::move(p)).first;
  }
  Partial& p = *it->second;
  const bool last = p.next_index + 1 == p.count;
  if (p.data.size() + data.size() > p.size ||
      (last && p.data.size() + data.size() != p.size)) {
    spdlog::warn(
        "nats {}: dropping message {:016x}.{} on {}: its fragments do not "
        "add up to the announced {} bytes",
        r.name, f.nonce, f.sequence, subject, p.size);
    r.Count(false);
    partials.erase(it);
    return false;
  }
  p.data.append(data.data(), data.size());
  ++p.next_index;
  p.last_progress = absl::Now();
  if (!last) return false;
  *whole = std::move(p.data);
  partials.erase(it);
  r.Count(true);
  return true;
}

void NatsPubSub::Subscription::DropStale(absl::Time now) {
  Reassembly& r = *reassembly;
  absl::MutexLock lock(&frag_mu);
  for (auto it = partials.begin(); it != partials.end();) {
    const Partial& p = *it->second;
    if (now - p.last_progress < r.timeout) {
      ++it;
      continue;
    }
    spdlog::warn(
        "nats {}: dropping incomplete message {:016x}.{} on {} ({} of {} "
        "bytes, {} of {} fragments): no fragment for {}",
        r.name, it->first, p.sequence, subject, p.data.size(), p.size,
        p.next_index, p.count, absl::FormatDuration(now - p.last_progress));
    r.Count(false);
    partials.erase(it++);
  }
  if (partials.empty()) r.Unwatch(this);
}

void NatsPubSub::Subscription::OnMessage(natsConnection*, natsSubscription*,
                                         natsMsg* msg, void* closure) {
  std::unique_ptr<natsMsg, MsgDeleter> owned(msg);
  auto* s = static_cast<Subscription*>(closure);
  if (!s->active.load(std::memory_order_acquire)) return;
  const absl::string_view data(
      natsMsg_GetData(msg),
      static_cast<std::size_t>(std::max(0, natsMsg_GetDataLength(msg))));
  Fragment fragment;
  const FragmentKind kind = ParseFragment(msg, &fragment);
  const char* subject = s->raw ? natsMsg_GetSubject(msg) : nullptr;
  const absl::string_view name =
      s->raw ? absl::string_view(subject != nullptr ? subject : "")
             : absl::string_view(s->stream);
  const void* previous = tls_delivering;
  tls_delivering = s;
  {
    absl::MutexLock lock(&s->deliver_mu);
    if (s->active.load(std::memory_order_relaxed)) {
      switch (kind) {
        case FragmentKind::kNone:
          s->Deliver(name, data);
          break;
        case FragmentKind::kMalformed:
          spdlog::warn(
              "nats {}: dropping a fragment with malformed Cable-Frag-* "
              "headers on {}",
              s->reassembly->name, s->subject);
          s->reassembly->Count(false);
          break;
        case FragmentKind::kFragment: {
          std::string whole;
          bool complete = false;
          try {
            complete = s->AddFragment(fragment, data, &whole);
          } catch (const std::exception& e) {  // std::bad_alloc
            spdlog::error("nats {}: dropping a fragment on {}: {}",
                          s->reassembly->name, s->subject, e.what());
          }
          if (complete) s->Deliver(name, whole);
          break;
        }
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
  if (options.max_message_bytes == 0 ||
      options.max_reassembly_bytes < options.max_message_bytes ||
      options.reassembly_timeout.count() <= 0) {
    return absl::InvalidArgumentError(
        "nats: max_message_bytes must be positive and at most "
        "max_reassembly_bytes, reassembly_timeout positive");
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
  if (absl::Status secured = ApplyNatsSecurity(opts.get(), options.security);
      !secured.ok()) {
    return secured;
  }

  // From here nats.c may call back until the "closed" callback.
  connection->self = connection;
  natsConnection* nc = nullptr;
  s = natsConnection_Connect(&nc, opts.get());
  if (s == NATS_OK) {
    spdlog::info("nats {}: connected to {}", options.name, ConnectedUrl(nc));
  } else if (s == NATS_NOT_YET_CONNECTED && nc != nullptr) {
    // A server that refused our credentials will refuse them again: fail
    // now with its reason rather than retry forever in the background.
    const char* text = nullptr;
    const natsStatus last = natsConnection_GetLastError(nc, &text);
    const std::string reason = text != nullptr ? text : "";
    if (last == NATS_CONNECTION_AUTH_FAILED ||
        absl::StrContains(absl::AsciiStrToLower(reason), "authorization")) {
      natsConnection_Close(nc);
      {
        absl::MutexLock lock(&connection->mu);
        (void)connection->mu.AwaitWithTimeout(
            absl::Condition(&connection->closed), kCompletionWait);
      }
      natsConnection_Destroy(nc);
      return absl::UnauthenticatedError(absl::StrCat(
          "NATS at ", options.url, " refused the credentials: ", reason));
    }
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
      flush_timeout_(options.flush_timeout),
      max_message_bytes_(options.max_message_bytes),
      reconnect_buffer_bytes_(
          options.reconnect_buffer_bytes > 0
              ? static_cast<std::size_t>(options.reconnect_buffer_bytes)
              : kDefaultReconnectBufferBytes),
      reassembly_(std::make_shared<Reassembly>(
          options.max_message_bytes, options.max_reassembly_bytes,
          absl::FromChrono(options.reassembly_timeout), options.name)),
      nonce_(RandomNonce()) {}

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
    sub->DiscardPartials();
  }
  reassembly_->Stop();
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
  sub->reassembly = reassembly_;
  sub->self = sub;
  natsSubscription* ns = nullptr;
  natsStatus s = natsConnection_Subscribe(&ns, nc, sub->subject.c_str(),
                                          &Subscription::OnMessage, sub.get());
  if (s != NATS_OK) {
    sub->self.reset();  // nats.c has no reference to it
    return FromNats(s, absl::StrCat("subscribe to ", sub->subject));
  }
  sub->sub = ns;
  // Room for a whole message of max_message_bytes queued behind a slow
  // callback: over nats.c's default of 64 MB it would drop fragments. Fails
  // only if the subscription is closed already, which the next call sees.
  (void)natsSubscription_SetPendingLimits(
      ns, kDefaultPendingMsgs,
      static_cast<int>(std::clamp<std::uint64_t>(
          2 * static_cast<std::uint64_t>(max_message_bytes_),
          kDefaultPendingBytes, INT_MAX)));
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
  // No fragment is added once `active` is clear under deliver_mu.
  sub->DiscardPartials();
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
  if (data.size() > max_message_bytes_) {
    return absl::InvalidArgumentError(
        absl::StrCat("nats: a message of ", data.size(), " bytes to ", subject,
                     " is over the limit of ", max_message_bytes_,
                     " bytes (max_message_bytes)"));
  }
  natsConnection* nc = connection_->nc;
  const std::int64_t server_max = natsConnection_GetMaxPayload(nc);
  const std::size_t max_payload = server_max > 0
                                      ? static_cast<std::size_t>(server_max)
                                      : kAssumedMaxPayload;
  if (data.size() > max_payload ||
      data.size() > static_cast<std::size_t>(INT_MAX)) {
    return PublishFragments(subject, data, max_payload);
  }
  // The hot path: one plain message, as without fragmentation.
  natsStatus s = natsConnection_Publish(nc, subject.c_str(), data.data(),
                                        static_cast<int>(data.size()));
  if (s == NATS_MAX_PAYLOAD) {
    // Reconnected to a server with a smaller max payload meanwhile.
    const std::int64_t now_max = natsConnection_GetMaxPayload(nc);
    if (now_max > 0 && data.size() > static_cast<std::size_t>(now_max)) {
      return PublishFragments(subject, data, static_cast<std::size_t>(now_max));
    }
  }
  return FromNats(s, absl::StrCat("publish to ", subject));
}

absl::Status NatsPubSub::PublishFragments(const std::string& subject,
                                          absl::string_view data,
                                          std::size_t max_payload) {
  max_payload = std::min(max_payload, static_cast<std::size_t>(INT_MAX));
  if (max_payload < 2 * kFragmentHeaderRoom) {
    return absl::FailedPreconditionError(
        absl::StrCat("nats: the server's max payload (", max_payload,
                     " bytes) is too small to send a ", data.size(),
                     "-byte message to ", subject, " in fragments"));
  }
  const std::size_t chunk = max_payload - kFragmentHeaderRoom;
  const std::size_t count = (data.size() + chunk - 1) / chunk;
  natsConnection* nc = connection_->nc;
  if (natsConnection_Status(nc) != NATS_CONN_STATUS_CONNECTED) {
    // nats.c refuses a publish once the reconnect buffer is full; refuse
    // the whole message up front rather than buffer a part of it.
    const int buffered = natsConnection_Buffered(nc);
    const std::size_t needed =
        data.size() + count * (kFragmentHeaderRoom + subject.size() + 32);
    if (buffered >= 0 &&
        static_cast<std::size_t>(buffered) + needed > reconnect_buffer_bytes_) {
      return absl::UnavailableError(absl::StrCat(
          "nats: not connected, and the reconnect buffer (", buffered, " of ",
          reconnect_buffer_bytes_, " bytes used) cannot hold a ", data.size(),
          "-byte message to ", subject));
    }
  }
  // One fragmented message at a time from this connection: subscribers
  // then have at most one partial message per publisher.
  absl::MutexLock lock(&fragment_mu_);
  const std::string id =
      absl::StrCat(absl::Hex(nonce_, absl::kZeroPad16), ".", next_sequence_++);
  const std::string count_text = absl::StrCat(count);
  const std::string size_text = absl::StrCat(data.size());
  for (std::size_t i = 0; i < count; ++i) {
    const absl::string_view part = data.substr(i * chunk, chunk);
    const std::string index_text = absl::StrCat(i);
    natsMsg* raw = nullptr;
    natsStatus s = natsMsg_Create(&raw, subject.c_str(), nullptr, part.data(),
                                  static_cast<int>(part.size()));
    std::unique_ptr<natsMsg, MsgDeleter> msg(raw);
    if (s == NATS_OK) s = natsMsgHeader_Set(raw, kFragmentIdHeader, id.c_str());
    if (s == NATS_OK) {
      s = natsMsgHeader_Set(raw, kFragmentIndexHeader, index_text.c_str());
    }
    if (s == NATS_OK) {
      s = natsMsgHeader_Set(raw, kFragmentCountHeader, count_text.c_str());
    }
    if (s == NATS_OK) {
      s = natsMsgHeader_Set(raw, kFragmentSizeHeader, size_text.c_str());
    }
    if (s == NATS_OK) s = natsConnection_PublishMsg(nc, raw);
    if (s != NATS_OK) {
      // Subscribers drop the fragments sent so far.
      return FromNats(s, absl::StrCat("publish fragment ", i + 1, " of ", count,
                                      " (message ", id, ") to ", subject));
    }
  }
  return absl::OkStatus();
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

NatsPubSub::ReassemblyStats NatsPubSub::reassembly_stats() const {
  absl::MutexLock lock(&reassembly_->mu);
  return reassembly_->stats;
}

bool NatsPubSub::AwaitReassemblyStats(
    const std::function<bool(const ReassemblyStats&)>& done,
    std::chrono::milliseconds timeout) const {
  Reassembly* r = reassembly_.get();
  auto ready = [r, &done]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(r->mu) {
    return done(r->stats);
  };
  absl::MutexLock lock(&r->mu);
  return r->mu.AwaitWithTimeout(absl::Condition(&ready),
                                absl::FromChrono(timeout));
}

}  // namespace cable
