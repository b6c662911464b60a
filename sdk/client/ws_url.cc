#include "ws_url.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cable::client_internal {

absl::StatusOr<WsUrl> ParseWsUrl(absl::string_view url) {
  absl::string_view rest = url;
  if (absl::StartsWithIgnoreCase(rest, "wss://")) {
    return absl::UnimplementedError(
        absl::StrCat("wss:// is not supported yet: ", url));
  }
  if (!absl::StartsWithIgnoreCase(rest, "ws://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("the URL must start with ws://: ", url));
  }
  rest.remove_prefix(5);
  const size_t end = rest.find_first_of("/?#");
  absl::string_view authority = rest.substr(0, end);
  absl::string_view target =
      end == absl::string_view::npos ? "" : rest.substr(end);
  target = target.substr(0, target.find('#'));
  if (authority.find('@') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("user information is not supported in the URL: ", url));
  }
  WsUrl out;
  out.host_header = std::string(authority);
  absl::string_view host = authority;
  absl::string_view port;
  if (absl::StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("bad IPv6 host: ", url));
    }
    host = authority.substr(1, close - 1);
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        return absl::InvalidArgumentError(absl::StrCat("bad host: ", url));
      }
      port = after.substr(1);
    }
  } else if (const size_t colon = authority.rfind(':');
             colon != absl::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no host in the URL: ", url));
  }
  int port_number = 80;
  if (!port.empty() &&
      (!absl::SimpleAtoi(port, &port_number) || port_number <= 0 ||
       port_number > 65535 ||
       port.find_first_not_of("0123456789") != absl::string_view::npos)) {
    return absl::InvalidArgumentError(absl::StrCat("bad port in: ", url));
  }
  out.host = std::string(host);
  out.port = absl::StrCat(port_number);
  out.target = absl::StartsWith(target, "/") ? std::string(target)
                                             : absl::StrCat("/", target);
  return out;
}

}  // namespace cable::client_internal
