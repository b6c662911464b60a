#pragma once
// The commands between gateway and service are typed (CommandKind in
// proto/cable/internal/v1/cable.proto); their names are the Action Cable
// protocol's (docs/protocol.md). This is the one place that maps the two.

#include <optional>

#include "absl/strings/string_view.h"
#include "cable/internal/v1/cable.pb.h"

namespace cable::protocol {

// A kind by its name, any kind ("periodic" too); nullopt for any other
// name.
std::optional<internal::v1::CommandKind> CommandKindNamed(
    absl::string_view name);

// The kind of a command a client may send, by its name; nullopt for any
// other name ("periodic" is the gateway's own).
std::optional<internal::v1::CommandKind> ClientCommandKind(
    absl::string_view name);

// The protocol's name of a kind ("subscribe", ...), for logs and errors.
const char* CommandName(internal::v1::CommandKind kind);

}  // namespace cable::protocol
