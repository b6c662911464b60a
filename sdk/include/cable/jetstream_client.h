#pragma once
// A NATS connection that talks to JetStream's API directly, pipelined: a
// batch of publishes, direct gets and purges goes out in one write and the
// replies are collected together, so a commit costs a few round trips
// however many messages it writes. The transport of the service's
// NatsStateStore and of JetStreamHistory (cable/jetstream_history.h), which
// the gateway uses too, hence here in the SDK.
//
// Replies of a batch arrive on ONE long-lived wildcard subscription
// `<inbox>.r.>`, demultiplexed by call id, and the messages of listing
// consumers on another long-lived one: no subscription is created or
// destroyed per call (nats.c 3.4 can crash when a subscription is freed
// right after its removal, see cable/nats_connection.h). A batch of one goes
// through natsConnection_RequestMsg instead, which saves a thread hop.
//
// Thread-safe: any number of calls may be in flight at once.

#include <nats/nats.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "cable/nats_connection.h"
#include "cable/nats_security.h"

namespace cable {

// JetStream API error codes Cable tells apart (jsErrCode values).
inline constexpr int kJsStreamNameInUse = 10058;
// What a create racing another process's create of the same stream may get
// instead of kJsStreamNameInUse.
inline constexpr int kJsStreamSubjectOverlap = 10065;
inline constexpr int kJsNotEnabledForAccount = 10039;
inline constexpr int kJsNotEnabled = 10076;

struct NatsMsgDeleter {
  void operator()(natsMsg* m) const { natsMsg_Destroy(m); }
};
using NatsMsgPtr = std::unique_ptr<natsMsg, NatsMsgDeleter>;

// One message of a batch. `data` is copied when the batch is sent.
struct JsRequest {
  std::string subject;
  std::string data;
  std::vector<std::pair<std::string, std::string>> headers;
};

// A message read back from a stream (direct get, or a consumer delivery).
struct StoredMsg {
  // The subject it was stored under.
  std::string subject;
  std::uint64_t seq = 0;
  // The server's timestamp.
  absl::Time time;
  NatsMsgPtr msg;

  absl::string_view data() const;
  // The header's value, or nullopt.
  std::optional<absl::string_view> header(const char* name) const;
};

class JetStreamClient final {
 public:
  struct Options {
    std::string url;
    std::string name;
    // Bound for one batch (and for Connect's handshake).
    absl::Duration request_timeout = absl::Seconds(5);
    NatsSecurity security = {};
  };

  // Unavailable if no server is reachable. After a disconnect nats.c
  // reconnects by itself; calls in between fail with Unavailable or
  // DeadlineExceeded.
  static absl::StatusOr<std::unique_ptr<JetStreamClient>> Connect(
      const Options& options);

  JetStreamClient(const JetStreamClient&) = delete;
  JetStreamClient& operator=(const JetStreamClient&) = delete;
  ~JetStreamClient();

  natsConnection* connection() const { return nc_; }
  jsCtx* js() const { return js_; }
  // The server's max payload (headers + data of one message).
  std::int64_t max_payload() const;

  // Sends every request with a reply subject of this client, in order,
  // and returns the replies in the same order. DeadlineExceeded if one is
  // missing after request_timeout (per window of requests).
  absl::StatusOr<std::vector<NatsMsgPtr>> Batch(
      absl::Span<const JsRequest> requests);
  // Publishes without asking for replies (best-effort cleanup).
  void Send(absl::Span<const JsRequest> requests);

  // What List delivers.
  struct ListOptions {
    enum class Start {
      kAll,             // every message
      kLastPerSubject,  // each subject's last message
      kSequence,        // from `start_seq` on
      kTime,            // from the first stored at or after `start_time`
    };
    // The subjects listed (wildcards allowed).
    std::string filter;
    Start start = Start::kAll;
    std::uint64_t start_seq = 0;
    absl::Time start_time;
    // Data dropped, headers only.
    bool headers_only = false;
    // Stop at the first message whose sequence is at least this (0: none):
    // a reader that knows the last sequence it wants need not wait for the
    // server to count nothing pending, which never happens while others
    // keep appending.
    std::uint64_t stop_at_seq = 0;
    // Stop after this many messages (0: no bound).
    std::size_t max_msgs = 0;
  };

