#pragma once
// StateStore on NATS JetStream, shared by every service replica.
//
// Layout (P = options.prefix; <ch> = EncodeStreamToken(channel name), a
// reversible token of [A-Za-z0-9_-], see sdk/stream_subject.h):
//   KV P_channels  key <ch>: the channel's head record: a JSON header line
//                  (revision, last_event_id, type, keep_events, chunk set,
//                  txn) and the state inline, or a pointer to its chunks.
//   KV P_locks     key <ch>: the owner holding the write lock. MaxAge =
//                  the lease, so a dead holder's lock disappears by itself.
//   KV P_guards    key <ch>.<worker>: a positive guard count.
//   KV P_services  key <service>: the same for service replicas.
//   KV P_workers   key <worker>: heartbeat expiry (unix ns, the writer's
//                  clock); MaxAge only collects garbage.
//   stream P_events  P.ev.<ch>.<id> (one event) and P.evc.<ch>.<id>.<n>
//                  (chunks of a large one); MaxMsgsPerSubject 1.
//   stream P_chunks  P.ch.<blob>.<n>: chunks of large states and intents.
//   stream P_intents P.tx.<id>: in-flight multi-key commits (see below).
//
// Everything goes through JetStreamClient: raw JetStream API requests,
// pipelined, so each step below is one round trip however many messages
// it carries.
//
// Locks. Lock publishes the owner to P_locks/<ch> expecting "no message"
// (a create), in sorted name order; a conflict means another holder and is
// retried with a short backoff (1 ms doubling to 32 ms, jittered) until
// the timeout. Threads of one store queue on a local table first, so only
// one of them polls NATS per channel, and are woken by Unlock. The first
// attempt also checks that the channel exists, and the attempt for the
// last name looks for intents (below), in the same round trip. Unlock
// purges the key up to the owner's own sequence, which can never remove a
// later holder's entry. A dead holder's entry expires with the lease
// (server-side MaxAge); in-process waiters wake when the lease they saw
// runs out.
//
// Commit. Round trip 1 renews every lock (a compare-and-set of the lock
// entry on the sequence the owner wrote: proves ownership and restarts the
// lease), reads every head and the guard counts it touches; any failure
// there → FailedPrecondition, nothing written. Then: chunks of large
// states, and events (ids last_event_id+1.. of the head just read),
// published expecting "no message": a writer that lost its lease cannot
// overwrite committed events. Messages found there are orphans of a writer
// that crashed before its head (it never advanced last_event_id): they are
// replaced once the heads are checked unchanged. Then guards, each a
// compare-and-set on the sequence read (a removal purges up to it), and
// the heads, each a compare-and-set on the sequence read. Writes start
// only within 3/4 of the lease after the renewal (else FailedPrecondition).
//
// Multi-key atomicity. A commit that writes more than one key (two heads,
// a head and a guard, two guards) publishes, after the events and before
// anything else, an intent P.tx.<id> with every new head and guard value
// and the head sequences they replace; then guards, then heads (each
// carrying the txn id), then deletes the intent. The intent is the commit
// point. Every Lock that takes a lock looks for intents touching its
// channels (their writer lost the lease: crashed or stalled) and rolls
// them forward: for each channel of the intent that it holds or can take
// at once, if the head is still at the replaced sequence, it writes that
// channel's guards and then its head; the intent is deleted once no head
// is at a replaced sequence. A crash anywhere between the per-channel
// writes is thus repaired by the next locker of any of the channels.
// Remaining window: a writer that stalls (GC pause, SIGSTOP, swap) for
// more than 1/4 of the lease between its last time check and publishing
// its intent can publish it after its locks were taken over; a later
// locker then rolls forward the parts whose heads nobody moved and skips
// the others, so that transaction applies in part. JetStream has no
// fencing token that could stop it; every other late write is fenced by
// the compare-and-sets above and fails.
//
// Large values. A state or intent larger than a chunk (the server's max
// payload minus room for headers) is written as chunks P.ch.<blob>.<n>
// under a fresh blob id BEFORE the head (or intent) pointing to it; the
// chunks of a replaced state are purged after the new head is in. A reader
// that finds chunks gone re-reads the head. Large events are chunked under
// P.evc.<ch>.<id>.<n>, published before their event, tagged with the
// event's blob id. Chunks of a writer that crashed before its head are
// never referenced (garbage left in P_chunks).
//
// Events. Events(after, limit) reads the ids it needs with pipelined
// direct gets by subject; when the range is large it first asks for the
// channel's first stored event (a direct get "next by subject" with a
// wildcard), so a log whose start was deleted costs no wasted requests.
// DeleteEvents finds the cut (by count; by age with a binary search on the
// server's timestamps) and purges P.ev.<ch>.* and P.evc.<ch>.> below the
// sequence after the newest deleted event: chunks of kept events come
// after it, and so does anything appended meanwhile.
//
// Heartbeats store the expiry by the writer's clock: replicas' clocks are
// assumed to agree to well within a heartbeat ttl.
//
// Code: this facade (nats_state_store.cc) and its parts beside it,
// service/nats_state_*.h: records (the codecs), layout (names), io (round
// trips), lock_table (this process's view of the locks), locks, recovery
// (intents), commit (the phases) and commit_plan (pure), events.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cable/nats_security.h"
#include "cable/service/clock.h"
#include "cable/service/state_store.h"

