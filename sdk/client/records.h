#pragma once
// What the client keeps per subscription, per channel join and per request.
// Every field below the "guarded" line is only touched with the owning
// Session's mutex held (the records live inside the Session; an
// ABSL_GUARDED_BY cannot name that mutex from here).

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cable/client_channel.h"
#include "cable/client_subscription.h"

namespace cable::client_internal {

using RequestResult = absl::StatusOr<nlohmann::json>;

// What handling a frame or a command asks of the Session, in order.
struct Effects {
  // Frames for the current connection (dropped when it is not welcomed).
  std::vector<nlohmann::json> frames;
  // Callbacks to run on the I/O thread.
  std::vector<std::function<void()>> calls;
};

// A request that was sent (in Session's table) or waits in a channel queue.
struct PendingRequest {
  std::uint64_t id = 0;
  std::string identifier;
  std::string request;
  std::promise<RequestResult> promise;
};

// A command waiting for its join or subscribe to be sent.
struct QueuedCommand {
  nlohmann::json frame;
  std::optional<PendingRequest> request;
};

// One join of a stateful channel: the protocol logic of cable-state.js's
// CableStateChannel (backlog, state, live updates, revision gaps).
struct ChannelRecord : std::enable_shared_from_this<ChannelRecord> {
  ChannelRecord(std::string name, std::string identifier, JoinOptions options);

  const std::string name;
  const std::string identifier;
  // Set by leave() and close(); callbacks already queued check it before
  // running, so none runs after leave() returned on the I/O thread.
  std::atomic<bool> left{false};

  // ---- guarded by the Session's mutex ----
  // Reset on leave/close, which breaks cycles through handles captured in
  // the callbacks. Queued callbacks hold their own reference.
  std::shared_ptr<const JoinOptions> handlers;
  // The state is only written on the I/O thread, which is also where
  // callbacks read it (without the lock: no writer runs meanwhile).
  std::optional<nlohmann::json> state;
  // Revision of `state`; nullopt before the first state.
  std::optional<std::uint64_t> revision;
  // Id of the newest event seen; sent back on a rejoin.
  std::uint64_t last_event_id = 0;
  // From the state frame until the connection drops.
  bool joined = false;
  // The join went out on the current connection.
  bool join_sent = false;
  // A join or sync waits for its state: live updates are ignored.
  bool awaiting_state = false;
  // Ever had a state: later joins are rejoins (with last_event_id).
  bool had_state = false;
  std::deque<QueuedCommand> queue;

  // The join command for a new connection; marks the join sent.
  nlohmann::json Join();
  void OnDisconnected();
  // A frame with this identifier (not reject_subscription).
  void OnFrame(const nlohmann::json& frame, Effects& out);
  // reject_subscription; the Session fails this join's requests.
  void OnRejected(Effects& out);

 private:
  void OnUpdate(const nlohmann::json& frame, Effects& out);
  void Resync(Effects& out);
  void EmitEventPatch(Effects& out, std::optional<nlohmann::json> event,
                      std::optional<nlohmann::json> patch, bool from_backlog);
  void EmitEvent(Effects& out, nlohmann::json event);
  void EmitState(Effects& out, bool initial);
  void EmitError(Effects& out, std::string message);
};

// One Action Cable subscription.
struct SubscriptionRecord {
  SubscriptionRecord(std::string identifier, SubscriptionCallbacks callbacks);

  const std::string identifier;
  // Set by unsubscribe() and close(); checked by queued callbacks.
  std::atomic<bool> unsubscribed{false};

  // ---- guarded by the Session's mutex ----
  std::shared_ptr<const SubscriptionCallbacks> callbacks;
  // The server rejected it: it is gone for good.
  bool rejected = false;
  bool subscribe_sent = false;
  bool confirmed = false;
  std::deque<nlohmann::json> queue;
};

}  // namespace cable::client_internal
