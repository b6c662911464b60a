#pragma once
// What JetStreamClient sends and reads, apart from the connection: the
// JetStream API's requests and replies (the client's static Publish, GetLast,
// GetNext, Purge, PubAck, Got and Purged, in jetstream_messages.cc), and
// the reply readers its calls share. Pure: no connection, no thread.

#include <nats/nats.h>

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace cable::jetstream_messages {

// Parses JSON without exceptions; a discarded value on error.
nlohmann::json ParseJson(absl::string_view text);

absl::string_view MsgData(natsMsg* m);

std::optional<absl::string_view> MsgHeader(natsMsg* m, const char* name);

// The status of a reply without a body ("503" no responders, "404"...),
// or empty.
absl::string_view ReplyStatus(natsMsg* m);

// The JetStream API error in a reply's JSON, if any.
absl::Status ApiError(const nlohmann::json& reply, absl::string_view what);

// Unavailable: nobody answered `what`.
absl::Status NoResponders(absl::string_view what);

}  // namespace cable::jetstream_messages
