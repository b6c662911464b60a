#pragma once
// Stateful channels (seed: BoardStreams): a channel has a name
// ("checkers:boards:15"), a JSON state only the server changes, an event log
// and a type. Clients join it (docs/protocol.md, "Stateful channels"), get
// the state and a backlog of past events, then every event and state patch
// live. Handlers registered for a channel path decide who joins and what
// actions and requests do; `LockState` changes state atomically per
// channel, however many service replicas write at once.
//
//   StateChannels& bs = ...;
//   bs.OnJoin({"checkers:boards", Pattern(R"(^\d+$)")},
//              [](const std::string& name, const StateClient& c,
//                 const JoinAttrs& attrs) -> JoinResult {
//                return Join{.limit = 50};
//              });
//   bs.OnAction({"checkers:boards", Pattern(R"(^\d+$)")}, "move",
//       [&bs](const std::string& name, const StateClient& c,
//             const nlohmann::json& move) {
//         return c.LockState(name, [&](nlohmann::json& state)
//                                       -> absl::StatusOr<Change> {
//           state["board"] = ...;
//           return Change{.events = {move}};
//         });
//       });
//
// Everything the store holds lives in a StateStore (in memory, or NATS
// JetStream); updates reach gateways on the stream protocol::StateStream(
// name), published while the channel is still locked so that they arrive
// in revision order.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "cable/service/clock.h"
#include "cable/service/periodic_thread.h"
#include "cable/service/state_store.h"

namespace cable {
class PubSub;
}  // namespace cable

namespace cable::service {

class StateChannels;
class Txn;

// A channel-path segment matched by a regular expression (the seed's
// qr/^\d+$/). It matches one ':'-separated part of a channel name.
struct Pattern {
  explicit Pattern(std::string re) : source(std::move(re)) {}
  std::string source;
};

// Fixed and pattern segments, joined by ':' when matched against a name:
// {"checkers:boards", Pattern(R"(^\d+$)")} matches "checkers:boards:15".
class ChannelPath final {
 public:
  using Segment = std::variant<std::string, Pattern>;
  ChannelPath(const char* fixed) : ChannelPath({Segment(fixed)}) {}
  ChannelPath(std::string fixed) : ChannelPath({Segment(std::move(fixed))}) {}
  ChannelPath(std::initializer_list<Segment> segments);

  bool Matches(absl::string_view name) const;
  const std::string& text() const { return text_; }

 private:
  // One entry per ':'-separated part: a literal, or a compiled pattern.
  std::vector<std::variant<std::string, std::regex>> parts_;
  std::string text_;
};

// What LockState's function returns for one channel. The state itself is
// changed in place; an unchanged state sends no patch.
struct Change {
  // 0, 1 or more events, in order; the last one travels with the patch.
  std::vector<nlohmann::json> events;
  // Added to the guard count of (channel, worker); see OnCleanup.
  std::int64_t guard = 0;
};

using LockFn = std::function<absl::StatusOr<Change>(nlohmann::json& state)>;
using MultiLockFn = std::function<absl::StatusOr<std::vector<Change>>(
    std::vector<nlohmann::json>& states)>;

// Who sent a command: what handlers know about the client.
class StateClient final {
 public:
  StateClient(StateChannels& channels, std::string sid, std::string worker,
              std::map<std::string, std::string> identifiers)
      : channels_(&channels),
        sid_(std::move(sid)),
        worker_(std::move(worker)),
        identifiers_(std::move(identifiers)) {}

  const std::string& sid() const { return sid_; }
  // The gateway instance holding the client's socket (seed: worker_uuid).
  const std::string& worker_uuid() const { return worker_; }
  // Set by the connection's `connect` (e.g. {"user": "ann"}).
  const std::map<std::string, std::string>& identifiers() const {
    return identifiers_;
  }
  std::string identifier(const std::string& key) const;

  // LockState with guard counts charged to this client's worker.
  absl::Status LockState(const std::string& name, const LockFn& fn) const;
  absl::Status LockState(const std::vector<std::string>& names,
                         const MultiLockFn& fn) const;
  Txn begin() const;

