#pragma once
// History in NATS JetStream (issue 14): shared by every gateway and service
// replica on one NATS, and kept when any of them dies.
//
// Layout. Each entry of the policy that keeps history (the defaults, and
// every override with a limit) has a JetStream stream of its own,
// "<stream_prefix>_<entry>" (CABLE_HISTORY_0 for the defaults,
// CABLE_HISTORY_<i+1> for override i), on subjects
// "<subject_prefix>.<entry>.>", with MaxMsgsPerSubject = the entry's limit
// and MaxAge = its ttl, so that the server itself trims and expires. A cable
// stream is one subject there: "<subject_prefix>.<entry>.<token>", the token
// being EncodeStreamToken(stream) (cable/stream_subject.h), reversible and
// free of collisions. Every process must run the same policy: the entry
// numbers name the streams.
//
// Messages. Each message is one broadcast, its data as is, with headers
// Cable-Epoch and Cable-Offset. Offsets are contiguous per cable stream
// because Append reads the subject's last message and publishes the next
// offset with Nats-Expected-Last-Subject-Sequence set to that message's
// sequence (0 for none): when another process appended in between, the
// server refuses ("wrong last sequence") and Append starts over, a bounded
// number of times. A subject with no message (new, expired, purged, its
// stream deleted) starts a new random epoch at offset 1, so an epoch changes
// exactly when history was lost.
//
// A Read of a stream with no message and no `after` must report the epoch
// that its first message will get, as InMemoryHistory does: it writes a
// marker for that, a message with the new epoch, offset 0 and no data, which
// Append continues from (offset 1) and which reads skip. It counts against
// the subject's limit only while fewer than `limit` messages follow it, and
// expires like any message, so a stream only read expires ttl after that
// read.
//
// Threads. Append blocks its caller for two JetStream round trips (more
// under contention), each bounded by the client's request timeout; a
// process's appends to one stream take turns, so only other processes
// contend. Read
// never blocks: reads are queued to `read_threads` worker threads, each read
// a direct get of the subject's last message and, when entries are wanted,
// a short-lived consumer from the subject's first message (or from `since`)
// to that last one; `done` runs on a worker thread.
//
// Streams are created (or updated to the policy's limits) by Create, and
// again by an Append or Read that finds its stream gone (an operator
// deleted it): that call first waits out one request timeout, since a
// direct get to a missing stream gets no answer at all.

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cable/history.h"
#include "cable/jetstream_client.h"

namespace cable {

struct JetStreamHistoryOptions {
  // JetStream stream names "<stream_prefix>_<entry>" and subjects
  // "<subject_prefix>.<entry>.<token>". The subjects must not overlap the
  // pub/sub's ("cable.s") or the control bus's ("cable.ctl").
  std::string stream_prefix = "CABLE_HISTORY";
  std::string subject_prefix = "cable.h";
  // File storage by default: a restarted nats-server keeps history (and the
  // epochs), so that a rolling upgrade of NATS does not make every client
  // reload. JetStream does not sync each write, so appends cost about what
  // memory storage costs.
  bool memory_storage = false;
  // JetStream replicas of each stream (a clustered NATS may use 3).
  int replicas = 1;
  // Threads that run reads; reads wait in a queue of at most
  // `max_queued_reads` (more fail at once with ResourceExhausted).
  int read_threads = 2;
  std::size_t max_queued_reads = 10000;
  // A read that has not finished this long after Read was called fails
  // with DeadlineExceeded (checked between its requests, each bounded by
  // the client's request timeout).
  absl::Duration read_timeout = absl::Seconds(5);
  // Tries of one Append when other processes keep appending to the same
  // stream first; then Aborted.
  int append_attempts = 16;
};

class JetStreamHistory final : public History {
 public:
  // Creates or updates the streams of `policy` (idempotent: processes may
  // start at once). FailedPrecondition when the server has no JetStream;
  // InvalidArgument for bad prefixes; else the server's error.
  static absl::StatusOr<std::unique_ptr<JetStreamHistory>> Create(
      std::unique_ptr<JetStreamClient> client, HistoryPolicy policy,
      JetStreamHistoryOptions options = {});

  JetStreamHistory(const JetStreamHistory&) = delete;
  JetStreamHistory& operator=(const JetStreamHistory&) = delete;
  // Waits for the reads in progress; queued ones complete with Cancelled.
  ~JetStreamHistory() override;

  absl::StatusOr<StreamPosition> Append(absl::string_view stream,
                                        absl::string_view data) override;
  void Read(absl::string_view stream, HistoryQuery query,
            HistoryReadDone done) override;

  const HistoryPolicy& policy() const { return policy_; }
  JetStreamClient& client() const { return *client_; }
  // The JetStream stream that keeps `stream`'s history, and its subject
  // there; nullopt for a stream without history.
  std::optional<std::string> JetStreamName(absl::string_view stream) const;
  std::optional<std::string> Subject(absl::string_view stream) const;

 private:
  // Where a cable stream lives.
  struct Location {
    std::size_t entry = 0;
    std::string jetstream;  // stream name
    std::string subject;
  };
  // A subject's last message, as Append and Read see it.
  struct Last {
    std::uint64_t seq = 0;
    absl::Time time;
    StreamPosition position;  // offset 0: a marker
  };
  struct PendingRead {
    std::string stream;
    HistoryQuery query;
    HistoryReadDone done;
    absl::Time deadline;
  };

  JetStreamHistory(std::unique_ptr<JetStreamClient> client,
                   HistoryPolicy policy, JetStreamHistoryOptions options);

  std::optional<Location> Locate(absl::string_view stream) const;
  std::string JetStreamNameOf(std::size_t entry) const;
  // Creates entry's stream, or updates it to the policy's limits.
  absl::Status EnsureStream(std::size_t entry);
  std::string NewEpoch();
  // Uniform in [0, n).
  std::uint64_t RandomBelow(std::uint64_t n);

  // The subject's last message; nullopt when it has none.
  absl::StatusOr<std::optional<Last>> GetLast(const Location& where);
  // Publishes `pos` (and `data`) only if the subject's last sequence is
  // `expected` (0: no message): Aborted when it is not.
  absl::Status Publish(const Location& where, const StreamPosition& pos,
                       absl::string_view data, std::uint64_t expected);
  // After `why` (a failed request), whether to try again: once per call
  // (`recreated`), when `why` says the stream may be gone, JetStream says
  // it is, and creating it again succeeded.
  bool Recreate(const Location& where, const absl::Status& why,
                bool& recreated);

  void Work();
  absl::StatusOr<HistoryPage> Query(const PendingRead& read);
  // One try; Aborted when the history changed under it.
  absl::StatusOr<HistoryPage> QueryOnce(const Location& where,
                                        absl::string_view stream,
                                        const HistoryQuery& query,
                                        absl::Time deadline);

  const std::unique_ptr<JetStreamClient> client_;
  const HistoryPolicy policy_;
  const JetStreamHistoryOptions options_;
  // The largest data an Append takes: the server's max payload less room
  // for the headers.
  const std::size_t max_data_;

  // When Recreate last asked whether each entry's stream exists after a
  // timeout.
  absl::Mutex checks_mu_;
  std::vector<absl::Time> last_check_ ABSL_GUARDED_BY(checks_mu_);

  // Appends of one process to one stream take turns (striped by name).
  std::array<absl::Mutex, 64> stripes_;

  absl::Mutex bitgen_mu_;
  absl::BitGen bitgen_ ABSL_GUARDED_BY(bitgen_mu_);

  absl::Mutex mu_;
  std::deque<PendingRead> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace cable
