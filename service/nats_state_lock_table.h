#pragma once
// This process's view of NatsStateStore's locks: which owner holds or is
// taking each channel's lock, with the sequence of its entry in P_locks and
// when its lease was last (re)started. Threads of one store queue here
// first, so only one of them polls NATS per channel; Drop wakes them, and
// so does the end of a lease they saw (by the store's Clock). No I/O: unit
// tested on a ManualClock.
//
// It also remembers channels known to exist (they are never deleted), which
// spares Lock a check.

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "cable/service/clock.h"

namespace cable::service::nats_state {

class LockTable final {
 public:
  // At most this many channels are remembered as existing (then forgotten
  // all at once).
  static constexpr std::size_t kMaxKnownChannels = 100000;

  // `clock` must outlive this.
  LockTable(Clock& clock, absl::Duration lease);
  LockTable(const LockTable&) = delete;
  LockTable& operator=(const LockTable&) = delete;

  Clock& clock() const { return clock_; }
  absl::Duration lease() const { return lease_; }

  enum class Reserved { kReserved, kAlreadyHeld };
  // Waits until no other owner in this process holds or is taking `name`
  // (or the holder's lease ran out by our clock), then reserves it for
  // `owner` (seq 0 until Acquired). kAlreadyHeld if `owner` holds it.
  // DeadlineExceeded at `deadline` (the message names `timeout`).
  absl::StatusOr<Reserved> Reserve(absl::string_view owner,
                                   const std::string& name, absl::Time deadline,
                                   absl::Duration timeout);
  // The reservation became a lock: its entry is at `seq`, the lease started
  // at `renewed` (taken before the request that started it).
  void Acquired(const std::string& name, absl::string_view owner,
                std::uint64_t seq, absl::Time renewed);
  // A commit renewed the lease (if `owner` still holds `name` here).
  void Renewed(const std::string& name, absl::string_view owner,
               std::uint64_t seq, absl::Time renewed);
  // Forgets `owner`'s reservation or lock of each name (not a later
  // holder's) and wakes the waiters.
  void Drop(absl::Span<const std::string> names, absl::string_view owner);

  struct Entry {
    std::string name;
    // 0: reserved, not yet taken in NATS.
    std::uint64_t seq = 0;
  };
  // `owner`'s reservations and locks among `names`.
  std::vector<Entry> HeldBy(absl::string_view owner,
                            absl::Span<const std::string> names);

  enum class Holder { kOwner, kNone, kOther };
  struct Lookup {
    Holder holder = Holder::kNone;
    // With kOwner: the entry's sequence.
    std::uint64_t seq = 0;
  };
  // Who holds `name` as seen from `owner`: the owner (taken, not merely
  // reserved), nobody in this process, or someone else.
  Lookup Find(absl::string_view owner, const std::string& name);
  // The names among `names` that nobody in this process holds or takes.
  std::vector<std::string> Untracked(absl::Span<const std::string> names);

  bool Known(const std::string& name);
  void Remember(const std::string& name);

 private:
  struct Lock {
    std::string owner;
    std::uint64_t seq = 0;
    absl::Time renewed;
  };

  Clock& clock_;
  const absl::Duration lease_;
  absl::Mutex mu_;
  absl::CondVar released_;
  absl::flat_hash_map<std::string, Lock> locks_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> known_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cable::service::nats_state
