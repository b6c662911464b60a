#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cable/nats_security.h"
#include "cable/pubsub.h"

namespace cable {

// The two PubSubs a Cable process uses: streams, and the gateways' control
// bus (sdk/control_bus.h).
struct Backends {
  std::unique_ptr<PubSub> streams;
  std::unique_ptr<PubSub> control;
  // Whether both are connected (always true in memory).
  std::function<bool()> ready;
};

// In memory when `nats_url` is empty (one process); otherwise NATS, with
// streams under subject prefix "cable.s" and the control bus under
// "cable.ctl". `name` names the NATS connections.
absl::StatusOr<Backends> MakeBackends(const std::string& nats_url,
                                      const std::string& name,
                                      const NatsSecurity& security = {});

}  // namespace cable
