#pragma once
// PresenceChannel (the seed's example): who is in a room. Subscribe with
// {"channel":"PresenceChannel","room":R}; streams from "presence:R" and
// broadcasts {"event":"join","who":W}; on unsubscribe (and disconnect)
// broadcasts {"event":"leave","who":W}. W is the current_user identifier,
// else the connection's sid. A periodic "ping" transmits "ping".

#include <string>

#include "cable/service/channel.h"

namespace cable::service {

class PresenceChannel final : public Channel {
 public:
  void subscribed() override;
  void unsubscribed() override;
  // Periodic timer (seed: `method ping { self.transmit('ping') }`).
  void ping();

  static std::string StreamOf(absl::string_view room);

 private:
  std::string Room() const;
  std::string Who() const;
};

}  // namespace cable::service
