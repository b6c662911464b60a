#include "cable/nats_connection.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace cable {
namespace {

// How long Close() waits for nats.c's closed callback. Only resource
// release depends on it, so running over is logged, not fatal.
constexpr absl::Duration kCloseWait = absl::Seconds(10);

struct OptionsDeleter {
  void operator()(natsOptions* o) const { natsOptions_Destroy(o); }
};

std::string ConnectedUrl(natsConnection* nc) {
  char buffer[256];
  if (natsConnection_GetConnectedUrl(nc, buffer, sizeof buffer) != NATS_OK) {
    return "?";
  }
  return buffer;
}

std::vector<std::string> Servers(absl::string_view url) {
  std::vector<std::string> servers;
  for (absl::string_view part : absl::StrSplit(url, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (!part.empty()) servers.emplace_back(part);
  }
  return servers;
}

}  // namespace

absl::StatusCode NatsStatusCode(natsStatus s) {
  switch (s) {
    case NATS_OK:
      return absl::StatusCode::kOk;
    case NATS_TIMEOUT:
      return absl::StatusCode::kDeadlineExceeded;
    case NATS_NOT_FOUND:
      return absl::StatusCode::kNotFound;
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_NOT_YET_CONNECTED:
    case NATS_NO_SERVER:
    case NATS_IO_ERROR:
    case NATS_STALE_CONNECTION:
    case NATS_NO_RESPONDERS:
    case NATS_INSUFFICIENT_BUFFER:
    case NATS_SECURE_CONNECTION_REQUIRED:
    case NATS_SSL_ERROR:
    case NATS_DRAINING:
      return absl::StatusCode::kUnavailable;
    case NATS_CONNECTION_AUTH_FAILED:
      return absl::StatusCode::kUnauthenticated;
    case NATS_NOT_PERMITTED:
      return absl::StatusCode::kPermissionDenied;
    case NATS_INVALID_ARG:
    case NATS_INVALID_SUBJECT:
    case NATS_MAX_PAYLOAD:
    case NATS_ADDRESS_MISSING:
    case NATS_INVALID_TIMEOUT:
      return absl::StatusCode::kInvalidArgument;
    case NATS_NO_MEMORY:
      return absl::StatusCode::kResourceExhausted;
    default:
      return absl::StatusCode::kInternal;
  }
}

absl::Status FromNatsStatus(natsStatus s, absl::string_view what) {
  if (s == NATS_OK) return absl::OkStatus();
  const char* text = natsStatus_GetText(s);
  std::string message = absl::StrCat("nats: ", what, ": ", text);
  const char* detail = nats_GetLastError(nullptr);
  if (detail != nullptr && *detail != '\0' && std::strcmp(detail, text) != 0) {
    absl::StrAppend(&message, " (", detail, ")");
  }
  return absl::Status(NatsStatusCode(s), message);
}

absl::Status ValidateNatsConnectionOptions(const NatsConnectionOptions& o) {
  if (Servers(o.url).empty()) {
    return absl::InvalidArgumentError("nats: no server URL given");
  }
  if (o.reconnect_wait.count() <= 0 ||
      o.max_reconnect_wait < o.reconnect_wait ||
      o.reconnect_jitter.count() < 0 || o.connect_timeout.count() <= 0 ||
      o.max_reconnect < -1 || o.reconnect_buffer_bytes < 0) {
    return absl::InvalidArgumentError(
        "nats: invalid timing, reconnect or buffer option");
  }
  return absl::OkStatus();
}

struct NatsConnection::Callbacks {
  std::string name;
  std::chrono::milliseconds reconnect_wait{0};
  std::chrono::milliseconds max_reconnect_wait{0};
  std::chrono::milliseconds reconnect_jitter{0};
  std::function<void(bool)> on_change;
  std::shared_ptr<Callbacks> self;

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
      // Last: Close() returns once it sees `closed`, and nothing of the
      // owner's may be touched after that.
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
    auto* c = static_cast<Callbacks*>(closure);
    spdlog::info("nats {}: connected to {}", c->name, ConnectedUrl(nc));
    c->Update(true, false);
  }

