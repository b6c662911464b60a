#pragma once
// The "plan" phase of NatsStateStore's commit, pure: from what round trip
// 1 read (heads, guard counts), what to write — guard changes, new heads,
// chunks of large states, events — and, when more than one key changes,
// the intent that makes it all or nothing. No I/O: unit tested on fake
// inputs. The phases that do I/O are in nats_state_commit.h.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "cable/jetstream_client.h"
#include "cable/service/state_store.h"
#include "nats_state_layout.h"
#include "nats_state_records.h"

namespace cable::service::nats_state {

// One channel's part of a commit: what was read, then what to write.
struct CommitPart {
  const ChannelWrite* write = nullptr;
  std::string enc;
  // Sequence of the owner's lock entry (resolved, then renewed).
  std::uint64_t lock_seq = 0;

  // Read in round trip 1.
  Head head;
  // The guard counts of GuardWorkersOf(*write), in that order, and their
  // sequences (0: no entry).
  std::vector<std::int64_t> guard_counts;
  std::vector<std::uint64_t> guard_seqs;

  // Planned.
  bool write_head = false;
  Head next;
  // Blob of the replaced state, purged once the new head is in.
  std::string old_blob;
  std::vector<GuardOp> guards;
};

// The workers whose guard counts a write reads: clear_guards_of, then the
// guard_delta's worker.
std::vector<std::string> GuardWorkersOf(const ChannelWrite& w);

// The guard changes of one write from the counts and sequences read (for
// GuardWorkersOf(w)): removals of the cleared workers that have an entry
// (each once), then the delta's worker's new count (removed at 0, not
// written when unchanged).
std::vector<GuardOp> PlanGuards(const ChannelWrite& w,
                                const std::vector<std::int64_t>& counts,
                                const std::vector<std::uint64_t>& seqs);

// Fresh blob and transaction ids.
using IdSource = std::function<std::string()>;

struct CommitPlan {
  // Keys written (heads and guards). More than one → an intent.
  std::size_t keys = 0;
  bool atomic() const { return keys > 1; }
  // The intent's id when atomic; every head it writes carries it.
  std::string txn;
  // Chunks of large states, then events (and their chunks): published
  // before anything points to them.
  std::vector<JsRequest> data_writes;
  // Sorted indices in data_writes published expecting "no message".
  std::vector<std::size_t> fenced;
};

// Fills every part's guards, write_head, next and old_blob, and returns
// what to write first.
CommitPlan PlanCommit(std::vector<CommitPart>& parts, const Layout& layout,
                      std::size_t chunk_bytes, const IdSource& new_id);

// The intent of an atomic plan and its publishes: chunks (when the body
// does not fit a message; intent.blob is then set) and the message.
struct IntentWrites {
  Intent intent;
  std::vector<JsRequest> chunks;
  JsRequest message;
};
IntentWrites PlanIntent(const std::vector<CommitPart>& parts,
                        absl::string_view owner, const std::string& txn,
                        const Layout& layout, std::size_t chunk_bytes,
                        const IdSource& new_id);

// Purges once the heads are in: the intent (and its chunks), the blobs of
// replaced states.
std::vector<JsRequest> CleanupRequests(const std::vector<CommitPart>& parts,
                                       const CommitPlan& plan,
                                       const std::string& intent_blob,
                                       const Layout& layout);

// What Commit returns, in the order of the parts.
std::vector<CommitResult> CommitResults(const std::vector<CommitPart>& parts);

}  // namespace cable::service::nats_state
