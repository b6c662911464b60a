#pragma once
// Subscription identifiers: a JSON object encoded as a string, "channel"
// (the registered channel name) plus params. Clients order keys
// differently, so nothing here depends on key order; the original string is
// what subscriptions are keyed by and what is echoed to clients.

#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cable::service {

struct ChannelIdentifier {
  std::string channel;
  // The identifier's object without "channel".
  nlohmann::json params;
};

// InvalidArgument when `identifier` is not JSON, not an object, or has no
// string "channel".
absl::StatusOr<ChannelIdentifier> ParseChannelIdentifier(
    absl::string_view identifier);

}  // namespace cable::service