  static void OnDisconnected(natsConnection* nc, void* closure) {
    auto* c = static_cast<Callbacks*>(closure);
    if (natsConnection_IsClosed(nc)) {
      spdlog::debug("nats {}: disconnected (closing)", c->name);
    } else {
      spdlog::warn("nats {}: disconnected; reconnecting", c->name);
    }
    c->Update(false, false);
  }

  static void OnReconnected(natsConnection* nc, void* closure) {
    auto* c = static_cast<Callbacks*>(closure);
    spdlog::info("nats {}: reconnected to {}", c->name, ConnectedUrl(nc));
    c->Update(true, false);
  }

  static void OnClosed(natsConnection*, void* closure) {
    auto* c = static_cast<Callbacks*>(closure);
    // The last callback nats.c makes for this connection.
    std::shared_ptr<Callbacks> keep = std::move(c->self);
    spdlog::info("nats {}: connection closed", c->name);
    c->Update(false, true);
  }

  static void OnError(natsConnection*, natsSubscription* sub, natsStatus err,
                      void* closure) {
    auto* c = static_cast<Callbacks*>(closure);
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
    auto* c = static_cast<Callbacks*>(closure);
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

absl::StatusOr<std::unique_ptr<NatsConnection>> NatsConnection::Connect(
    const NatsConnectionOptions& options) {
  if (absl::Status s = ValidateNatsConnectionOptions(options); !s.ok()) {
    return s;
  }
  // Idempotent.
  if (natsStatus s = nats_Open(-1); s != NATS_OK) {
    return FromNatsStatus(s, "library initialisation");
  }
  auto callbacks = std::make_shared<Callbacks>();
  callbacks->name = options.name;
  callbacks->reconnect_wait = options.reconnect_wait;
  callbacks->max_reconnect_wait = options.max_reconnect_wait;
  callbacks->reconnect_jitter = options.reconnect_jitter;
  callbacks->on_change = options.on_connection_change;
  Callbacks* c = callbacks.get();

  natsOptions* raw_opts = nullptr;
  if (natsStatus s = natsOptions_Create(&raw_opts); s != NATS_OK) {
    return FromNatsStatus(s, "options");
  }
  std::unique_ptr<natsOptions, OptionsDeleter> opts(raw_opts);
  const std::vector<std::string> servers = Servers(options.url);
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
                                            &Callbacks::ReconnectDelay, c);
  }
  if (s == NATS_OK && options.reconnect_buffer_bytes > 0) {
    s = natsOptions_SetReconnectBufSize(opts.get(),
                                        options.reconnect_buffer_bytes);
  }
  if (s == NATS_OK && options.global_message_delivery) {
    s = natsOptions_UseGlobalMessageDelivery(opts.get(), true);
  }
  if (s == NATS_OK) {
    s = natsOptions_SetDisconnectedCB(opts.get(), &Callbacks::OnDisconnected,
                                      c);
  }
  if (s == NATS_OK) {
    s = natsOptions_SetReconnectedCB(opts.get(), &Callbacks::OnReconnected, c);
  }
  if (s == NATS_OK) {
    s = natsOptions_SetClosedCB(opts.get(), &Callbacks::OnClosed, c);
  }
  if (s == NATS_OK) {
    s = natsOptions_SetErrorHandler(opts.get(), &Callbacks::OnError, c);
  }
  if (s != NATS_OK) return FromNatsStatus(s, "options");
  if (absl::Status secured = ApplyNatsSecurity(opts.get(), options.security);
      !secured.ok()) {
    return secured;
  }

