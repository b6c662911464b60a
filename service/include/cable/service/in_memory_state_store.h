#pragma once
// StateStore in one process (the embedded default): everything in maps
// behind one mutex. Lock waiters sleep on a condition variable and wake on
// Unlock or when the holder's lease runs out; a Commit renews the lease of
// the locks it uses, as NatsStateStore does. Every time it measures (leases,
// lock timeouts, heartbeats, event times and ages) is its Clock's.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "cable/service/clock.h"
#include "cable/service/state_store.h"

namespace cable::service {

class InMemoryStateStore final : public StateStore {
 public:
  // `clock` must outlive the store.
  explicit InMemoryStateStore(absl::Duration lease = absl::Seconds(10),
                              Clock& clock = RealClock());

  InMemoryStateStore(const InMemoryStateStore&) = delete;
  InMemoryStateStore& operator=(const InMemoryStateStore&) = delete;

  absl::StatusOr<bool> Create(const ChannelSpec& spec) override;
  absl::StatusOr<ChannelRecord> Get(absl::string_view name) override;
  absl::StatusOr<std::vector<std::string>> ListChannels(
      std::optional<std::string> type) override;
  absl::Status Lock(absl::string_view owner,
                    absl::Span<const std::string> names,
                    absl::Duration timeout) override;
  void Unlock(absl::string_view owner,
              absl::Span<const std::string> names) override;
  absl::StatusOr<std::vector<CommitResult>> Commit(
      absl::string_view owner, absl::Span<const ChannelWrite> writes) override;
  absl::StatusOr<std::vector<StoredEvent>> Events(
      absl::string_view name, std::uint64_t after_id,
      std::optional<std::uint64_t> limit) override;
  absl::StatusOr<std::uint64_t> DeleteEvents(
      absl::string_view name, std::optional<std::uint64_t> keep_num,
      std::optional<absl::Duration> keep_duration) override;
  absl::StatusOr<std::vector<Guard>> Guards() override;
  absl::Status Heartbeat(absl::string_view worker, absl::Duration ttl) override;
  absl::StatusOr<std::vector<std::string>> AliveWorkers() override;
  absl::Status ServiceHeartbeat(absl::string_view service,
                                absl::Duration ttl) override;
  absl::StatusOr<std::vector<std::string>> AliveServices() override;

 private:
  struct Channel {
    ChannelRecord record;
    // Stored events, consecutive ids, oldest first.
    std::deque<StoredEvent> events;
    // Positive guard counts by worker.
    absl::flat_hash_map<std::string, std::int64_t> guards;
  };
  struct LockHolder {
    std::string owner;
    absl::Time expires;
  };

  // True if `owner` holds `name`'s lock and its lease has not run out.
  bool Holds(absl::string_view owner, const std::string& name,
             absl::Time now) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const absl::Duration lease_;
  Clock& clock_;

  mutable absl::Mutex mu_;
  // Signalled whenever locks are released.
  absl::CondVar released_;
  absl::flat_hash_map<std::string, Channel> channels_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, LockHolder> locks_ ABSL_GUARDED_BY(mu_);
  // Heartbeat expiry by worker; sorted for AliveWorkers.
  absl::btree_map<std::string, absl::Time> workers_ ABSL_GUARDED_BY(mu_);
  absl::btree_map<std::string, absl::Time> services_ ABSL_GUARDED_BY(mu_);
  // The names in `expiries` alive now, sorted; drops the expired ones.
  std::vector<std::string> Alive(
      absl::btree_map<std::string, absl::Time>& expiries)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
};

}  // namespace cable::service
