#include "cable/service/demo/presence_channel.h"

#include "absl/strings/str_cat.h"

namespace cable::service {

std::string PresenceChannel::StreamOf(absl::string_view room) {
  return absl::StrCat("presence:", room);
}

std::string PresenceChannel::Room() const {
  auto room = params().find("room");
  if (room == params().end() || !room->is_string()) return "";
  return room->get<std::string>();
}

std::string PresenceChannel::Who() const {
  const auto& identifiers = connection().identifiers();
  auto user = identifiers.find("current_user");
  if (user != identifiers.end() && !user->second.empty()) return user->second;
  return connection().sid();
}

void PresenceChannel::subscribed() {
  const std::string room = Room();
  if (room.empty()) {
    reject();
    return;
  }
  stream_from(StreamOf(room));
  broadcast_to(StreamOf(room), {{"event", "join"}, {"who", Who()}});
}

void PresenceChannel::unsubscribed() {
  const std::string room = Room();
  if (room.empty()) return;
  broadcast_to(StreamOf(room), {{"event", "leave"}, {"who", Who()}});
}

void PresenceChannel::ping() { transmit("ping"); }

}  // namespace cable::service
