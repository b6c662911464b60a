#include "cable/history_flags.h"

#include <cstdint>
#include <string>

#include "absl/flags/flag.h"
#include "absl/time/time.h"

ABSL_FLAG(std::uint32_t, history_limit, 100,
          "Messages kept per stream for clients to replay after a reconnect "
          "(actioncable-v1-ext-json `history`); 0 turns history off.");
ABSL_FLAG(absl::Duration, history_ttl, absl::Minutes(5),
          "How long a stream's messages are kept for replay.");
ABSL_FLAG(std::string, history_policy, "",
          "Per-stream overrides of --history_limit/--history_ttl by name "
          "pattern, first match wins, e.g. \"chat:*=1000/1h;ticker:*=0\" "
          "(`*` matches anything; N alone keeps the default ttl).");

namespace cable {

absl::StatusOr<HistoryPolicy> HistoryPolicyFromFlags() {
  return ParseHistoryPolicy(absl::GetFlag(FLAGS_history_limit),
                            absl::GetFlag(FLAGS_history_ttl),
                            absl::GetFlag(FLAGS_history_policy));
}

}  // namespace cable
