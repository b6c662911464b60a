#pragma once
// The real cable-server ($CABLE_SERVER) and Action Cable subscribers, for
// the tests that publish through it.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/support/must.h"
#include "tests/support/server_process.h"
#include "tests/support/ws_client.h"

namespace cable::testing {

inline ServerProcess StartCableServer() {
  return Must(ServerProcess::Start(
      CableServerBinary(),
      {"--host=127.0.0.1", "--port=0", "--grpc_port=0", "--log_level=warn"}));
}

inline std::string GrpcTarget(const ServerProcess& server) {
  return absl::StrCat("127.0.0.1:", server.grpc_port());
}

// ChatChannel streams `chat:<room>`.
inline std::string ChatIdentifier(const std::string& room) {
  return nlohmann::json{{"channel", "ChatChannel"}, {"room", room}}.dump();
}

// A WebSocket client, welcomed and subscribed to `identifier`.
inline std::unique_ptr<WsClient> Subscriber(const ServerProcess& server,
                                            const std::string& identifier) {
  auto client = Must(WsClient::Connect(server.http_port()));
  auto welcome = Must(client->ReceiveNonPing());
  if (welcome.value("type", "") != "welcome") {
    throw std::runtime_error("no welcome: " + welcome.dump());
  }
  const std::string type = Must(client->Subscribe(identifier));
  if (type != "confirm_subscription") {
    throw std::runtime_error("subscription answered " + type);
  }
  return client;
}

// The `message` of the next broadcast `client` receives for `identifier`
// (each receive bounded by the client's timeout).
inline nlohmann::json NextMessage(WsClient& client,
                                  const std::string& identifier) {
  for (;;) {
    auto m = Must(client.ReceiveNonPing());
    if (m.contains("message") && m.value("identifier", "") == identifier) {
      return m["message"];
    }
  }
}

}  // namespace cable::testing
