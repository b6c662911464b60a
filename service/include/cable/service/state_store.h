#pragma once
// The state-store seam (DESIGN: `StateStore`): what stateful channels keep
// that every service replica must share — each channel's authoritative JSON
// state with a revision, its event log, guard counts per (channel, worker)
// and worker heartbeats.
//
// Implementations: InMemoryStateStore (one process, the embedded default)
// and NatsStateStore (NATS JetStream, many replicas).
//
// Writers serialise per channel with locks: `Lock` takes the exclusive write
// lock of one or more channels for an owner (one `LockState` call or one
// transaction), `Commit` writes while holding them, `Unlock` lets go. A lock
// is a lease: one held longer than the store's lease by a process that died
// is broken, and its late Commit then fails. Readers (`Get`, `Events`) never
// wait for locks.
//
// States and events are JSON text and may be larger than a NATS message
// (tested with 4 MB). All methods are thread-safe.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace cable::service {

// What CreateChannel takes.
struct ChannelSpec {
  // Non-empty UTF-8, at most kMaxChannelNameBytes.
  std::string name;
  // The starting state: JSON text.
  std::string state;
  // Free-form, at most kMaxChannelTypeChars characters; queryable with
  // ListChannels.
  std::string type;
  // False: events are sent live but never stored (no backlog).
  bool keep_events = true;
};

inline constexpr std::size_t kMaxChannelNameBytes = 512;
inline constexpr std::size_t kMaxChannelTypeChars = 50;
// Owners and worker names end up in NATS subjects and values: bounded.
inline constexpr std::size_t kMaxOwnerBytes = 256;
inline constexpr std::size_t kMaxWorkerNameBytes = 256;

struct ChannelRecord {
  std::string name;
  // JSON text.
  std::string state;
  // 1 after creation; +1 for every commit that changes the state or appends
  // events (a guard-count-only commit leaves it alone).
  std::uint64_t revision = 0;
  // Id of the newest event ever committed to the channel, 0 if none. Event
  // ids start at 1 and are consecutive (also with keep_events false, where
  // they are counted but not stored).
  std::uint64_t last_event_id = 0;
  std::string type;
  bool keep_events = true;
};

struct StoredEvent {
  std::uint64_t id = 0;
  // JSON text.
  std::string data;
  // When it was committed.
  absl::Time time;
};

// One channel's part of a commit.
struct ChannelWrite {
  std::string name;
  // The revision the writer read; Commit fails if the channel moved on.
  std::uint64_t expected_revision = 0;
  // The new state (JSON text), or unchanged.
  std::optional<std::string> state;
  // Appended in order, with ids last_event_id + 1, + 2, ...
  std::vector<std::string> events;
  // Added to the guard count of (name, worker); the count never goes below
  // zero. Ignored when 0.
  std::int64_t guard_delta = 0;
  std::string worker;
  // Workers whose guard counts on this channel are removed (cleanup).
  // Applied before guard_delta, so a worker in both ends at max(0, delta).
  std::vector<std::string> clear_guards_of;
};

struct CommitResult {
  std::string name;
  // The channel's revision after the commit.
  std::uint64_t revision = 0;
  // Id of the first event appended (0 if none); the others follow.
  std::uint64_t first_event_id = 0;
};

struct Guard {
  std::string channel;
  std::string worker;
  std::int64_t count = 0;
};

class StateStore {
 public:
  virtual ~StateStore() = default;

  // Creates a channel. Returns false, changing nothing, if it exists.
  // InvalidArgument for a bad name, type or state.
  virtual absl::StatusOr<bool> Create(const ChannelSpec& spec) = 0;

  // NotFound if there is no such channel.
  virtual absl::StatusOr<ChannelRecord> Get(absl::string_view name) = 0;

  // Names of the channels, all of them or those of one type, sorted.
  virtual absl::StatusOr<std::vector<std::string>> ListChannels(
      std::optional<std::string> type) = 0;

