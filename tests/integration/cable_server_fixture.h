#pragma once
// What the cable-server end-to-end tests (cable_server_test.cc,
// cable_server_limits_test.cc) share: starting the server, clients that
// have read the welcome, and reading data messages.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <sys/wait.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "tests/support/must.h"
#include "tests/support/publisher_client.h"
#include "tests/support/server_process.h"
#include "tests/support/test_jwt.h"
#include "tests/support/ws_client.h"

namespace cable::testing::cable_server {

using ::nlohmann::json;
using ::testing::HasSubstr;

constexpr char kLobby[] = R"({"channel":"ChatChannel","room":"lobby"})";

inline ServerProcess StartServer(std::vector<std::string> extra = {},
                                 std::vector<std::string> env = {}) {
  std::vector<std::string> args = {"--host=127.0.0.1", "--port=0",
                                   "--grpc_port=0", "--log_level=warn"};
  args.insert(args.end(), extra.begin(), extra.end());
  return Must(ServerProcess::Start(CableServerBinary(), args,
                                   std::chrono::seconds(20), env));
}

inline std::unique_ptr<WsClient> Client(const ServerProcess& server,
                                        WsClient::Options options = {}) {
  auto client = WsClient::Connect(server.http_port(), std::move(options));
  EXPECT_TRUE(client.ok()) << client.status();
  if (!client.ok()) return nullptr;
  return std::move(*client);
}

// Connects and consumes the welcome.
inline std::unique_ptr<WsClient> Welcomed(const ServerProcess& server,
                                          WsClient::Options options = {}) {
  auto client = Client(server, std::move(options));
  if (!client) return nullptr;
  auto welcome = client->ReceiveNonPing();
  EXPECT_TRUE(welcome.ok()) << welcome.status();
  if (welcome.ok()) {
    EXPECT_EQ(welcome->value("type", ""), "welcome");
  }
  return client;
}

// The "message" of the next data frame for `identifier`.
inline json NextMessage(WsClient& client, const std::string& identifier) {
  for (;;) {
    auto m = client.ReceiveNonPing();
    if (!m.ok()) {
      ADD_FAILURE() << m.status();
      return json();
    }
    if (m->contains("message") && m->value("identifier", "") == identifier) {
      return (*m)["message"];
    }
  }
}

inline std::string Identifier(const std::string& channel,
                              const std::string& room) {
  return json{{"channel", channel}, {"room", room}}.dump();
}

}  // namespace cable::testing::cable_server
