#pragma once
// cable::Publisher: the C++ client of cable.v1.Publisher
// (proto/cable/v1/publisher.proto), what applications embed to publish
// broadcasts, reach connections and manage stateful channels.
//
//   auto publisher = cable::Publisher::Create({.target = "127.0.0.1:50051"});
//   if (!publisher.ok()) return publisher.status();
//   absl::Status s = publisher->Broadcast("chat:lobby", R"({"text":"hi"})");
//
// Errors: each call returns the gRPC status it ended with as an
// absl::Status of the same code and message (INVALID_ARGUMENT for an empty
// stream, NOT_FOUND for an unknown channel, ...); publisher_status.h says
// which errors are worth retrying.
//
// Deadlines: every call is bounded by CallOptions::deadline, or else by
// PublisherOptions::default_deadline (5 s), connecting and retries
// included.
//
// Retries, exactly (RetryPolicy sets the numbers):
//   1. Before sending, a call waits for a ready connection. When a
//      connection attempt fails the next starts at once and has a backoff
//      (initial_backoff, growing) to become ready, up to max_attempts
//      attempts within the deadline; then the call fails with UNAVAILABLE
//      (DEADLINE_EXCEEDED if the deadline came first), marked NeverSent.
//      Nothing was sent, so this applies to every method.
//   2. Once a request is handed to a ready connection it is sent exactly
//      once, and its outcome is returned as it is, whatever the status:
//      the server may have acted on it, and a broadcast must never be
//      published twice. This holds for Broadcast, BroadcastBatch,
//      Disconnect, Transmit, CreateChannel, UpdateState and DeleteEvents.
//   3. The read-only GetState, ListChannels, History, Presence,
//      PresenceStats, Channels and Info are also sent again (up to
//      max_attempts sends in all, after a backoff, within the deadline) when
//      the server answers UNAVAILABLE or RESOURCE_EXHAUSTED.
//   (gRPC itself may also resend a request that never left the client;
//   that too cannot reach the server twice.)
//
// Thread safety: all methods are const and may be called from any number of
// threads at once; they block the calling thread until the call ends.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "cable/publisher_options.h"
#include "cable/publisher_status.h"

namespace cable {

// One message for one stream, as BroadcastBatch sends it.
struct BroadcastMessage {
  // Non-empty UTF-8.
  std::string stream{};
  // Valid JSON arrives as that JSON value in the client's `message`,
  // anything else as a JSON string.
  std::string data{};
};

// How CreateChannel makes a stateful channel.
struct ChannelOptions {
  // At most 50 characters; ListChannels can filter by it.
  std::string type{};
  // Store events for the backlog a joining client gets; false: events are
  // sent live only.
  bool keep_events = true;
};

// A stateful channel as GetState reads it.
struct ChannelState {
  // JSON text.
  std::string state{};
  std::uint64_t revision = 0;
  std::uint64_t last_event_id = 0;
  std::string type{};
  bool keep_events = true;
};

// A compare-and-set UpdateState.
struct StateUpdate {
  // Applies only if the channel is still at this revision; otherwise the
  // call fails with FAILED_PRECONDITION (read again and retry).
  std::uint64_t expected_revision = 0;
  // The new state (JSON text); unset leaves the state unchanged.
  std::optional<std::string> state{};
  // Events (JSON text each), in order.
  std::vector<std::string> events{};
};

// What UpdateState applied.
struct StateUpdated {
  std::uint64_t revision = 0;
  // Id of the first event appended, 0 if none.
  std::uint64_t first_event_id = 0;
};

// Which events DeleteEvents keeps: the newest `keep_num` and those younger
// than `keep_duration`, whichever keeps more. At least one must be set.
struct EventRetention {
  std::optional<std::uint64_t> keep_num{};
  std::optional<std::chrono::milliseconds> keep_duration{};
};

// What History reads: the messages after `after_offset` of `epoch` (from a
// Broadcast's answer or an earlier read), or else those kept since
// `since`, or else every one kept; at most `limit` (0: the server's 1,000),
// the oldest first.
struct HistoryFrom {
  std::optional<std::uint64_t> after_offset{};
  std::string epoch{};
  std::optional<std::chrono::system_clock::time_point> since{};
  std::uint32_t limit = 0;
};

struct HistoryMessage {
  std::uint64_t offset = 0;
  std::string data{};
  std::chrono::system_clock::time_point time{};
};

struct StreamHistory {
  // Offsets only compare within one epoch.
  std::string epoch{};
  std::vector<HistoryMessage> messages{};
  // The stream's last offset when read (0: none kept).
  std::uint64_t last_offset = 0;
};

// A member of a stream's presence set.
struct PresenceRecord {
  std::string id{};
  // JSON text ("null" when the client gave none).
  std::string info{};
};

struct PresenceCounts {
  // Connections present, and distinct ids.
  std::uint32_t clients = 0;
  std::uint32_t users = 0;
};

// What Channels finds: streams with subscribers now, across every gateway.
struct LiveStreams {
  // Sorted by name, with their subscriber counts.
  std::vector<std::pair<std::string, std::uint64_t>> streams{};
  // More matched than were listed.
  bool truncated = false;
  // Gateways that did not answer in time (their counts are missing).
  std::vector<std::string> unanswered_gateways{};
};

// What Info finds: every gateway and service replica that answered.
struct ServerInfo {
  struct Gateway {
    std::string id{};
    std::uint64_t connections = 0;
    std::uint64_t subscriptions = 0;
    std::uint64_t streams = 0;
    std::string version{};
    std::uint64_t uptime_seconds = 0;
  };
  struct Service {
    std::string id{};
    std::string version{};
    std::uint64_t uptime_seconds = 0;
  };
  std::vector<Gateway> gateways{};
  std::vector<Service> services{};
  std::uint64_t connections = 0;
  std::string version{};
  std::vector<std::string> unanswered_gateways{};
  std::vector<std::string> unanswered_services{};
};

// A client of one Cable server (or load-balanced set of them) over one gRPC
// channel. Connects lazily, on the first call; move-only.
class Publisher final {
 public:
  // Checks `options` (a target; client certificate and key both or
  // neither; a positive deadline and max_attempts) and builds the channel.
  // Does not connect: an unreachable server shows in the first call.
  static absl::StatusOr<Publisher> Create(PublisherOptions options);

