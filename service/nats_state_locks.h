#pragma once
// NatsStateStore's Lock and Unlock (see "Locks" in nats_state_store.h):
// the local LockTable first, then the lock entries in P_locks, then the
// recovery of intents touching the channels taken.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "nats_state_io.h"
#include "nats_state_lock_table.h"
#include "nats_state_recovery.h"

namespace cable::service::nats_state {

class Locks final {
 public:
  // All must outlive this.
  Locks(const StateIo& io, LockTable& table, const IntentRecovery& recovery);

  absl::Status Lock(absl::string_view owner,
                    absl::Span<const std::string> names,
                    absl::Duration timeout);
  void Unlock(absl::string_view owner, absl::Span<const std::string> names);

 private:
  // Releases locks this process holds for `owner`: in NATS first, so that
  // the local waiters woken afterwards find them free.
  void Release(absl::string_view owner, absl::Span<const std::string> names);
  // Takes `name`'s lock in NATS for `owner` (reserved locally already).
  // Returns the entry's sequence. With `intents`, each attempt also looks
  // for the first intent, and the reply of the successful one is left
  // there (see IntentRecovery).
  absl::StatusOr<std::uint64_t> AcquireRemote(absl::string_view owner,
                                              const std::string& name,
                                              absl::Time deadline,
                                              absl::Duration timeout,
                                              NatsMsgPtr* intents);

  const StateIo& io_;
  LockTable& table_;
  const IntentRecovery& recovery_;
};

}  // namespace cable::service::nats_state
