#include "sdk/protocol.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"

namespace cable::protocol {
namespace {

using nlohmann::json;

absl::StatusOr<std::string> OptionalString(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", key, "\" must be a string"));
  }
  return it->get<std::string>();
}

}  // namespace

absl::StatusOr<ClientCommand> ParseClientCommand(absl::string_view frame) {
  json parsed = json::parse(frame.begin(), frame.end(), nullptr,
                            /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return absl::InvalidArgumentError("frame is not valid JSON");
  }
  if (!parsed.is_object()) {
    return absl::InvalidArgumentError("frame is not a JSON object");
  }
  auto command = parsed.find("command");
  if (command == parsed.end() || !command->is_string()) {
    return absl::InvalidArgumentError("\"command\" must be a string");
  }
  ClientCommand out;
  out.command = command->get<std::string>();
  auto identifier = OptionalString(parsed, "identifier");
  if (!identifier.ok()) return identifier.status();
  out.identifier = *std::move(identifier);
  // Action Cable clients send data as a JSON string; some send an object.
  auto data = parsed.find("data");
  if (data != parsed.end() && !data->is_null()) {
    if (data->is_string()) {
      out.data = data->get<std::string>();
    } else if (data->is_object()) {
      out.data = data->dump();
    } else {
      return absl::InvalidArgumentError(
          "\"data\" must be a string or an object");
    }
  }
  return out;
}

std::string QuoteJson(absl::string_view s) {
  return json(std::string(s))
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string WelcomeFrame(absl::string_view sid) {
  return absl::StrCat(R"({"type":"welcome","sid":)", QuoteJson(sid), "}");
}

std::string PingFrame(std::int64_t unix_seconds) {
  return absl::StrCat(R"({"type":"ping","message":)", unix_seconds, "}");
}

std::string ConfirmFrame(absl::string_view identifier) {
  return absl::StrCat(R"({"identifier":)", QuoteJson(identifier),
                      R"(,"type":"confirm_subscription"})");
}

std::string RejectFrame(absl::string_view identifier) {
  return absl::StrCat(R"({"identifier":)", QuoteJson(identifier),
                      R"(,"type":"reject_subscription"})");
}

std::string DisconnectFrame(absl::string_view reason, bool reconnect) {
  return absl::StrCat(R"({"type":"disconnect","reason":)", QuoteJson(reason),
                      R"(,"reconnect":)", reconnect ? "true" : "false", "}");
}

std::string DataFrame(absl::string_view identifier,
                      absl::string_view message_json) {
  return absl::StrCat(R"({"identifier":)", QuoteJson(identifier),
                      R"(,"message":)", message_json, "}");
}

std::string MessageJson(absl::string_view data) {
  if (!data.empty() && json::accept(data.begin(), data.end()))
    return std::string(data);
  return QuoteJson(data);
}

}  // namespace cable::protocol