namespace cable::service {

struct NatsStateStoreOptions {
  // Names of the buckets and streams and the subjects' first token:
  // [A-Za-z0-9_-], at most 32 bytes. Replicas sharing state use the same.
  std::string prefix = "cable";
  // Lock lease. Used when creating P_locks; an existing bucket keeps its
  // MaxAge, which is then the lease.
  absl::Duration lock_lease = absl::Seconds(10);
  // Connection name (server monitoring, logs).
  std::string name = "cable-state";
  // Credentials and TLS for the connection.
  NatsSecurity security;
  // Bound of one batch of requests to JetStream.
  absl::Duration request_timeout = absl::Seconds(5);
  // Replicas of the streams created (1 for a single server).
  int replicas = 1;
  // Memory instead of file storage for the streams created (tests).
  bool memory_storage = false;
  // MaxAge of P_workers and P_services: heartbeats with a longer ttl are
  // refused.
  absl::Duration worker_max_age = absl::Hours(24);
  // Largest chunk; 0 = derived from the server's max payload.
  std::size_t max_chunk_bytes = 0;
  // Tests only: called at each stage of a commit that writes ("intent",
  // "guards", "head <i>" before each head, "cleanup"); returning true
  // stops the commit there (Aborted) as if the process died: nothing after
  // it is written and the locks stay taken. Heads are then written one at
  // a time.
  std::function<bool(absl::string_view stage)> crash_at;
  // This process's clock: lock leases and timeouts as seen locally, the
  // commit's time budget, heartbeat expiry. Null: the real clock. (The
  // server's lease, MaxAge, and event timestamps are real time whatever
  // this says.) Must outlive the store.
  Clock* clock = nullptr;
};

class NatsStateStore final : public StateStore {
 public:
  // Connects and creates the buckets and streams unless they exist.
  // InvalidArgument for bad options, Unavailable if NATS or JetStream is
  // not reachable.
  static absl::StatusOr<std::unique_ptr<NatsStateStore>> Connect(
      const std::string& nats_url, NatsStateStoreOptions options);

  NatsStateStore(const NatsStateStore&) = delete;
  NatsStateStore& operator=(const NatsStateStore&) = delete;
  ~NatsStateStore() override;

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

  // The lease in force (the MaxAge of the existing lock bucket).
  absl::Duration lease() const;
  // Bytes per chunk of large values.
  std::size_t chunk_bytes() const;

 private:
  struct Impl;

  explicit NatsStateStore(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace cable::service
