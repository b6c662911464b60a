#pragma once

#include <functional>
#include <string>

namespace cable::gateway {

struct GatewayOptions;
class Hub;
class ServiceClient;
class GatewayMetrics;

// What every session shares; owned by the Gateway and outliving sessions.
class SessionContext {
 public:
  SessionContext(const GatewayOptions& options, Hub& hub,
                 ServiceClient& service, GatewayMetrics& metrics,
                 std::string gateway_id,
                 std::function<void(const std::string& sid)> forget,
                 std::function<void(int delta)> track_disconnect)
      : options(options),
        hub(hub),
        service(service),
        metrics(metrics),
        gateway_id(std::move(gateway_id)),
        forget(std::move(forget)),
        track_disconnect(std::move(track_disconnect)) {}

  const GatewayOptions& options;
  Hub& hub;
  ServiceClient& service;
  GatewayMetrics& metrics;
  const std::string gateway_id;
  // Removes a closed session from the gateway's registry.
  const std::function<void(const std::string& sid)> forget;
  // +1 when a Disconnect call starts, -1 when it ends: shutdown waits for
  // them so that `unsubscribed` runs for every client before the service
  // stops.
  const std::function<void(int delta)> track_disconnect;
};

}  // namespace cable::gateway
