#pragma once
// The control bus: a second PubSub (in memory, or NATS subjects under
// cable.ctl) on which services send gateways what is not a reply to the
// gateway's own call. Payloads are serialized cable.internal.v1.ControlMessage.

#include <cstddef>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace cable::control {

// Every gateway subscribes to this stream (remote disconnects).
inline constexpr absl::string_view kAllGateways = "all";

// Every service replica subscribes to this stream (the server API's
// surveys, service/surveyor.h).
inline constexpr absl::string_view kAllServices = "services";

// A survey's reply stream: only the asking service listens on it.
inline std::string ReplyStream(absl::string_view service_id,
                               absl::string_view random) {
  return absl::StrCat("reply.", service_id, ".", random);
}

// The stream of one gateway (direct transmissions to its connections).
inline std::string GatewayStream(absl::string_view gateway_id) {
  return absl::StrCat("gateway.", gateway_id);
}

// Session ids are "<gateway id>.<random>": the gateway holding a
// connection is known from its sid alone (gateway ids may contain dots; the
// random part never does). The random part is kSessionRandomLength
// lowercase hex digits.
inline constexpr std::size_t kSessionRandomLength = 24;
inline constexpr std::size_t kMaxSessionIdLength = 256;

inline std::string SessionId(absl::string_view gateway_id,
                             absl::string_view random) {
  return absl::StrCat(gateway_id, ".", random);
}

// The gateway id in a session id; empty if it has none.
inline absl::string_view GatewayOfSession(absl::string_view sid) {
  const auto dot = sid.rfind('.');
  if (dot == absl::string_view::npos || dot == 0) return {};
  return sid.substr(0, dot);
}

// Whether `sid` is shaped like a SessionId: a non-empty gateway id of
// printable ASCII, a dot, and kSessionRandomLength lowercase hex digits
// (what a client sends back to restore its session is checked with this
// before anything looks it up).
inline bool ValidSessionId(absl::string_view sid) {
  if (sid.size() > kMaxSessionIdLength) return false;
  const auto dot = sid.rfind('.');
  if (dot == absl::string_view::npos || dot == 0 ||
      sid.size() - dot - 1 != kSessionRandomLength) {
    return false;
  }
  for (std::size_t i = 0; i < sid.size(); ++i) {
    const char c = sid[i];
    if (i > dot) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) &&
          (c < 'a' || c > 'f')) {
        return false;
      }
    } else if (c <= ' ' || c > '~') {
      return false;
    }
  }
  return true;
}

}  // namespace cable::control
