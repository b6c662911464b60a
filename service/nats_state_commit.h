#pragma once
// NatsStateStore's Commit as named phases (the protocol is described under
// "Commit" and "Multi-key atomicity" in nats_state_store.h):
//   Resolve        the owner's lock entries (local table, else P_locks);
//   RenewAndRead   round trip 1: renew every lock, read heads and guards;
//   Plan           pure, nats_state_commit_plan.h;
//   WriteData      chunks of large states, events (orphans replaced);
//   WriteIntent    the commit point of a multi-key commit;
//   WriteGuardsAndHeads;
//   CleanUp        the intent and replaced blobs, best effort.
// One CommitRun per call.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "cable/service/state_store.h"
#include "nats_state_commit_plan.h"
#include "nats_state_io.h"
#include "nats_state_lock_table.h"

namespace cable::service::nats_state {

// NatsStateStoreOptions::crash_at (tests): true stops the commit at that
// stage as if the process died.
using CrashHook = std::function<bool(absl::string_view stage)>;

class CommitRun final {
 public:
  // All must outlive this; `writes` are valid (ValidateCommit).
  CommitRun(const StateIo& io, LockTable& table, const CrashHook& crash_at,
            absl::string_view owner, absl::Span<const ChannelWrite> writes);

  absl::StatusOr<std::vector<CommitResult>> Run();

 private:
  absl::Status Resolve();
  absl::Status RenewAndRead();
  absl::Status WriteData();
  absl::Status WriteIntent();
  absl::Status WriteGuardsAndHeads();
  void CleanUp();

  // FailedPrecondition unless `stage` starts well inside the renewed lease.
  absl::Status InTime(absl::string_view stage) const;
  bool Crash(absl::string_view stage) const;
  absl::Status NotHeld(absl::string_view name) const;
  absl::Status WrittenByAnother(absl::string_view name) const;

  const StateIo& io_;
  LockTable& table_;
  const CrashHook& crash_at_;
  const std::string owner_;
  const absl::Span<const ChannelWrite> writes_;
  std::vector<CommitPart> parts_;
  // When round trip 1 started: the renewed leases started no earlier.
  absl::Time start_;
  CommitPlan plan_;
  std::string intent_blob_;
};

}  // namespace cable::service::nats_state