 private:
  StateChannels* channels_;
  std::string sid_;
  std::string worker_;
  std::map<std::string, std::string> identifiers_;
};

struct JoinAttrs {
  // Rejoining after a reconnect (the client says so: not for
  // authorisation).
  bool is_reconnect = false;
};

// An accepted join: how many of the newest past events the client gets
// before the state; std::nullopt sends all of them. On a rejoin only events
// after the last one the client saw count.
struct Join {
  std::optional<std::uint64_t> limit = 0;
};
// std::nullopt refuses the join.
using JoinResult = absl::StatusOr<std::optional<Join>>;

using JoinHandler = std::function<JoinResult(
    const std::string& name, const StateClient& client, const JoinAttrs&)>;
using LeaveHandler =
    std::function<void(const std::string& name, const StateClient& client)>;
using ActionHandler = std::function<absl::Status(
    const std::string& name, const StateClient& client,
    const nlohmann::json& payload)>;
// Completes a request: a value (success) or an error (failure, with the
// status message). Call it exactly once, from any thread, now or later.
using Reply = std::function<void(absl::StatusOr<nlohmann::json>)>;
using RequestHandler =
    std::function<void(const std::string& name, const StateClient& client,
                       const nlohmann::json& payload, Reply reply)>;
// For handlers that answer at once.
using SyncRequestHandler = std::function<absl::StatusOr<nlohmann::json>(
    const std::string& name, const StateClient& client,
    const nlohmann::json& payload)>;
// Runs for a channel a dead worker still guarded; `txn` removes the dead
// workers' guard counts when it commits (after the handler returns OK).
using CleanupHandler =
    std::function<absl::Status(const std::string& name, Txn& txn,
                               const std::set<std::string>& alive_workers)>;

struct ChannelOptions {
  std::string type;
  bool keep_events = true;
};

struct StateChannelsOptions {
  // How long LockState waits for a channel another writer holds (under
  // the gateway's service_timeout, 5 s by default).
  absl::Duration lock_timeout = absl::Seconds(3);
  // A worker is dead once heartbeat_timeout passes after the heartbeat it
  // missed.
  absl::Duration heartbeat_timeout = absl::Seconds(5);
  // How often this replica looks for dead workers' guard counts; zero
  // disables the cleanup loop.
  absl::Duration cleanup_interval = absl::Seconds(5);
  // Paces the cleanup loop (tests pass a ManualClock, with the store on the
  // same clock). Null: the real clock. Must outlive the StateChannels.
  Clock* clock = nullptr;
};

// A transaction: LockState calls (nested or not) that commit together or
// not at all. A nested LockState may not touch a channel whose function is
// still running (FailedPrecondition). Channels stay locked until commit or
// rollback; destroying an uncommitted Txn rolls it back.
class Txn final {
 public:
  Txn(Txn&&) noexcept;
  Txn& operator=(Txn&&) = delete;
  ~Txn();

  absl::Status LockState(const std::string& name, const LockFn& fn);
  absl::Status LockState(const std::vector<std::string>& names,
                         const MultiLockFn& fn);
  // Writes everything, publishes the updates, releases the locks. After an
  // error in any LockState, commit fails and nothing is written.
  absl::Status Commit();
  void Rollback();

 private:
  friend class StateChannels;
  struct Pending {
    nlohmann::json before;
    nlohmann::json state;
    std::uint64_t revision = 0;
    std::uint64_t last_event_id = 0;
    std::vector<nlohmann::json> events;
    std::int64_t guard = 0;
    std::vector<std::string> clear_guards_of;
  };
  Txn(StateChannels& channels, std::string worker);
  absl::Status Load(const std::vector<std::string>& names);

  StateChannels* channels_;
  std::string owner_;
  std::string worker_;
  std::map<std::string, Pending> pending_;
  // Channels whose LockState function is running (no nesting on those).
  std::set<std::string> running_;
  absl::Status failed_;
  bool done_ = false;
};

class StateChannels final {
 public:
  // Both must outlive this. Starts the cleanup loop (unless disabled).
  StateChannels(StateStore& store, PubSub& pubsub,
                StateChannelsOptions options = {});
  ~StateChannels();
  StateChannels(const StateChannels&) = delete;
  StateChannels& operator=(const StateChannels&) = delete;

