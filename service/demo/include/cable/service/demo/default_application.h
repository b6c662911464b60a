#pragma once
// The application cable-server and cable-service run out of the box:
// AppConnection, ChatChannel, PresenceChannel and Turbo::StreamsChannel.

#include <chrono>
#include <memory>
#include <string>

#include "cable/service/registry.h"

namespace cable::service {

struct DefaultApplicationOptions {
  // Key of Turbo::StreamsChannel's signed stream names; empty rejects all.
  std::string streams_secret;
  // HS256 key for connection JWTs; empty accepts everyone (see
  // AppConnection).
  std::string jwt_secret;
  // PresenceChannel's "ping" timer period.
  std::chrono::milliseconds presence_ping_interval = std::chrono::seconds(3);
};

std::unique_ptr<Application> MakeDefaultApplication(
    const DefaultApplicationOptions& options);

}  // namespace cable::service
