#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cable/service/registry.h"
#include "cable/service/state_channels.h"

namespace grpc {
class ChannelInterface;
}  // namespace grpc

namespace cable {
class PubSub;
}  // namespace cable

namespace cable::service {

class StateStore;

struct ServiceServerOptions {
  std::string host = "0.0.0.0";
  // 0 picks a free port.
  int port = 50051;
  StateChannelsOptions state;
  // Threads running stateful-channel calls (state-store round trips).
  unsigned state_threads = 8;
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
  // the stateful channels; all must outlive the server.
  static absl::StatusOr<std::unique_ptr<ServiceServer>> Start(
      const ServiceServerOptions& options, ServiceApplication app,
      PubSub& pubsub, PubSub& control, StateStore& store);
  ~ServiceServer();

  int port() const;
  StateChannels& state_channels();
  // An in-process channel to this server (the all-in-one gateway's).
  std::shared_ptr<grpc::ChannelInterface> in_process_channel();
  // Stops accepting calls; waits up to `grace_ms` for calls in flight.
  void shutdown(int grace_ms);

 private:
  struct Impl;
  explicit ServiceServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// In memory when `nats_url` is empty, else NATS JetStream.
absl::StatusOr<std::unique_ptr<StateStore>> MakeStateStore(
    const std::string& nats_url, const std::string& name);

}  // namespace cable::service
