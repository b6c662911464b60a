#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "gateway/options.h"
#include "sdk/pubsub.h"

namespace grpc {
class ChannelInterface;
}  // namespace grpc

namespace cable::gateway {

// The WebSocket gateway: accepts clients on one port (HTTP and WebSocket),
// keeps their subscriptions in a Hub over `pubsub`, and reaches the cable
// service through `service_channel` (a network channel, or the in-process
// channel of the all-in-one server).
class Gateway final {
 public:
  Gateway(GatewayOptions options, PubSub& pubsub,
          std::shared_ptr<grpc::ChannelInterface> service_channel);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Binds, listens and starts the event-loop threads. Returns the bound
  // port (useful with port 0).
  absl::StatusOr<unsigned short> start();

  // Stops accepting, sends disconnect{server_restart, reconnect: true} to
  // every client, waits up to the shutdown timeout for them to close, then
  // stops the event loops. Safe to call more than once.
  void shutdown();

  // Blocks until shutdown() has finished.
  void wait();

  const std::string& id() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cable::gateway
