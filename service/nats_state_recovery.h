#pragma once
// Rolling forward the intents of writers that lost their lease (see
// "Multi-key atomicity" in nats_state_store.h): run by Lock for the
// channels it just took.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nats_state_io.h"
#include "nats_state_lock_table.h"
#include "nats_state_records.h"

namespace cable::service::nats_state {

class IntentRecovery final {
 public:
  // Both must outlive this.
  IntentRecovery(const StateIo& io, LockTable& table);

  // Rolls forward every intent that touches a channel in `taken` (their
  // writers lost those locks, so they will not finish them). `first` is
  // the reply to FirstIntentRequest(0) if Lock already has it, else null.
  absl::Status Recover(absl::string_view owner,
                       const std::vector<std::string>& taken,
                       NatsMsgPtr first) const;

 private:
  // nullopt: deleted meanwhile.
  absl::StatusOr<std::optional<Intent>> ReadIntent(const StoredMsg& msg) const;
  absl::Status RollForward(absl::string_view owner, const Intent& intent) const;
  // Writes one channel's guards, then its head (if still at `expected`).
  absl::Status ApplyPart(const IntentPart& part) const;

  const StateIo& io_;
  LockTable& table_;
};

}  // namespace cable::service::nats_state
