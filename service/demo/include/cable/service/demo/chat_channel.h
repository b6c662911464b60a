#pragma once
// ChatChannel: a chat room. Subscribe with {"channel":"ChatChannel",
// "room":R} (R a non-empty string, else rejected); streams from "chat:R".
// Action "speak" {"action":"speak","message":M} broadcasts {"message":M}
// to the room, plus "user" when the connection has a current_user.

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "cable/service/channel.h"

namespace cable::service {

class ChatChannel final : public Channel {
 public:
  void subscribed() override;
  void speak(const nlohmann::json& data);

  // The stream of `room`.
  static std::string StreamOf(absl::string_view room);
};

}  // namespace cable::service
