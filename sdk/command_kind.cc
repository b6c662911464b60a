#include "cable/command_kind.h"

namespace cable::protocol {

using internal::v1::CommandKind;

std::optional<CommandKind> CommandKindNamed(absl::string_view name) {
  if (name == "periodic") return internal::v1::COMMAND_KIND_PERIODIC;
  return ClientCommandKind(name);
}

std::optional<CommandKind> ClientCommandKind(absl::string_view name) {
  if (name == "subscribe") return internal::v1::COMMAND_KIND_SUBSCRIBE;
  if (name == "unsubscribe") return internal::v1::COMMAND_KIND_UNSUBSCRIBE;
  if (name == "message") return internal::v1::COMMAND_KIND_MESSAGE;
  if (name == "join") return internal::v1::COMMAND_KIND_JOIN;
  if (name == "leave") return internal::v1::COMMAND_KIND_LEAVE;
  if (name == "request") return internal::v1::COMMAND_KIND_REQUEST;
  // A client may send "sync" too (docs/protocol.md: to fetch the state
  // again); the gateway sends it itself after a join.
  if (name == "sync") return internal::v1::COMMAND_KIND_SYNC;
  return std::nullopt;
}

const char* CommandName(CommandKind kind) {
  switch (kind) {
    case internal::v1::COMMAND_KIND_SUBSCRIBE:
      return "subscribe";
    case internal::v1::COMMAND_KIND_UNSUBSCRIBE:
      return "unsubscribe";
    case internal::v1::COMMAND_KIND_MESSAGE:
      return "message";
    case internal::v1::COMMAND_KIND_PERIODIC:
      return "periodic";
    case internal::v1::COMMAND_KIND_JOIN:
      return "join";
    case internal::v1::COMMAND_KIND_LEAVE:
      return "leave";
    case internal::v1::COMMAND_KIND_REQUEST:
      return "request";
    case internal::v1::COMMAND_KIND_SYNC:
      return "sync";
    default:
      return "unknown";
  }
}

}  // namespace cable::protocol
