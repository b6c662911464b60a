#pragma once
// The control bus: a second PubSub (in memory, or NATS subjects under
// cable.ctl) on which services send gateways what is not a reply to the
// gateway's own call. Payloads are serialized cable.v1.ControlMessage.

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace cable::control {

// Every gateway subscribes to this stream (remote disconnects).
inline constexpr absl::string_view kAllGateways = "all";

// The stream of one gateway (direct transmissions to its connections).
inline std::string GatewayStream(absl::string_view gateway_id) {
  return absl::StrCat("gateway.", gateway_id);
}

}  // namespace cable::control
