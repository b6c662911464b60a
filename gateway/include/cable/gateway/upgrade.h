#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>

#include "absl/strings/string_view.h"
#include "cable/internal/v1/cable.pb.h"

namespace cable::gateway::upgrade {

// The upgrade's part of a session: what the service learns of the request
// (the environment), and the 101 answer. Pure functions of the request.

using Request = boost::beast::http::request<boost::beast::http::string_body>;

// The request's environment: URL, subprotocol, headers (names lower-cased,
// repeated ones joined with ", "), cookies, and the peer's address
// ("host:port"; empty when unknown).
internal::v1::Env Environment(const Request& request,
                              absl::string_view subprotocol,
                              absl::string_view remote_addr);

// A Cookie header's name=value pairs (later ones win; malformed ones are
// skipped).
void ParseCookies(absl::string_view header,
                  google::protobuf::Map<std::string, std::string>& out);

// The "101 Switching Protocols" answer to a handshake with
// Sec-WebSocket-Key `key`, naming `subprotocol` unless it is empty.
std::string SwitchingProtocols(absl::string_view key,
                               absl::string_view subprotocol);

}  // namespace cable::gateway::upgrade
