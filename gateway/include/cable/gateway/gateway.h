#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cable/gateway/options.h"
#include "cable/gateway/static_files.h"
#include "cable/pubsub.h"

namespace grpc {
class ChannelInterface;
}  // namespace grpc

namespace prometheus {
class Collectable;
}  // namespace prometheus

namespace cable {
class History;
}

namespace cable::gateway {

class SessionStore;

// What a gateway is connected to.
struct GatewayBackends {
  // Streams (the Hub's backend) and the control bus (sdk/control_bus.h);
  // both must outlive the gateway.
  PubSub* streams = nullptr;
  PubSub* control = nullptr;
  // The cable service: a network channel (MakeServiceChannel) or the
  // in-process channel of the all-in-one server.
  std::shared_ptr<grpc::ChannelInterface> service;
  bool service_in_process = false;
  // Presented to the service as `authorization: Bearer <secret>` on every
  // call (the service's --gateway_secret); empty sends nothing.
  std::string service_secret;
  // Files served over HTTP GET (the shipped binaries' demo); may be empty.
  StaticFiles static_files;
  // More counters served at /metrics (the all-in-one server's service).
  std::vector<std::shared_ptr<prometheus::Collectable>> extra_metrics;
  // Whether the pub/sub backends are connected; empty means always.
  std::function<bool()> pubsub_ready;
  // The streams' history, for extended-protocol clients' replays; null
  // when history is off (they then get reject_history). Must outlive the
  // gateway.
  History* history = nullptr;
  // Session restore's snapshots (MakeSessionStore); null, or
  // options.session_ttl 0, turns restore off. Must outlive the gateway.
  SessionStore* sessions = nullptr;
};

// The WebSocket gateway: accepts clients on one port (HTTP and WebSocket),
// keeps their subscriptions in a Hub over the streams PubSub, reaches the
// cable service over gRPC, and obeys the control bus (remote disconnects,
// direct transmissions).
class Gateway final {
 public:
  Gateway(GatewayOptions options, GatewayBackends backends);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Binds, listens and starts the event-loop threads. Returns the bound
  // port (useful with port 0).
  absl::StatusOr<unsigned short> Start();

  // Stops accepting, sends disconnect{server_restart, reconnect: true} to
  // every client, waits up to the shutdown timeout for them to close, then
  // stops the event loops. Safe to call more than once.
  void Shutdown();

  // Blocks until shutdown() has finished.
  void Wait();

  const std::string& id() const;
  // Whether the listener speaks TLS (wss://, https://): options.tls_cert_file
  // and tls_key_file.
  bool tls() const;
  // Reads the TLS certificate and key files again (SIGHUP, in the shipped
  // mains): connections accepted after it get the new certificate, open
  // ones keep theirs. On an error (logged) the certificate in use stays.
  // FailedPrecondition if TLS is off. Thread-safe, after start().
  absl::Status ReloadTls();
  // Whether /ready answers 200: not shutting down, the service answers and
  // the pub/sub is connected.
  bool Ready() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cable::gateway
