#include "cable/command_kind.h"

#include <array>
#include <utility>

namespace cable::protocol {
namespace {

using internal::v1::CommandKind;

// Every kind with its protocol name: the one table both directions read.
constexpr std::array<std::pair<CommandKind, const char*>, 12> kNames = {{
    {internal::v1::COMMAND_KIND_SUBSCRIBE, "subscribe"},
    {internal::v1::COMMAND_KIND_UNSUBSCRIBE, "unsubscribe"},
    {internal::v1::COMMAND_KIND_MESSAGE, "message"},
    {internal::v1::COMMAND_KIND_PERIODIC, "periodic"},
    {internal::v1::COMMAND_KIND_JOIN, "join"},
    {internal::v1::COMMAND_KIND_LEAVE, "leave"},
    {internal::v1::COMMAND_KIND_REQUEST, "request"},
    // A client may send "sync" too (docs/protocol.md: to fetch the state
    // again); the gateway sends it itself after a join.
    {internal::v1::COMMAND_KIND_SYNC, "sync"},
    {internal::v1::COMMAND_KIND_HISTORY, "history"},
    {internal::v1::COMMAND_KIND_PRESENCE_INFO, "presence"},
    // The extended protocol's "join" and "leave" of a presence set: the
    // gateway tells them from a stateful channel's by the subscription
    // (docs/protocol.md, "Presence"); no client sends these names.
    {internal::v1::COMMAND_KIND_PRESENCE_JOIN, "presence join"},
    {internal::v1::COMMAND_KIND_PRESENCE_LEAVE, "presence leave"},
}};

}  // namespace

std::optional<CommandKind> CommandKindNamed(absl::string_view name) {
  for (const auto& [kind, kind_name] : kNames) {
    if (name == kind_name) return kind;
  }
  return std::nullopt;
}

std::optional<CommandKind> ClientCommandKind(absl::string_view name) {
  std::optional<CommandKind> kind = CommandKindNamed(name);
  // "periodic" is the gateway's own, never a client's; so are the names
  // of a presence join and leave.
  if (kind == internal::v1::COMMAND_KIND_PERIODIC ||
      kind == internal::v1::COMMAND_KIND_PRESENCE_JOIN ||
      kind == internal::v1::COMMAND_KIND_PRESENCE_LEAVE) {
    return std::nullopt;
  }
  return kind;
}

const char* CommandName(CommandKind kind) {
  for (const auto& [k, name] : kNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

}  // namespace cable::protocol
