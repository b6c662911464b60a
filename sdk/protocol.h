#pragma once
// The Action Cable wire protocol (actioncable-v1-json), both directions.
// Cable's own extensions travel in the same envelope (docs/protocol.md).

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cable::protocol {

inline constexpr absl::string_view kSubprotocol = "actioncable-v1-json";
inline constexpr absl::string_view kUnsupportedSubprotocol =
    "actioncable-unsupported";

// A command a client sent.
struct ClientCommand {
  // "subscribe", "unsubscribe", "message", or an extension.
  std::string command;
  // The identifier string exactly as sent (decoded from its JSON string).
  std::string identifier;
  // For "message": the data string (JSON object with "action").
  std::string data;
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

// The JSON value a broadcast's data becomes in `message`: the data itself
// when it is valid JSON, otherwise the data as a JSON string.
std::string MessageJson(absl::string_view data);

// `s` as a quoted JSON string.
std::string QuoteJson(absl::string_view s);

}  // namespace cable::protocol