  // Handlers: register before serving. A path with no join handler
  // refuses joins.
  void OnJoin(ChannelPath path, JoinHandler handler);
  void OnLeave(ChannelPath path, LeaveHandler handler);
  void OnAction(ChannelPath path, std::string action, ActionHandler handler);
  void OnRequest(ChannelPath path, std::string request, RequestHandler handler);
  void OnRequest(ChannelPath path, std::string request,
                 SyncRequestHandler handler);
  void OnCleanup(ChannelPath path, CleanupHandler handler);

  // False (and nothing changes) if the channel exists.
  absl::StatusOr<bool> CreateChannel(const std::string& name,
                                     const nlohmann::json& state,
                                     ChannelOptions options = {});
  // Runs `fn` on the current state with the channel locked, writes what it
  // did, sends the event(s) and patch to every client in the channel.
  // `worker` is charged with Change::guard.
  absl::Status LockState(const std::string& name, const LockFn& fn,
                         const std::string& worker = "");
  // Several channels at once: `fn` gets their states in the order of
  // `names` and returns one Change per channel.
  absl::Status LockState(const std::vector<std::string>& names,
                         const MultiLockFn& fn, const std::string& worker = "");
  Txn begin(const std::string& worker = "");
  absl::StatusOr<std::uint64_t> DeleteEvents(
      const std::string& name, std::optional<std::uint64_t> keep_num,
      std::optional<absl::Duration> keep_duration);
  // Compare-and-set for Publisher.UpdateState: applies if the channel is
  // still at `expected_revision` (FailedPrecondition otherwise).
  absl::StatusOr<CommitResult> UpdateState(const std::string& name,
                                           std::uint64_t expected_revision,
                                           std::optional<std::string> state,
                                           std::vector<std::string> events);

  // A worker (gateway) is alive; it sends every `interval`.
  absl::Status Heartbeat(const std::string& worker, absl::Duration interval);
  // One cleanup pass (the loop runs this every cleanup_interval): OnCleanup
  // for every channel a dead worker still guards. Returns how many ran.
  absl::StatusOr<int> Cleanup();

  StateStore& store() { return store_; }
  PubSub& pubsub() { return pubsub_; }

  // The handlers for a channel name (null members when none match).
  struct Handlers {
    const JoinHandler* join = nullptr;
    const LeaveHandler* leave = nullptr;
    const CleanupHandler* cleanup = nullptr;
  };
  Handlers find(absl::string_view name) const;
  const ActionHandler* FindAction(absl::string_view name,
                                  absl::string_view action) const;
  const RequestHandler* FindRequest(absl::string_view name,
                                    absl::string_view request) const;

 private:
  friend class Txn;
  template <class H>
  struct Entry {
    ChannelPath path;
    std::string name;  // action / request name, or empty
    H handler;
  };
  std::string NewOwner();

  StateStore& store_;
  PubSub& pubsub_;
  const StateChannelsOptions options_;
  std::vector<Entry<JoinHandler>> joins_;
  std::vector<Entry<LeaveHandler>> leaves_;
  std::vector<Entry<ActionHandler>> actions_;
  std::vector<Entry<RequestHandler>> requests_;
  std::vector<Entry<CleanupHandler>> cleanups_;
  const std::string instance_;
  absl::Mutex mu_;
  std::uint64_t next_owner_ ABSL_GUARDED_BY(mu_) = 0;
  // Runs Cleanup every cleanup_interval (last: stops first).
  PeriodicThread cleaner_;
};

// The frames of one commit on the channel's stream: "event" for all but
// the last event, then "event_patch" (docs/protocol.md). `patch` is null
// when the state did not change.
std::vector<std::string> StateUpdateMessages(
    std::uint64_t revision, std::uint64_t first_event_id,
    const std::vector<nlohmann::json>& events, const nlohmann::json& patch);

}  // namespace cable::service