  // From here nats.c may call back until the "closed" callback. A failed
  // natsConnection_Connect leaves no connection object, so no callbacks.
  callbacks->self = callbacks;
  natsConnection* nc = nullptr;
  // First attempt without retry-on-failed-connect: its status is the
  // servers' answer. (With retry, nats.c's reconnect thread starts before
  // Connect returns and clears the last error, so a refusal could read as
  // "no server".)
  s = natsConnection_Connect(&nc, opts.get());
  if (s == NATS_OK) {
    spdlog::info("nats {}: connected to {}", options.name, ConnectedUrl(nc));
    callbacks->InitiallyConnected();
    return std::unique_ptr<NatsConnection>(
        new NatsConnection(std::move(callbacks), nc));
  }
  const char* detail = nats_GetLastError(nullptr);
  const std::string reason = detail != nullptr ? detail : "";
  if (s == NATS_CONNECTION_AUTH_FAILED ||
      absl::StrContains(absl::AsciiStrToLower(reason), "authorization")) {
    // A server that refused our credentials will refuse them again: fail
    // now with its reason rather than retry forever in the background.
    callbacks->self.reset();
    return absl::UnauthenticatedError(
        absl::StrCat("NATS at ", options.url, " refused the credentials: ",
                     reason.empty() ? natsStatus_GetText(s) : reason));
  }
  if (s != NATS_NO_SERVER || !options.retry_on_failed_connect) {
    callbacks->self.reset();
    return FromNatsStatus(s, absl::StrCat("connect to ", options.url));
  }
  // No server reachable: connect again, this time in the background.
  nc = nullptr;
  s = natsOptions_SetRetryOnFailedConnect(opts.get(), true,
                                          &Callbacks::OnConnected, c);
  if (s == NATS_OK) s = natsConnection_Connect(&nc, opts.get());
  if (s == NATS_OK) {
    spdlog::info("nats {}: connected to {}", options.name, ConnectedUrl(nc));
    callbacks->InitiallyConnected();
  } else if (s == NATS_NOT_YET_CONNECTED && nc != nullptr) {
    spdlog::warn(
        "nats {}: no server reachable at {}; retrying in the background",
        options.name, options.url);
  } else {
    callbacks->self.reset();
    return FromNatsStatus(s, absl::StrCat("connect to ", options.url));
  }
  return std::unique_ptr<NatsConnection>(
      new NatsConnection(std::move(callbacks), nc));
}

NatsConnection::NatsConnection(std::shared_ptr<Callbacks> callbacks,
                               natsConnection* nc)
    : callbacks_(std::move(callbacks)), nc_(nc) {}

NatsConnection::~NatsConnection() {
  Close();
  natsConnection_Destroy(nc_);
}

const std::string& NatsConnection::name() const { return callbacks_->name; }

bool NatsConnection::connected() const {
  return callbacks_->connected_flag.load(std::memory_order_acquire);
}

bool NatsConnection::AwaitConnected(bool want,
                                    std::chrono::milliseconds timeout) const {
  const Callbacks* c = callbacks_.get();
  auto reached = [c, want]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->mu) {
    return c->connected == want;
  };
  absl::MutexLock lock(&c->mu);
  return c->mu.AwaitWithTimeout(absl::Condition(&reached),
                                absl::FromChrono(timeout));
}

void NatsConnection::Bury(natsSubscription* sub) {
  absl::MutexLock lock(&graveyard_mu_);
  graveyard_.push_back(sub);
}

std::size_t NatsConnection::buried() const {
  absl::MutexLock lock(&graveyard_mu_);
  return graveyard_.size();
}

natsStatus NatsConnection::FlushAndReap(std::chrono::milliseconds timeout) {
  std::vector<natsSubscription*> batch;
  {
    absl::MutexLock lock(&graveyard_mu_);
    batch.swap(graveyard_);
  }
  const natsStatus s = natsConnection_FlushTimeout(nc_, timeout.count());
  if (s == NATS_OK) {
    for (natsSubscription* sub : batch) natsSubscription_Destroy(sub);
  } else if (!batch.empty()) {
    absl::MutexLock lock(&graveyard_mu_);
    graveyard_.insert(graveyard_.end(), batch.begin(), batch.end());
  }
  return s;
}

void NatsConnection::Close() {
  {
    absl::MutexLock lock(&close_mu_);
    if (closed_) return;
    closed_ = true;
  }
  // Joins nats.c's read loop: nothing of nats.c's looks at the buried
  // subscriptions afterwards.
  natsConnection_Close(nc_);
  std::vector<natsSubscription*> batch;
  {
    absl::MutexLock lock(&graveyard_mu_);
    batch.swap(graveyard_);
  }
  for (natsSubscription* sub : batch) natsSubscription_Destroy(sub);
  Callbacks* c = callbacks_.get();
  absl::MutexLock lock(&c->mu);
  if (!c->mu.AwaitWithTimeout(absl::Condition(&c->closed), kCloseWait)) {
    spdlog::error("nats {}: no closed callback after closing", c->name);
  }
}

}  // namespace cable