  Publisher(Publisher&&) noexcept;
  Publisher& operator=(Publisher&&) noexcept;
  ~Publisher();

  // Publishes `data` to every subscriber of `stream`.
  absl::Status Broadcast(std::string_view stream, std::string_view data,
                         const CallOptions& call = {}) const;

  // Publishes several messages in one call, in order (each stream keeps
  // the order given). The server validates all before publishing any.
  // Returns the number accepted.
  absl::StatusOr<std::uint32_t> BroadcastBatch(
      absl::Span<const BroadcastMessage> broadcasts,
      const CallOptions& call = {}) const;

  // Disconnects every connection whose identifiers include all these
  // name/value pairs (must not be empty), on whichever gateway it is.
  // `reconnect` tells the clients whether to reconnect.
  absl::Status Disconnect(const std::map<std::string, std::string>& identifiers,
                          bool reconnect, const CallOptions& call = {}) const;

  // Sends `data` to one connection (its session id "<gateway>.<random>")
  // for the subscription `identifier`, exactly as the client subscribed.
  absl::Status Transmit(std::string_view sid, std::string_view identifier,
                        std::string_view data,
                        const CallOptions& call = {}) const;

  // Creates a stateful channel with the starting state `state_json`.
  // Returns false when it already existed (nothing changed).
  absl::StatusOr<bool> CreateChannel(std::string_view name,
                                     std::string_view state_json,
                                     const ChannelOptions& channel = {},
                                     const CallOptions& call = {}) const;

  // The channel's state; NOT_FOUND for an unknown channel.
  absl::StatusOr<ChannelState> GetState(std::string_view name,
                                        const CallOptions& call = {}) const;

  // Compare-and-set on the revision (see StateUpdate).
  absl::StatusOr<StateUpdated> UpdateState(std::string_view name,
                                           const StateUpdate& update,
                                           const CallOptions& call = {}) const;

  // Deletes the events `retention` does not keep; returns how many.
  absl::StatusOr<std::uint64_t> DeleteEvents(
      std::string_view name, const EventRetention& retention,
      const CallOptions& call = {}) const;

  // Names of the stateful channels, only those of `type` when given.
  absl::StatusOr<std::vector<std::string>> ListChannels(
      std::optional<std::string> type = std::nullopt,
      const CallOptions& call = {}) const;

  // Reliable streams: what `stream` keeps for replays (docs/protocol.md).
  // FAILED_PRECONDITION when it keeps none or the epoch is not its own any
  // more, OUT_OF_RANGE when messages after the offset were dropped.
  absl::StatusOr<StreamHistory> History(std::string_view stream,
                                        const HistoryFrom& from = {},
                                        const CallOptions& call = {}) const;

  // Presence: the members of `stream`'s presence set, sorted by id, and
  // how many connections and ids it holds.
  absl::StatusOr<std::vector<PresenceRecord>> Presence(
      std::string_view stream, const CallOptions& call = {}) const;
  absl::StatusOr<PresenceCounts> PresenceStats(
      std::string_view stream, const CallOptions& call = {}) const;

  // The server API: streams with subscribers whose name matches the glob
  // `pattern` (empty: all), and the gateways and service replicas running.
  absl::StatusOr<LiveStreams> Channels(std::string_view pattern = {},
                                       const CallOptions& call = {}) const;
  absl::StatusOr<ServerInfo> Info(const CallOptions& call = {}) const;

 private:
  struct Impl;
  explicit Publisher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cable
