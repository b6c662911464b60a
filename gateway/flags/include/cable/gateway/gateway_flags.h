#pragma once

#include "cable/gateway/options.h"

namespace cable::gateway {

// The gateway's flags (--port, --allowed_origins, --max_frame_bytes, ...),
// read after absl::ParseCommandLine. Shared by cable-server and
// cable-gateway.
GatewayOptions GatewayOptionsFromFlags();

}  // namespace cable::gateway
