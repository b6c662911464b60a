#include "cable/gateway/upgrade.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cable/gateway/websocket.h"

namespace cable::gateway::upgrade {

void ParseCookies(absl::string_view header,
                  google::protobuf::Map<std::string, std::string>& out) {
  for (absl::string_view part : absl::StrSplit(header, ';')) {
    part = absl::StripAsciiWhitespace(part);
    auto eq = part.find('=');
    if (eq == absl::string_view::npos || eq == 0) continue;
    out[std::string(part.substr(0, eq))] = std::string(part.substr(eq + 1));
  }
}

internal::v1::Env Environment(const Request& request,
                              absl::string_view subprotocol,
                              absl::string_view remote_addr) {
  internal::v1::Env env;
  env.set_url(std::string(request.target()));
  env.set_subprotocol(std::string(subprotocol));
  auto* headers = env.mutable_headers();
  for (const auto& field : request) {
    std::string name = absl::AsciiStrToLower(absl::string_view(
        field.name_string().data(), field.name_string().size()));
    std::string value(field.value().data(), field.value().size());
    auto [it, inserted] = headers->insert({name, value});
    if (!inserted) it->second += ", " + value;
  }
  if (auto cookie = headers->find("cookie"); cookie != headers->end()) {
    ParseCookies(cookie->second, *env.mutable_cookies());
  }
  if (!remote_addr.empty()) env.set_remote_addr(std::string(remote_addr));
  return env;
}

std::string SwitchingProtocols(absl::string_view key,
                               absl::string_view subprotocol) {
  return absl::StrCat(
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ",
      ws::AcceptKey(key), "\r\nServer: cable\r\n",
      subprotocol.empty()
          ? ""
          : absl::StrCat("Sec-WebSocket-Protocol: ", subprotocol, "\r\n"),
      "\r\n");
}

}  // namespace cable::gateway::upgrade
