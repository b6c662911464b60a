#pragma once
// The shared part of the bad-input test (bad_input_test.cc): the server's
// limits, what clients send and what the server answers, the expectations
// for one bad connection, and the bad cases themselves (defined by theme in
// bad_input_framing_cases.cc and bad_input_command_cases.cc).

#include <arpa/inet.h>
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <latch>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cable/v1/publisher.grpc.pb.h"
#include "tests/support/must.h"
#include "tests/support/raw_ws_client.h"
#include "tests/support/server_process.h"
#include "tests/support/ws_client.h"

namespace cable::testing::bad_input {

using Clock = std::chrono::steady_clock;
using ::nlohmann::json;

// The failure bound of one read or write.
constexpr std::chrono::seconds kTimeout(10);

// The server's limits, low enough for the bad clients to cross them and
// far above what the well-behaved client does. Only the floods send more
// commands than the burst; at one token a second, the refusals in a row
// that cut a flood are not broken by a refill unless the server stalls for
// a second.
constexpr int kMaxFrameBytes = 4096;
constexpr int kCommandRate = 1;
constexpr int kCommandBurst = 20;
constexpr int kMaxSubscriptions = 4;
constexpr char kApiKeys[] = "old-publisher-key,publisher-key";
constexpr char kApiKey[] = "publisher-key";

// The good publisher sends at least this many broadcasts, and goes on
// until every bad client is done; it stays at most kWindow ahead of what
// the good client has read (so that the test, not the client, is never the
// slow one on a loaded machine).
constexpr int kMinBroadcasts = 500;
constexpr int kMaxBroadcasts = 100000;
constexpr int kWindow = 500;
// Rounds of unauthorised Publisher calls, and the calls in one round (as
// UnauthorisedCalls makes them).
constexpr int kUnauthorisedRounds = 10;
constexpr int kUnauthorisedCallsPerRound = 8;

constexpr char kLobby[] = R"({"channel":"ChatChannel","room":"lobby"})";
constexpr char kLobbyStream[] = "chat:lobby";

constexpr const char* kWebSocketKey = kRfcKey;

// --- What clients send ---

inline std::string TextFrame(absl::string_view text) {
  return ClientFrame(kFin | kText, text);
}

// A masked frame header announcing `length` in the 64-bit form (whatever
// the length), with no payload.
inline std::string Header64(std::uint64_t length) {
  std::string out = {static_cast<char>(kFin | kText),
                     static_cast<char>(0x80 | 127)};
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((length >> shift) & 0xFF));
  }
  for (std::uint8_t b : kMask) out.push_back(static_cast<char>(b));
  return out;
}

inline std::string Room(const std::string& room) {
  return json{{"channel", "ChatChannel"}, {"room", room}}.dump();
}

inline std::string SubscribeCommand(const std::string& identifier) {
  return json{{"command", "subscribe"}, {"identifier", identifier}}.dump();
}

inline std::string UnsubscribeCommand(const std::string& identifier) {
  return json{{"command", "unsubscribe"}, {"identifier", identifier}}.dump();
}

inline std::string MessageCommand(const std::string& identifier,
                                  const json& data) {
  return json{
      {"command", "message"}, {"identifier", identifier}, {"data", data.dump()}}
      .dump();
}

inline std::string SpeakCommand(const std::string& identifier,
                                const std::string& message) {
  return MessageCommand(identifier,
                        {{"action", "speak"}, {"message", message}});
}

inline std::string UpgradeRequest(
    absl::string_view target = "/cable", absl::string_view version = "13",
    absl::string_view key = kWebSocketKey,
    absl::string_view subprotocol = "actioncable-v1-json",
    absl::string_view method = "GET") {
  return absl::StrCat(method, " ", target,
                      " HTTP/1.1\r\n"
                      "Host: 127.0.0.1\r\n"
                      "Upgrade: websocket\r\n"
                      "Connection: Upgrade\r\n"
                      "Sec-WebSocket-Key: ",
                      key, "\r\nSec-WebSocket-Version: ", version,
                      "\r\nSec-WebSocket-Protocol: ", subprotocol, "\r\n\r\n");
}

// --- What the server sends ---

inline json Confirm(const std::string& identifier) {
  return {{"identifier", identifier}, {"type", "confirm_subscription"}};
}

inline json Reject(const std::string& identifier) {
  return {{"identifier", identifier}, {"type", "reject_subscription"}};
}

inline json Disconnect(const std::string& reason) {
  return {{"type", "disconnect"}, {"reason", reason}, {"reconnect", false}};
}

inline json RateLimited(const std::string& identifier) {
  return {{"identifier", identifier},
          {"type", "error"},
          {"error", absl::StrCat("rate limited: at most ", kCommandRate,
                                 " commands a second")}};
}

// --- Expectations for one bad connection ---

// A connection upgraded to WebSocket whose welcome has been read; null
// (with a failure recorded) when that did not work.
inline std::unique_ptr<RawClient> Open(int port) {
  auto client = RawClient::Connect(port);
  EXPECT_TRUE(client.ok()) << client.status();
  if (!client.ok()) return nullptr;
  if (auto s = (*client)->Write(UpgradeRequest()); !s.ok()) {
    ADD_FAILURE() << s;
    return nullptr;
  }
  auto response = (*client)->ReadHttpResponse();
  EXPECT_TRUE(response.ok()) << response.status();
  if (!response.ok()) return nullptr;
  EXPECT_EQ(response->status, 101);
  if (response->status != 101) return nullptr;
  for (;;) {
    auto frame = (*client)->ReadFrame();
    EXPECT_TRUE(frame.ok()) << frame.status();
    if (!frame.ok()) return nullptr;
    if (IsKeepalive(*frame)) continue;
    const json welcome = json::parse(frame->payload, nullptr, false);
    EXPECT_EQ(welcome.is_object() ? welcome.value("type", "") : "", "welcome")
        << *frame;
    if (welcome.is_object() && welcome.value("type", "") == "welcome") {
      return std::move(*client);
    }
    return nullptr;
  }
}

