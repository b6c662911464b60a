// Fuzzes Action Cable command parsing (sdk/include/cable/protocol.h): the
// text frames a client sends, and the frames the gateway builds from what
// it parsed.
//
// Input: a text frame (as the WebSocket reader hands it over: any bytes
// here, UTF-8 or not).
//
// Invariants:
// - what ParseClientCommand accepts goes into the gateway's CommandRequest
//   (proto3 strings, which must be UTF-8) and comes out the same after
//   serializing and parsing it again, as it does on its way to the service;
// - every frame built around the identifier (confirm, reject, error,
//   request failure, state frames) and around any data (MessageJson,
//   DataFrame) is valid JSON and carries the identifier unchanged;
// - the identifier, parsed as the service does, is an object with a string
//   "channel" or an InvalidArgument.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "cable/command_kind.h"
#include "cable/internal/v1/cable.pb.h"
#include "cable/protocol.h"
#include "cable/service/identifier.h"
#include "fuzz_support.h"

namespace protocol = cable::protocol;
using nlohmann::json;

namespace {

json Parse(absl::string_view text) {
  return json::parse(text.begin(), text.end(), nullptr, false);
}

// `frame` is a JSON object whose "identifier" is `identifier`.
void CheckCarries(const std::string& frame, const std::string& identifier,
                  const char* what) {
  const json j = Parse(frame);
  FUZZ_CHECK(j.is_object(), what);
  auto it = j.find("identifier");
  FUZZ_CHECK(
      it != j.end() && it->is_string() && it->get<std::string>() == identifier,
      what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  const absl::string_view frame(reinterpret_cast<const char*>(data), size);

  // Whatever a publisher broadcasts becomes `message`: always JSON.
  const std::string message = protocol::MessageJson(frame);
  FUZZ_CHECK(json::accept(message), "MessageJson is not JSON");
  const std::string data_frame = protocol::DataFrame("{}", message);
  FUZZ_CHECK(Parse(data_frame).is_object(), "DataFrame is not a JSON object");
  (void)protocol::StateMessageRevision(frame);

  absl::StatusOr<protocol::ClientCommand> parsed =
      protocol::ParseClientCommand(frame);
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument,
               "a bad frame is not InvalidArgument");
    return 0;
  }

  // The gateway forwards the commands it knows, typed; the rest it ignores.
  // Whatever the name, the command's strings must survive the trip.
  const std::optional<cable::internal::v1::CommandKind> kind =
      protocol::ClientCommandKind(parsed->command);
  if (kind) {
    FUZZ_CHECK(protocol::CommandName(*kind) == parsed->command,
               "a command's kind does not name it");
  }
  cable::internal::v1::CommandRequest request;
  request.set_kind(
      kind.value_or(cable::internal::v1::COMMAND_KIND_UNSPECIFIED));
  request.set_identifier(parsed->identifier);
  request.set_data(parsed->data);
  std::string wire;
  FUZZ_CHECK(request.SerializeToString(&wire), "CommandRequest not serialized");
  cable::internal::v1::CommandRequest received;
  FUZZ_CHECK(received.ParseFromString(wire) &&
                 received.kind() == request.kind() &&
                 received.identifier() == parsed->identifier &&
                 received.data() == parsed->data,
             "a parsed command does not reach the service unchanged "
             "(proto3 strings must be UTF-8)");

  const std::string& identifier = parsed->identifier;
  CheckCarries(protocol::ConfirmFrame(identifier), identifier,
               "ConfirmFrame does not carry the identifier");
  CheckCarries(protocol::RejectFrame(identifier), identifier,
               "RejectFrame does not carry the identifier");
  CheckCarries(protocol::ErrorFrame(identifier, parsed->command), identifier,
               "ErrorFrame does not carry the identifier");
  CheckCarries(protocol::DataFrame(identifier, message), identifier,
               "DataFrame does not carry the identifier");
  CheckCarries(
      protocol::RequestFailureFrame(identifier, parsed->data, parsed->command),
      identifier, "RequestFailureFrame does not carry the identifier");
  CheckCarries(protocol::StateFrame(identifier, R"({"type":"state"})"),
               identifier, "StateFrame does not carry the identifier");
  if (!parsed->data.empty()) {
    // The data of a "message" command is usually the JSON text of an
    // object; a stateful channel splices such objects after the identifier.
    const json object = Parse(parsed->data);
    if (object.is_object() && !object.empty()) {
      CheckCarries(protocol::StateFrame(identifier, object.dump()), identifier,
                   "StateFrame does not carry the identifier");
    }
  }
  // Strings the gateway quotes itself (sid, disconnect reasons).
  const json welcome = Parse(protocol::WelcomeFrame(identifier));
  FUZZ_CHECK(welcome.is_object() && welcome.value("sid", "") == identifier,
             "WelcomeFrame does not carry its sid");
  const json disconnect = Parse(protocol::DisconnectFrame(identifier, true));
  FUZZ_CHECK(
      disconnect.is_object() && disconnect.value("reason", "") == identifier,
      "DisconnectFrame does not carry its reason");

  absl::StatusOr<cable::service::ChannelIdentifier> channel =
      cable::service::ParseChannelIdentifier(identifier);
  if (!channel.ok()) {
    FUZZ_CHECK(channel.status().code() == absl::StatusCode::kInvalidArgument,
               "a bad identifier is not InvalidArgument");
  }
  return 0;
}
