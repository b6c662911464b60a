#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <string>

#include "cable/gateway/clock.h"

namespace cable {
class History;
}

namespace cable::gateway {

struct GatewayOptions;
class Hub;
class SessionStore;
class ServiceClient;
class GatewayMetrics;

// What every session shares; owned by the Gateway and outliving sessions.
class SessionContext {
 public:
  SessionContext(const GatewayOptions& options, Hub& hub,
                 ServiceClient& service, GatewayMetrics& metrics,
                 std::string gateway_id,
                 std::function<void(const std::string& sid)> forget,
                 const Clock& clock = SteadyClock::Instance())
      : options(options),
        hub(hub),
        service(service),
        metrics(metrics),
        gateway_id(std::move(gateway_id)),
        forget(std::move(forget)),
        clock(clock) {}

  const GatewayOptions& options;
  Hub& hub;
  ServiceClient& service;
  GatewayMetrics& metrics;
  const std::string gateway_id;
  // Removes a finished session from the gateway's registry: after its
  // socket closed and the service ran its Disconnect.
  const std::function<void(const std::string& sid)> forget;
  // What the sessions' heartbeats go by.
  const Clock& clock;
  // Where extended-protocol replays read from; null: history is off.
  History* history = nullptr;
  // Where extended-protocol sessions are remembered for restore; null:
  // restore is off.
  SessionStore* sessions = nullptr;
  // Sessions whose socket is open, from the upgrade to the close: what
  // --max_connections bounds. (A closed session may stay registered a
  // little longer, until the service has run its Disconnect.)
  std::atomic<std::size_t> open_sockets{0};
};

}  // namespace cable::gateway
