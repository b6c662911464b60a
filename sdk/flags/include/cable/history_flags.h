#pragma once

#include "absl/status/statusor.h"
#include "cable/history.h"

namespace cable {

// --history_limit, --history_ttl and --history_policy, read after
// absl::ParseCommandLine: how much of each stream's past is kept for
// extended-protocol clients to replay. Shared by the three shipped mains.
absl::StatusOr<HistoryPolicy> HistoryPolicyFromFlags();

}  // namespace cable
