#pragma once
// cable::Channel: one join of a stateful channel (docs/protocol.md,
// "Stateful channels"), made by cable::Client::join. The C++ twin of
// sdk/js/cable-state.js's CableStateChannel and of the BoardStreams seed's
// channel object.

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cable {

namespace client_internal {
class Session;
struct ChannelRecord;
}  // namespace client_internal

// One `eventPatch`: an event, a state change, or both (one commit).
struct EventPatch {
  // The event; nullopt when the commit appended none.
  std::optional<nlohmann::json> event{};
  // The RFC 6902 patch from the previous state to the new one; nullopt when
  // the state did not change, and always for backlog events.
  std::optional<nlohmann::json> patch{};
  // A past event from the join's backlog (the seed's eventPatch "without a
  // patch key"): it is already part of the state that follows.
  bool from_backlog = false;
};

// What a channel reports, in the JS client's order. Each may be empty. All
// run on the client's I/O thread, one at a time (see cable::Client).
struct JoinOptions {
  // The whole state on every join and rejoin (after each reconnect) and
  // after a resync. Copy it to keep it.
  std::function<void(const nlohmann::json& state)> on_initial_state{};
  // The client's own copy of the state after every change, and right after
  // on_initial_state. Valid during the call only.
  std::function<void(const nlohmann::json& state)> on_state{};
  // Every channel event: the backlog's, then live ones. After a reconnect
  // the backlog holds exactly the events missed: none twice, none lost.
  std::function<void(const nlohmann::json& event)> on_event{};
  // One per backlog event and per live event or state change, before the
  // matching on_event / on_state.
  std::function<void(const EventPatch& event_patch)> on_event_patch{};
  // The server refused the join (no such channel, the join handler said no,
  // too many subscriptions). The channel joins again after a reconnect.
  std::function<void()> on_rejected{};
  // The server's message for a failed action (or for a sync it could not
  // run).
  std::function<void(const std::string& message)> on_error{};
};

// The raw `error` value of a request's failure reply, when `status` came from
// one (Channel::do_request); nullopt for any other status.
std::optional<nlohmann::json> RequestFailureError(const absl::Status& status);

// A handle on one join. Copies share the join. Every method is thread-safe.
// The join lasts until leave() or Client::close(); dropping the handle does
// not leave.
class Channel final {
 public:
  Channel(const Channel&) = default;
  Channel& operator=(const Channel&) = default;
  Channel(Channel&&) noexcept = default;
  Channel& operator=(Channel&&) noexcept = default;
  ~Channel();

  // The channel's name, e.g. "board:demo".
  const std::string& name() const;
  // The subscription identifier, {"channel":name} (plus "join":n for a
  // second join of the same name).
  const std::string& identifier() const;

  // Sends an action; the server does not answer (a failure comes back
  // through on_error). Before the join is sent on the current connection,
  // commands wait (at most ClientOptions::max_queued_commands) and go right
  // after it. Errors: FailedPrecondition after leave() or close(),
  // ResourceExhausted when too many commands wait.
  absl::Status do_action(absl::string_view action,
                         nlohmann::json payload = nullptr) const;

  // Sends a request; the future holds the handler's result, or:
  //  - Unknown with the server's message for a failure reply (the raw value
  //    in RequestFailureError(status));
  //  - Aborted when the connection was lost or the client closed after the
  //    request was sent: it may or may not have taken effect;
  //  - Cancelled when it was never sent (leave() or close() first);
  //  - FailedPrecondition when the join was refused, or the channel was left
  //    or the client closed before the call;
  //  - ResourceExhausted when too many commands wait for the connection.
  // Do not wait on the future inside a client callback: the reply is
  // processed on that same thread.
  std::future<absl::StatusOr<nlohmann::json>> do_request(
      absl::string_view request, nlohmann::json payload = nullptr) const;

  // Leaves: the server runs its leave handler; no callback of this join
  // runs once leave() has returned on the client's thread (from another
  // thread, one already under way may finish). Requests already sent still
  // settle; waiting ones fail with Cancelled. Idempotent.
  void leave() const;

  // The state as last received and patched; nullopt before the first one.
  std::optional<nlohmann::json> state() const;
  // The revision of state(); 0 before the first state.
  std::uint64_t revision() const;
  // The id of the newest event seen (sent back on a rejoin).
  std::uint64_t last_event_id() const;
  // True from a state until the connection drops.
  bool joined() const;

 private:
  friend class Client;
  Channel(std::shared_ptr<client_internal::Session> session,
          std::shared_ptr<client_internal::ChannelRecord> record);

  std::shared_ptr<client_internal::Session> session_;
  std::shared_ptr<client_internal::ChannelRecord> record_;
};

}  // namespace cable
