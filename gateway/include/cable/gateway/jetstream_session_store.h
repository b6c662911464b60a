#pragma once
// Session snapshots in NATS JetStream, shared by every gateway on one NATS,
// so that a client whose gateway died restores its session on another.
//
// Layout: one JetStream stream (KV-style), "<stream_name>" on subjects
// "<subject_prefix>.>", MaxMsgsPerSubject 1 (a save replaces the last) and
// MaxAge the TTL (the server forgets a snapshot TTL after its last save).
// A session is one subject, "<subject_prefix>.<token>", the token being
// EncodeStreamToken(sid) (cable/stream_subject.h). A message's data is the
// snapshot as a JSON array of identifier strings.
//
// Threads: Save and Load only queue (a later Save of a sid still queued
// replaces the earlier, and a Load of it is answered from the queue); one
// worker thread writes and reads in pipelined batches
// (JetStreamClient::Batch), a batch at a time, so a sid's saves reach
// JetStream in the order they were made. `done` runs on the worker.

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cable/gateway/session_store.h"
#include "cable/jetstream_client.h"

namespace cable::gateway {

struct JetStreamSessionStoreOptions {
  std::chrono::milliseconds ttl{5 * 60 * 1000};
  // Must not overlap the pub/sub's ("cable.s"), the control bus's
  // ("cable.ctl") or the history's ("cable.h") subjects.
  std::string stream_name = "CABLE_SESSIONS";
  std::string subject_prefix = "cable.sess";
  // File storage by default: a restarted nats-server keeps the sessions.
  bool memory_storage = false;
  int replicas = 1;
  // Requests in one batch; saves and lookups waiting beyond
  // `max_queued` are refused (a save is dropped with a warning, a lookup
  // fails with ResourceExhausted).
  std::size_t max_batch = 256;
  std::size_t max_queued = 100000;
};

class JetStreamSessionStore final : public SessionStore {
 public:
  // Creates the stream or updates it to `options` (idempotent: gateways
  // may start at once). FailedPrecondition when the server has no
  // JetStream; InvalidArgument for a bad name, prefix or TTL.
  static absl::StatusOr<std::unique_ptr<JetStreamSessionStore>> Create(
      std::unique_ptr<JetStreamClient> client,
      JetStreamSessionStoreOptions options);

  JetStreamSessionStore(const JetStreamSessionStore&) = delete;
  JetStreamSessionStore& operator=(const JetStreamSessionStore&) = delete;
  // Writes what is queued (each batch bounded by the client's request
  // timeout), then stops; lookups still queued fail with Cancelled.
  ~JetStreamSessionStore() override;

  void Save(absl::string_view sid, SessionSnapshot snapshot) override;
  void Load(absl::string_view sid, SessionLoadDone done) override;
  std::chrono::milliseconds ttl() const override { return options_.ttl; }

  // The subject that keeps `sid`'s snapshot.
  std::string Subject(absl::string_view sid) const;

 private:
  struct PendingLoad {
    std::string sid;
    SessionLoadDone done;
  };

  JetStreamSessionStore(std::unique_ptr<JetStreamClient> client,
                        JetStreamSessionStoreOptions options);
  absl::Status EnsureStream();
  void Work();
  // One batch: the saves, then the lookups.
  void Run(std::vector<std::pair<std::string, SessionSnapshot>> saves,
           std::vector<PendingLoad> loads);

  const std::unique_ptr<JetStreamClient> client_;
  const JetStreamSessionStoreOptions options_;

  absl::Mutex mu_;
  // The latest snapshot of each sid not yet written, and the order to
  // write them in.
  absl::flat_hash_map<std::string, SessionSnapshot> saves_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> save_order_ ABSL_GUARDED_BY(mu_);
  std::deque<PendingLoad> loads_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread worker_;
};

}  // namespace cable::gateway
