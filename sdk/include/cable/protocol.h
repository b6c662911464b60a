#pragma once
// The Action Cable wire protocol (actioncable-v1-json), both directions.
// Cable's own extensions travel in the same envelope (docs/protocol.md).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cable::protocol {

inline constexpr absl::string_view kSubprotocol = "actioncable-v1-json";
inline constexpr absl::string_view kUnsupportedSubprotocol =
    "actioncable-unsupported";
// AnyCable's extended protocol: the same envelope plus stream positions on
// broadcasts, the `history` request and `pong` (docs/protocol.md).
inline constexpr absl::string_view kExtendedSubprotocol =
    "actioncable-v1-ext-json";

// Where a client's copy of one stream ends, as an extended-protocol client
// remembers it from the broadcasts it got.
struct HistoryCursor {
  std::string stream;
  std::string epoch;
  std::uint64_t offset = 0;
};

// A `history` object (on `subscribe`, or the `history` command): replay
// each listed stream after its cursor, and every other stream of the
// subscription from `since` (Unix seconds) when given.
struct HistoryRequest {
  std::optional<std::int64_t> since;
  std::vector<HistoryCursor> streams;
};

// A command a client sent.
struct ClientCommand {
  // "subscribe", "unsubscribe", "message", or an extension.
  std::string command;
  // The identifier string exactly as sent (decoded from its JSON string).
  std::string identifier;
  // For "message": the data string (JSON object with "action").
  std::string data;
  // The extended protocol's `history` object (on "subscribe" or
  // "history"), when present.
  std::optional<HistoryRequest> history;
  // The extended protocol's `presence` object on "join" (and on
  // "subscribe", to join again after a reconnect), as JSON text.
  std::optional<std::string> presence;
};

// Parses one text frame. Errors (InvalidArgument) mean the frame is not a
// JSON object, `command` is missing or not a string, or `identifier`/`data`
// are present but not strings. Unknown commands parse fine: the caller
// decides what to do with them.
absl::StatusOr<ClientCommand> ParseClientCommand(absl::string_view frame);

// Server -> client frames.
std::string WelcomeFrame(absl::string_view sid);
std::string PingFrame(std::int64_t unix_seconds);
std::string ConfirmFrame(absl::string_view identifier);
std::string RejectFrame(absl::string_view identifier);
std::string DisconnectFrame(absl::string_view reason, bool reconnect);
// `message_json` must already be JSON (see MessageJson).
std::string DataFrame(absl::string_view identifier,
                      absl::string_view message_json);
// The extended protocol's broadcast: DataFrame plus where it is in its
// stream ({"identifier":…,"message":…,"stream_id":…,"epoch":…,"offset":N}).
std::string PositionedDataFrame(absl::string_view identifier,
                                absl::string_view message_json,
                                absl::string_view stream,
                                absl::string_view epoch, std::uint64_t offset);
// The end of a history replay: everything missed was sent (confirm), or
// could not be (reject: the epoch changed or the history was trimmed).
std::string ConfirmHistoryFrame(absl::string_view identifier);
std::string RejectHistoryFrame(absl::string_view identifier);

// The JSON value a broadcast's data becomes in `message`: the data itself
// when it is valid JSON, otherwise the data as a JSON string.
std::string MessageJson(absl::string_view data);

// `s` as a quoted JSON string.
std::string QuoteJson(absl::string_view s);

// Largest gRPC message between gateway and service, and on the Publisher
// API: stateful channels carry whole states (tested with 4 MB) in a join's
// answer and in GetState.
inline constexpr int kMaxServiceMessageBytes = 128 * 1024 * 1024;

// Stateful channels (docs/protocol.md). A channel's updates travel on the
// stream kStateStreamPrefix + its name, each message a JSON object that
// starts with {"type":…,"revision":R,…}. The gateway splices the
// subscription's identifier into it (StateFrame) instead of wrapping it in
// `message`, and reads R (StateMessageRevision) to line live updates up
// with the state a joining client was sent.
inline constexpr absl::string_view kStateStreamPrefix = "$state:";
// Cable's own streams ("$state:…", "$presence:…"): a name starting with
// '$'. They keep no history and are listed only when asked for by a
// pattern that starts with '$' too.
bool IsInternalStream(absl::string_view stream);
std::string StateStream(absl::string_view channel);
bool IsStateStream(absl::string_view stream);
// {"identifier":I,"type":…}: the object `message` with the identifier put
// first. `message` must be a JSON object.
std::string StateFrame(absl::string_view identifier, absl::string_view message);
// {"identifier":I,"type":"error","error":message}: a stateful channel's
// command failed; the connection stays up.
std::string ErrorFrame(absl::string_view identifier, absl::string_view message);
// The failure reply to a "request" whose data is `request_data` (its "id"
// is echoed; null when it has none).
std::string RequestFailureFrame(absl::string_view identifier,
                                absl::string_view request_data,
                                absl::string_view message);
// Presence (docs/protocol.md, "Presence"): the events of stream S's
// presence set travel on stream kPresenceStreamPrefix + S, each a JSON
// object ({"type":"join","id":…,"info":…} or {"type":"leave","id":…});
// the gateway sends them to extended-protocol subscribers as PresenceFrame.
inline constexpr absl::string_view kPresenceStreamPrefix = "$presence:";
std::string PresenceStream(absl::string_view stream);
bool IsPresenceStream(absl::string_view stream);
// {"type":"presence","identifier":I,"message":message}; `message` must be
// JSON.
std::string PresenceFrame(absl::string_view identifier,
                          absl::string_view message);
// R of a state-stream message, 0 if it has none.
std::uint64_t StateMessageRevision(absl::string_view message);
// Whether a state-stream message is the last of its commit ("event_patch";
// the "event" messages of a multi-event commit come before it).
bool StateMessageEndsCommit(absl::string_view message);

}  // namespace cable::protocol
