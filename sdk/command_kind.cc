#include "cable/command_kind.h"

#include <array>
#include <utility>

namespace cable::protocol {
namespace {

using internal::v1::CommandKind;

// Every kind with its protocol name: the one table both directions read.
constexpr std::array<std::pair<CommandKind, const char*>, 9> kNames = {{
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
  // "periodic" is the gateway's own, never a client's.
  if (kind == internal::v1::COMMAND_KIND_PERIODIC) return std::nullopt;
  return kind;
}

const char* CommandName(CommandKind kind) {
  for (const auto& [k, name] : kNames) {
    if (k == kind) return name;
  }
  return "unknown";
}

}  // namespace cable::protocol
