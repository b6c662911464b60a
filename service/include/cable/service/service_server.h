#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cable/nats_security.h"
#include "cable/service/presence.h"
#include "cable/service/registry.h"
#include "cable/service/state_channels.h"

namespace grpc {
class ChannelInterface;
}  // namespace grpc

namespace prometheus {
class Collectable;
}  // namespace prometheus

namespace cable {
class PubSub;
}  // namespace cable

namespace cable {
class History;
}

namespace cable::service {

class PresenceStore;
class StateStore;

// TLS for one gRPC listener: PEM files. No cert: plaintext. A client CA
// makes it mutual TLS (clients must present a certificate it signed).
struct ServerTlsOptions {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
};

struct ServiceServerOptions {
  // The Publisher listener (applications, any language). 0 picks a free
  // port.
  std::string host = "0.0.0.0";
  int port = 50051;
  // The internal listener (cable.internal.v1.Cable, for gateways only),
  // never the Publisher's port. -1: no network listener, only the
  // in-process channel (the all-in-one server).
  std::string internal_host = "0.0.0.0";
  int internal_port = 50052;
  // Keys Publisher callers present as `authorization: Bearer <key>`;
  // empty: the Publisher API is open.
  std::vector<std::string> publisher_api_keys = {};
  // The secret gateways present the same way on the internal listener;
  // empty: any caller that reaches it is trusted.
  std::string gateway_secret = {};
  ServerTlsOptions publisher_tls = {};
  ServerTlsOptions internal_tls = {};
  StateChannelsOptions state = {};
  // Presence (docs/protocol.md, "Presence"): its ttl and sweep.
  PresenceOptions presence = {};
  // Threads running stateful-channel calls (state-store round trips).
  unsigned state_threads = 8;
  // This replica in the server API's Info (empty: random).
  std::string service_id = {};
  // How often the replica tells the state store it is alive (Info waits
  // for every alive replica); it is alive for this plus
  // state.heartbeat_timeout.
  absl::Duration replica_heartbeat_interval = absl::Seconds(5);
};

// What a service serves: the application (its connection class and
// Action Cable channels) and the stateful channels it registers.
struct ServiceApplication {
  std::unique_ptr<Application> application;
  // Registers stateful channels (StateChannels::add...); may be empty.
  std::function<absl::Status(StateChannels&)> register_state_channels = {};
};

// The cable service's gRPC server: cable.internal.v1.Cable (for gateways),
// cable.v1.Publisher (for applications), grpc.health.v1 and server
// reflection, over the application it is given. cable-service and the
// all-in-one cable-server run it with the demo application
// (service/demo/); apps run it with their own.
class ServiceServer final {
 public:
  // `pubsub` carries streams, `control` the gateways' control bus, `store`
  // the stateful channels (and the gateways' heartbeats), `history` the
  // streams' history (null: off; it serves Publisher.History), `presence`
  // the presence sets (null: in this process's memory); all must outlive
  // the server.
  static absl::StatusOr<std::unique_ptr<ServiceServer>> Start(
      const ServiceServerOptions& options, ServiceApplication app,
      PubSub& pubsub, PubSub& control, StateStore& store,
      History* history = nullptr, PresenceStore* presence = nullptr);
  ~ServiceServer();

  // The Publisher listener's port, and the internal listener's (-1 when
  // it has none).
  int port() const;
  int internal_port() const;
  // Whether the Publisher API / the internal API let every caller in.
  bool publisher_open() const;
  bool internal_open() const;
  // The service's counters (cable_unauthenticated_calls_total{api=...}),
  // for a /metrics endpoint.
  std::shared_ptr<prometheus::Collectable> metrics();
  StateChannels& state_channels();
  // An in-process channel to the internal API (the all-in-one gateway's);
  // calls on it present the gateway secret like any other.
  std::shared_ptr<grpc::ChannelInterface> in_process_channel();
  // Stops accepting calls; waits up to `grace_ms` for calls in flight.
  void Shutdown(int grace_ms);

 private:
  struct Impl;
  explicit ServiceServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// In memory when `nats_url` is empty, else NATS JetStream.
absl::StatusOr<std::unique_ptr<StateStore>> MakeStateStore(
    const std::string& nats_url, const std::string& name,
    const NatsSecurity& security = {});
// The presence sets: in memory when `nats_url` is empty, else JetStream
// (shared by every replica).
absl::StatusOr<std::unique_ptr<PresenceStore>> MakePresenceStore(
    const std::string& nats_url, const std::string& name,
    const NatsSecurity& security = {});

}  // namespace cable::service
