#include "cable/service/demo/chat_channel.h"

#include "absl/strings/str_cat.h"

namespace cable::service {
namespace {

std::string RoomOf(const nlohmann::json& params) {
  auto room = params.find("room");
  if (room == params.end() || !room->is_string()) return "";
  return room->get<std::string>();
}

}  // namespace

std::string ChatChannel::StreamOf(absl::string_view room) {
  return absl::StrCat("chat:", room);
}

void ChatChannel::subscribed() {
  const std::string room = RoomOf(params());
  if (room.empty()) {
    reject();
    return;
  }
  stream_from(StreamOf(room));
}

void ChatChannel::speak(const nlohmann::json& data) {
  const std::string room = RoomOf(params());
  if (room.empty()) return;
  nlohmann::json message = {
      {"message", data.value("message", nlohmann::json())}};
  const auto& identifiers = connection().identifiers();
  if (auto user = identifiers.find("current_user"); user != identifiers.end()) {
    message["user"] = user->second;
  }
  broadcast_to(StreamOf(room), message);
}

}  // namespace cable::service