// Is `message` a data message for `identifier`?
inline bool IsDataFor(const json& message, absl::string_view identifier) {
  return !identifier.empty() && message.is_object() &&
         message.contains("message") &&
         message.value("identifier", "") == identifier;
}

// What a connection received up to and with the server's close frame:
// every text message but keepalives and data messages for `skip_data_for`.
struct Ending {
  std::vector<json> messages;
  int code = 0;
  std::string reason;
};

inline absl::StatusOr<Ending> ReadToClose(
    RawClient& client, absl::string_view skip_data_for = "") {
  Ending ending;
  for (;;) {
    auto frame = client.ReadFrame();
    if (!frame.ok()) return frame.status();
    if (IsKeepalive(*frame)) continue;
    if (frame->opcode == kClose) {
      if (!frame->fin || frame->masked || frame->rsv != 0) {
        return absl::DataLossError(absl::StrCat("bad close frame"));
      }
      ending.code = frame->close_code();
      ending.reason = frame->close_reason();
      return ending;
    }
    const json message = json::parse(frame->payload, nullptr, false);
    if (frame->opcode != kText || !frame->fin || frame->masked ||
        message.is_discarded()) {
      return absl::DataLossError(
          absl::StrCat("unexpected frame, payload \"",
                       absl::CHexEscape(frame->payload.substr(0, 200)), "\""));
    }
    if (!IsDataFor(message, skip_data_for)) ending.messages.push_back(message);
  }
}

// The next text message but keepalives and data messages for
// `skip_data_for`; an error for a close frame or anything else.
inline absl::StatusOr<json> NextMessage(RawClient& client,
                                        absl::string_view skip_data_for = "") {
  for (;;) {
    auto frame = client.ReadFrame();
    if (!frame.ok()) return frame.status();
    if (IsKeepalive(*frame)) continue;
    const json message = json::parse(frame->payload, nullptr, false);
    if (frame->opcode != kText || message.is_discarded()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "expected a message, got opcode ", int{frame->opcode}, " payload \"",
          absl::CHexEscape(frame->payload.substr(0, 200)), "\""));
    }
    if (!IsDataFor(message, skip_data_for)) return message;
  }
}

inline void ExpectNext(RawClient& client, const json& expected,
                       absl::string_view skip_data_for = "") {
  auto message = NextMessage(client, skip_data_for);
  ASSERT_TRUE(message.ok()) << message.status();
  EXPECT_EQ(*message, expected);
}

// The server closes with `code` and `reason`, having sent exactly
// `before` (keepalives and data for `skip_data_for` aside).
inline void ExpectClose(RawClient& client, int code, absl::string_view reason,
                        const std::vector<json>& before = {},
                        absl::string_view skip_data_for = "") {
  auto ending = ReadToClose(client, skip_data_for);
  ASSERT_TRUE(ending.ok()) << ending.status();
  EXPECT_EQ(ending->code, code);
  EXPECT_EQ(ending->reason, reason);
  EXPECT_EQ(json(ending->messages), json(before));
}

// After its close frame the server sends nothing and ends the stream.
inline void ExpectEndAfterClose(RawClient& client) {
  absl::Status end = client.ExpectEnd(/*keepalives=*/false);
  EXPECT_TRUE(end.ok()) << end;
}

// Completes the closing handshake the server started: our close frame,
// then the end of the stream and nothing else.
inline void AnswerClose(RawClient& client) {
  ASSERT_TRUE(
      client.Write(ClientFrame(kFin | kClose, ClosePayload(1000))).ok());
  ExpectEndAfterClose(client);
}

// --- The bad connections ---

// What one bad connection adds to the gateway's counters on /metrics.
struct Counts {
  int bad_frames = 0;
  int unknown_commands = 0;
  int invalid_commands = 0;
  int unknown_identifiers = 0;
  int duplicate_subscriptions = 0;
  int subscriptions_over_limit = 0;
  int min_rate_limited = 0;  // at least
};

struct BadCase {
  std::string name;
  Counts counts;
  // Runs against the server's HTTP port; `room` is a room name no other
  // case uses.
  std::function<void(int port, const std::string& room)> run;
};

using NamedBytes = std::vector<std::pair<std::string, std::string>>;

// Each adds its cases to `cases`.
void AddFramingErrors(std::vector<BadCase>& cases);
void AddOversized(std::vector<BadCase>& cases);
void AddInvalidUtf8(std::vector<BadCase>& cases);
void AddBinary(std::vector<BadCase>& cases);
void AddNotCommands(std::vector<BadCase>& cases);
void AddKeptConnections(std::vector<BadCase>& cases);
void AddFloods(std::vector<BadCase>& cases);
void AddLobbySubscribers(std::vector<BadCase>& cases);
void AddHangUps(std::vector<BadCase>& cases);
void AddBadHttp(std::vector<BadCase>& cases);

}  // namespace cable::testing::bad_input
