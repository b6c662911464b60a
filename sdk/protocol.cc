#include "cable/protocol.h"

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
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

absl::StatusOr<HistoryRequest> ParseHistory(const json& history) {
  if (!history.is_object()) {
    return absl::InvalidArgumentError("\"history\" must be an object");
  }
  HistoryRequest out;
  auto since = history.find("since");
  if (since != history.end() && !since->is_null()) {
    // (The AnyCable client sends `false` for "no time".)
    if (since->is_number()) {
      out.since = since->get<std::int64_t>();
    } else if (!since->is_boolean()) {
      return absl::InvalidArgumentError(
          "\"history.since\" must be Unix seconds");
    }
  }
  auto streams = history.find("streams");
  if (streams == history.end() || streams->is_null()) return out;
  if (!streams->is_object()) {
    return absl::InvalidArgumentError("\"history.streams\" must be an object");
  }
  for (const auto& [stream, position] : streams->items()) {
    auto epoch = position.is_object() ? position.find("epoch") : position.end();
    auto offset =
        position.is_object() ? position.find("offset") : position.end();
    if (epoch == position.end() || !epoch->is_string() ||
        offset == position.end() || !offset->is_number_unsigned()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "\"history.streams\" entries must be {\"epoch\": string, "
          "\"offset\": unsigned}"));
    }
    out.streams.push_back(
        {stream, epoch->get<std::string>(), offset->get<std::uint64_t>()});
  }
  return out;
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
  // (Anything but an object is no presence: plain clients never sent one,
  // and a frame that parsed before still does.)
  auto presence = parsed.find("presence");
  if (presence != parsed.end() && presence->is_object()) {
    out.presence =
        presence->dump(-1, ' ', false, json::error_handler_t::replace);
  }
  auto history = parsed.find("history");
  if (history != parsed.end() && !history->is_null()) {
    auto request = ParseHistory(*history);
    if (!request.ok()) return request.status();
    out.history = *std::move(request);
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

std::string PositionedDataFrame(absl::string_view identifier,
                                absl::string_view message_json,
                                absl::string_view stream,
                                absl::string_view epoch, std::uint64_t offset) {
  return absl::StrCat(R"({"identifier":)", QuoteJson(identifier),
                      R"(,"message":)", message_json, R"(,"stream_id":)",
                      QuoteJson(stream), R"(,"epoch":)", QuoteJson(epoch),
                      R"(,"offset":)", offset, "}");
}

std::string ConfirmHistoryFrame(absl::string_view identifier) {
  return absl::StrCat(R"({"identifier":)", QuoteJson(identifier),
                      R"(,"type":"confirm_history"})");
}

std::string RejectHistoryFrame(absl::string_view identifier) {
  return absl::StrCat(R"({"identifier":)", QuoteJson(identifier),
                      R"(,"type":"reject_history"})");
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
  // nlohmann's parser skips a leading UTF-8 byte order mark and stops at a
  // NUL byte; neither may reach a frame verbatim (the browser's JSON.parse
  // refuses both), so such data is sent as a string.
  const bool embeddable =
      !data.empty() && !absl::StartsWith(data, "\xEF\xBB\xBF") &&
      !absl::StrContains(data, '\0') && json::accept(data.begin(), data.end());
  if (embeddable) return std::string(data);
  return QuoteJson(data);
}

std::string StateStream(absl::string_view channel) {
  return absl::StrCat(kStateStreamPrefix, channel);
}

bool IsInternalStream(absl::string_view stream) {
  return absl::StartsWith(stream, "$");
}

bool IsStateStream(absl::string_view stream) {
  return absl::StartsWith(stream, kStateStreamPrefix);
}

std::string StateFrame(absl::string_view identifier,
                       absl::string_view message) {
  // message is "{…}" (never "{}": it always has a type).
  return absl::StrCat(R"({"identifier":)", QuoteJson(identifier), ",",
                      message.substr(1));
}

std::string ErrorFrame(absl::string_view identifier,
                       absl::string_view message) {
  return absl::StrCat(R"({"identifier":)", QuoteJson(identifier),
                      R"(,"type":"error","error":)", QuoteJson(message), "}");
}

std::string RequestFailureFrame(absl::string_view identifier,
                                absl::string_view request_data,
                                absl::string_view message) {
  json data = json::parse(request_data.begin(), request_data.end(), nullptr,
                          /*allow_exceptions=*/false);
  json id;
  if (data.is_object() && data.contains("id")) id = data["id"];
  return absl::StrCat(
      R"({"identifier":)", QuoteJson(identifier), R"(,"type":"reply","id":)",
      id.dump(-1, ' ', false, json::error_handler_t::replace),
      R"(,"status":"failure","error":)", QuoteJson(message), "}");
}

std::string PresenceStream(absl::string_view stream) {
  return absl::StrCat(kPresenceStreamPrefix, stream);
}

bool IsPresenceStream(absl::string_view stream) {
  return absl::StartsWith(stream, kPresenceStreamPrefix);
}

std::string PresenceFrame(absl::string_view identifier,
                          absl::string_view message) {
  return absl::StrCat(R"({"type":"presence","identifier":)",
                      QuoteJson(identifier), R"(,"message":)", message, "}");
}

bool StateMessageEndsCommit(absl::string_view message) {
  return absl::StartsWith(message, R"({"type":"event_patch")");
}

std::uint64_t StateMessageRevision(absl::string_view message) {
  // The service writes "revision" within the first few fields; looking at
  // a bounded prefix keeps this cheap for multi-megabyte patches.
  constexpr absl::string_view kKey = "\"revision\":";
  const auto at = message.substr(0, 96).find(kKey);
  if (at == absl::string_view::npos) return 0;
  std::uint64_t revision = 0;
  for (std::size_t i = at + kKey.size(); i < message.size(); ++i) {
    const char c = message[i];
    if (c < '0' || c > '9') break;
    revision = revision * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return revision;
}

}  // namespace cable::protocol