  // Takes the write locks of `names` for `owner` (a unique id per LockState
  // call or transaction), in sorted order, waiting up to `timeout`; locks
  // the owner already holds are kept. On failure (DeadlineExceeded, or
  // NotFound for a channel that does not exist) the locks this call took
  // are released and those held before are kept.
  virtual absl::Status Lock(absl::string_view owner,
                            absl::Span<const std::string> names,
                            absl::Duration timeout) = 0;

  // Releases `owner`'s locks on `names`; those it does not hold are
  // ignored.
  virtual void Unlock(absl::string_view owner,
                      absl::Span<const std::string> names) = 0;

  // Applies `writes` (one per channel) for `owner`, all or nothing against
  // every other writer: FailedPrecondition if the owner does not hold a
  // channel's lock (never took it, or its lease was broken) or a channel is
  // not at `expected_revision`. Results come in the order of `writes`.
  virtual absl::StatusOr<std::vector<CommitResult>> Commit(
      absl::string_view owner, absl::Span<const ChannelWrite> writes) = 0;

  // The stored events with id > after_id, oldest first; with `limit`, only
  // the newest `limit` of those. NotFound for an unknown channel.
  virtual absl::StatusOr<std::vector<StoredEvent>> Events(
      absl::string_view name, std::uint64_t after_id,
      std::optional<std::uint64_t> limit) = 0;

  // Deletes stored events, keeping the newest `keep_num` and those younger
  // than `keep_duration`, whichever keeps more. At least one must be given.
  // Returns how many were deleted.
  virtual absl::StatusOr<std::uint64_t> DeleteEvents(
      absl::string_view name, std::optional<std::uint64_t> keep_num,
      std::optional<absl::Duration> keep_duration) = 0;

  // Positive guard counts, all channels.
  virtual absl::StatusOr<std::vector<Guard>> Guards() = 0;

  // Records that `worker` is alive; it counts as alive for `ttl`.
  virtual absl::Status Heartbeat(absl::string_view worker,
                                 absl::Duration ttl) = 0;
  // Workers whose last heartbeat has not expired, sorted.
  virtual absl::StatusOr<std::vector<std::string>> AliveWorkers() = 0;

  // The same for service replicas, in a key space of their own (the server
  // API's Info waits for the alive ones; guard cleanup never sees them).
  virtual absl::Status ServiceHeartbeat(absl::string_view service,
                                        absl::Duration ttl) = 0;
  virtual absl::StatusOr<std::vector<std::string>> AliveServices() = 0;
};

// Argument checks shared by the implementations (state_store.cc), so that
// both reject the same input with the same InvalidArgument message.

// Non-empty valid UTF-8 of at most kMaxChannelNameBytes.
absl::Status ValidateChannelName(absl::string_view name);
// The name, the type (valid UTF-8, at most kMaxChannelTypeChars code
// points) and the state (JSON text).
absl::Status ValidateChannelSpec(const ChannelSpec& spec);
// A non-empty owner of at most kMaxOwnerBytes.
absl::Status ValidateOwner(absl::string_view owner);
// Non-empty valid UTF-8 of at most kMaxWorkerNameBytes.
absl::Status ValidateWorkerName(absl::string_view worker);
// The owner, and per write: the name (each at most once), the state and
// events (JSON text), the worker names (`worker` only matters, and is then
// required, with a guard_delta).
absl::Status ValidateCommit(absl::string_view owner,
                            absl::Span<const ChannelWrite> writes);
// Ids a call Events(after_id, limit) returns from a channel whose stored
// events are exactly [first_stored, last] (none if first_stored > last):
// [from, to], empty when from > to.
struct EventIdRange {
  std::uint64_t from = 1;
  std::uint64_t to = 0;
  bool empty() const { return from > to; }
};
EventIdRange EventsToReturn(std::uint64_t after_id,
                            std::optional<std::uint64_t> limit,
                            std::uint64_t first_stored, std::uint64_t last);

}  // namespace cable::service
