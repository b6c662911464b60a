#include "cable/gateway/session_store.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "cable/gateway/in_memory_session_store.h"
#include "cable/gateway/jetstream_session_store.h"
#include "cable/jetstream_client.h"

namespace cable::gateway {
namespace {

// Bounds each batch of saves and lookups: a lookup holds up a client's
// connect, so a stalled NATS should fail it (no restore) soon.
constexpr absl::Duration kSessionRequestTimeout = absl::Seconds(2);

}  // namespace

absl::StatusOr<std::unique_ptr<SessionStore>> MakeSessionStore(
    const std::string& nats_url, const std::string& name,
    const NatsSecurity& security, std::chrono::milliseconds ttl) {
  if (ttl <= std::chrono::milliseconds::zero()) return nullptr;
  if (nats_url.empty()) return std::make_unique<InMemorySessionStore>(ttl);
  JetStreamClient::Options client_options;
  client_options.url = nats_url;
  client_options.name = name + " sessions";
  client_options.request_timeout = kSessionRequestTimeout;
  client_options.security = security;
  auto client = JetStreamClient::Connect(client_options);
  if (!client.ok()) return client.status();
  JetStreamSessionStoreOptions options;
  options.ttl = ttl;
  auto store = JetStreamSessionStore::Create(*std::move(client), options);
  if (absl::IsFailedPrecondition(store.status())) {
    spdlog::warn(
        "session restore is off: {}; extended clients reconnecting with a "
        "sid subscribe again themselves",
        std::string(store.status().message()));
    return nullptr;
  }
  if (!store.ok()) return store.status();
  return std::unique_ptr<SessionStore>(*std::move(store));
}

}  // namespace cable::gateway