  // The messages of `stream` that match `options`, in stream order, through
  // a temporary push consumer: up to the last one pending when it started
  // (the server's count at each delivery), or to a stop of `options`.
  absl::StatusOr<std::vector<StoredMsg>> List(const std::string& stream,
                                              const ListOptions& options);

  // Every subject's last message in `stream` matching `filter`, in stream
  // order (data dropped with headers_only): List with kLastPerSubject.
  absl::StatusOr<std::vector<StoredMsg>> LastPerSubject(
      const std::string& stream, const std::string& filter, bool headers_only);

  // Creates the stream `config` describes. One that exists is kept as it
  // is, or with `update_existing` given this configuration (the last
  // process started wins). FailedPrecondition when the server has no
  // JetStream; `what` names the stream in errors.
  absl::Status EnsureStream(jsStreamConfig config, bool update_existing,
                            absl::string_view what);

  // --- Requests -----------------------------------------------------------

  // A JetStream publish of `data` to `subject`; with `expected_last`, only
  // if the subject's last sequence is that (0: no message).
  static JsRequest Publish(
      std::string subject, std::string data,
      std::optional<std::uint64_t> expected_last = std::nullopt);
  // A direct get of the last message on `subject`.
  static JsRequest GetLast(const std::string& stream,
                           const std::string& subject);
  // A direct get of the first message at or after `seq` matching `filter`.
  static JsRequest GetNext(const std::string& stream, const std::string& filter,
                           std::uint64_t seq);
  // Purges the messages matching `filter`; with `below_seq`, only those
  // with a lower sequence.
  static JsRequest Purge(const std::string& stream, const std::string& filter,
                         std::optional<std::uint64_t> below_seq = std::nullopt);

  // --- Replies ------------------------------------------------------------

  // The stored sequence of a publish; Aborted (only) for a failed
  // expected_last ("wrong last sequence").
  static absl::StatusOr<std::uint64_t> PubAck(const NatsMsgPtr& reply);
  // The message of a direct get; nullopt when there is none.
  static absl::StatusOr<std::optional<StoredMsg>> Got(NatsMsgPtr reply);
  // OK if a purge succeeded.
  static absl::Status Purged(const NatsMsgPtr& reply);

 private:
  struct Call;

  JetStreamClient() = default;

  // Registers a call with `replies` slots under a fresh id.
  std::pair<std::uint64_t, std::shared_ptr<Call>> NewCall(std::size_t replies);
  void EndCall(std::uint64_t id);
  absl::StatusOr<std::vector<NatsMsgPtr>> BatchWindow(
      absl::Span<const JsRequest> requests);
  absl::Status SendOne(const JsRequest& request, const std::string& reply);
  std::int64_t FlushTimeoutMs() const;

  static void OnReply(natsConnection* nc, natsSubscription* sub, natsMsg* msg,
                      void* closure);
  static void OnDelivery(natsConnection* nc, natsSubscription* sub,
                         natsMsg* msg, void* closure);
  static void OnComplete(void* closure);

  std::string name_;
  absl::Duration request_timeout_;
  // The shared connection layer (connect, options, status mapping).
  std::unique_ptr<NatsConnection> connection_;
  natsConnection* nc_ = nullptr;  // connection_->get()
  jsCtx* js_ = nullptr;
  // `<inbox>.r.<call>.<slot>`: replies.
  natsSubscription* reply_sub_ = nullptr;
  // `<inbox>.d`: deliveries of every listing consumer, told apart by the
  // consumer name in their `$JS.ACK` reply subject.
  natsSubscription* delivery_sub_ = nullptr;
  std::string inbox_;

  absl::Mutex mu_;
  std::uint64_t next_call_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<std::uint64_t, std::shared_ptr<Call>> calls_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::shared_ptr<Call>> consumers_
      ABSL_GUARDED_BY(mu_);
  int completed_subs_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace cable
