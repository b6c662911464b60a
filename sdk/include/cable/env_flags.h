#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cable {

// Sets every flag from an environment variable <prefix><FLAG NAME IN UPPER
// CASE>, e.g. CABLE_NATS_URL for --nats_url, as container users expect.
// Call before absl::ParseCommandLine so that the command line wins. Returns
// an error naming the variable whose value does not parse.
absl::Status ApplyEnvironmentToFlags(absl::string_view prefix = "CABLE_");

}  // namespace cable
