#pragma once
// ws:// URLs as the client takes them.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cable::client_internal {

struct WsUrl {
  std::string host;    // without brackets for IPv6
  std::string port;    // "80" when absent
  std::string target;  // path and query, at least "/"
  // What the Host header carries: host[:port] as written.
  std::string host_header;
};

// Parses ws://host[:port][/path][?query]. Errors: InvalidArgument for
// anything else, Unimplemented for wss:// (no TLS yet).
absl::StatusOr<WsUrl> ParseWsUrl(absl::string_view url);

}  // namespace cable::client_internal
