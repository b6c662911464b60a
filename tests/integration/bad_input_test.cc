// Bad input stays contained: one real cable-server takes every kind of
// malformed input at once, from many connections, while a well-behaved
// client keeps receiving every broadcast, once and in order.
//
// Each bad connection runs in its own thread (all released together) and
// checks the outcome docs/protocol.md gives its input: the close code and
// reason and the disconnect message before them, the frames the server
// answers with, or the HTTP status. Publishers without a valid API key get
// UNAUTHENTICATED and what they sent reaches nobody. Afterwards the
// gateway's counters match what was sent, exactly, and the server serves a
// new client. Every read is bounded by a deadline (a failure bound: nothing
// here waits for time to pass).

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

namespace cable::testing {
namespace {

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

std::string TextFrame(absl::string_view text) {
  return ClientFrame(kFin | kText, text);
}

// A masked frame header announcing `length` in the 64-bit form (whatever
// the length), with no payload.
std::string Header64(std::uint64_t length) {
  std::string out = {static_cast<char>(kFin | kText),
                     static_cast<char>(0x80 | 127)};
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((length >> shift) & 0xFF));
  }
  for (std::uint8_t b : kMask) out.push_back(static_cast<char>(b));
  return out;
}

std::string Room(const std::string& room) {
  return json{{"channel", "ChatChannel"}, {"room", room}}.dump();
}

std::string SubscribeCommand(const std::string& identifier) {
  return json{{"command", "subscribe"}, {"identifier", identifier}}.dump();
}

std::string UnsubscribeCommand(const std::string& identifier) {
  return json{{"command", "unsubscribe"}, {"identifier", identifier}}.dump();
}

std::string MessageCommand(const std::string& identifier, const json& data) {
  return json{
      {"command", "message"}, {"identifier", identifier}, {"data", data.dump()}}
      .dump();
}

std::string SpeakCommand(const std::string& identifier,
                         const std::string& message) {
  return MessageCommand(identifier,
                        {{"action", "speak"}, {"message", message}});
}

std::string UpgradeRequest(
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

json Confirm(const std::string& identifier) {
  return {{"identifier", identifier}, {"type", "confirm_subscription"}};
}

json Reject(const std::string& identifier) {
  return {{"identifier", identifier}, {"type", "reject_subscription"}};
}

json Disconnect(const std::string& reason) {
  return {{"type", "disconnect"}, {"reason", reason}, {"reconnect", false}};
}

json RateLimited(const std::string& identifier) {
  return {{"identifier", identifier},
          {"type", "error"},
          {"error", absl::StrCat("rate limited: at most ", kCommandRate,
                                 " commands a second")}};
}

// --- Expectations for one bad connection ---

// A connection upgraded to WebSocket whose welcome has been read; null
// (with a failure recorded) when that did not work.
std::unique_ptr<RawClient> Open(int port) {
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
bool IsDataFor(const json& message, absl::string_view identifier) {
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

absl::StatusOr<Ending> ReadToClose(RawClient& client,
                                   absl::string_view skip_data_for = "") {
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
absl::StatusOr<json> NextMessage(RawClient& client,
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

void ExpectNext(RawClient& client, const json& expected,
                absl::string_view skip_data_for = "") {
  auto message = NextMessage(client, skip_data_for);
  ASSERT_TRUE(message.ok()) << message.status();
  EXPECT_EQ(*message, expected);
}

// The server closes with `code` and `reason`, having sent exactly
// `before` (keepalives and data for `skip_data_for` aside).
void ExpectClose(RawClient& client, int code, absl::string_view reason,
                 const std::vector<json>& before = {},
                 absl::string_view skip_data_for = "") {
  auto ending = ReadToClose(client, skip_data_for);
  ASSERT_TRUE(ending.ok()) << ending.status();
  EXPECT_EQ(ending->code, code);
  EXPECT_EQ(ending->reason, reason);
  EXPECT_EQ(json(ending->messages), json(before));
}

// After its close frame the server sends nothing and ends the stream.
void ExpectEndAfterClose(RawClient& client) {
  absl::Status end = client.ExpectEnd(/*keepalives=*/false);
  EXPECT_TRUE(end.ok()) << end;
}

// Completes the closing handshake the server started: our close frame,
// then the end of the stream and nothing else.
void AnswerClose(RawClient& client) {
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

// Frames that break RFC 6455: 1002 with what is wrong, nothing before it,
// and the socket closes after the close frame without waiting for ours.
void AddFramingErrors(std::vector<BadCase>& cases) {
  std::string non_minimal_16 = {static_cast<char>(kFin | kText),
                                static_cast<char>(0x80 | 126), 0, 5};
  for (std::uint8_t b : kMask) non_minimal_16.push_back(static_cast<char>(b));
  non_minimal_16 += std::string(5, 'x');
  const struct {
    std::string name;
    std::string bytes;
    std::string reason;
  } errors[] = {
      {"unmasked frame",
       ClientFrame(kFin | kText, SubscribeCommand(kLobby), false),
       "unmasked frame"},
      {"RSV1 set", ClientFrame(kFin | kRsv1 | kText, "{}"),
       "reserved bits set"},
      {"RSV2 set", ClientFrame(kFin | kRsv2 | kText, "{}"),
       "reserved bits set"},
      {"RSV3 on a ping", ClientFrame(kFin | kRsv3 | kPing, ""),
       "reserved bits set"},
      {"data opcode 0x3", ClientFrame(kFin | 0x3, "x"), "unknown opcode"},
      {"control opcode 0xB", ClientFrame(kFin | 0xB, "x"), "unknown opcode"},
      {"fragmented ping", ClientFrame(kPing, "x"), "fragmented control frame"},
      {"ping of 126 bytes", ClientFrame(kFin | kPing, std::string(126, 'p')),
       "control frame too long"},
      {"continuation outside a message", ClientFrame(kFin | kContinuation, "x"),
       "continuation outside a message"},
      {"text inside a fragmented message",
       ClientFrame(kText, "{\"command\":") + ClientFrame(kFin | kText, "{}"),
       "new message inside a fragmented one"},
      {"16-bit length of 5", non_minimal_16, "length not minimal"},
      {"64-bit length of 200", Header64(200) + std::string(200, 'x'),
       "length not minimal"},
      {"64-bit length with the top bit set", Header64(std::uint64_t{1} << 63),
       "length too large"},
      {"close of one byte", ClientFrame(kFin | kClose, "\x03"),
       "close frame of one byte"},
      {"close code 1005", ClientFrame(kFin | kClose, ClosePayload(1005)),
       "invalid close code"},
      {"close code 999", ClientFrame(kFin | kClose, ClosePayload(999)),
       "invalid close code"},
      {"close code 2999", ClientFrame(kFin | kClose, ClosePayload(2999)),
       "invalid close code"},
  };
  for (const auto& error : errors) {
    cases.push_back({absl::StrCat("framing: ", error.name),
                     {.bad_frames = 1},
                     [bytes = error.bytes, reason = error.reason](
                         int port, const std::string&) {
                       auto client = Open(port);
                       ASSERT_TRUE(client);
                       ASSERT_TRUE(client->Write(bytes).ok());
                       ExpectClose(*client, 1002, reason);
                       ExpectEndAfterClose(*client);
                     }});
  }
}

// Messages over --max_frame_bytes: 1009, no disconnect message.
void AddOversized(std::vector<BadCase>& cases) {
  cases.push_back(
      {"oversized: one frame a byte over the limit",
       {.bad_frames = 1},
       [](int port, const std::string&) {
         auto client = Open(port);
         ASSERT_TRUE(client);
         ASSERT_TRUE(
             client->Write(TextFrame(std::string(kMaxFrameBytes + 1, ' ')))
                 .ok());
         ExpectClose(*client, 1009, "message too big");
         AnswerClose(*client);
       }});
  cases.push_back({"oversized: fragments that fit, a message that does not",
                   {.bad_frames = 1},
                   [](int port, const std::string&) {
                     auto client = Open(port);
                     ASSERT_TRUE(client);
                     const std::string part(kMaxFrameBytes / 2 - 1, ' ');
                     ASSERT_TRUE(
                         client
                             ->Write(ClientFrame(kText, part) +
                                     ClientFrame(kContinuation, part) +
                                     ClientFrame(kFin | kContinuation, part))
                             .ok());
                     ExpectClose(*client, 1009, "message too big");
                     AnswerClose(*client);
                   }});
  cases.push_back({"oversized: a terabyte announced, then a hang-up",
                   {.bad_frames = 1},
                   [](int port, const std::string&) {
                     auto client = Open(port);
                     ASSERT_TRUE(client);
                     ASSERT_TRUE(client
                                     ->Write(Header64(std::uint64_t{1} << 40) +
                                             std::string(100, 'x'))
                                     .ok());
                     // Refused from the header alone; what follows would be
                     // skipped as that frame's payload, so the client just
                     // goes.
                     ExpectClose(*client, 1009, "message too big");
                   }});
  cases.push_back({"oversized: a binary frame over the limit",
                   {.bad_frames = 1},
                   [](int port, const std::string&) {
                     auto client = Open(port);
                     ASSERT_TRUE(client);
                     ASSERT_TRUE(client
                                     ->Write(ClientFrame(
                                         kFin | kBinary,
                                         std::string(kMaxFrameBytes * 2, 'b')))
                                     .ok());
                     ExpectClose(*client, 1009, "message too big");
                     AnswerClose(*client);
                   }});
}

// Text that is not UTF-8: 1007, no disconnect message.
void AddInvalidUtf8(std::vector<BadCase>& cases) {
  const NamedBytes texts = {
      {"an invalid byte", R"({"command":"subscribe","x":")"
                          "\xc3\x28"
                          R"("})"},
      {"an overlong encoding", "{\"command\":\"\xc0\xaf\"}"},
      {"a UTF-16 surrogate", "\"\xed\xa0\x80\""},
      {"a code point over U+10FFFF", "\"\xf4\x90\x80\x80\""},
      {"a lone continuation byte", "\x80"},
  };
  for (const auto& [name, text] : texts) {
    cases.push_back({absl::StrCat("not UTF-8: ", name),
                     {.bad_frames = 1},
                     [text = text](int port, const std::string&) {
                       auto client = Open(port);
                       ASSERT_TRUE(client);
                       ASSERT_TRUE(client->Write(TextFrame(text)).ok());
                       ExpectClose(*client, 1007, "text message is not UTF-8");
                       AnswerClose(*client);
                     }});
  }
  cases.push_back(
      {"not UTF-8: a character cut at the end of the last fragment",
       {.bad_frames = 1},
       [](int port, const std::string&) {
         auto client = Open(port);
         ASSERT_TRUE(client);
         ASSERT_TRUE(
             client
                 ->Write(ClientFrame(kText, R"({"command":"sub)") +
                         ClientFrame(kFin | kContinuation, "scribe\xc3"))
                 .ok());
         ExpectClose(*client, 1007, "text message is not UTF-8");
         AnswerClose(*client);
       }});
  cases.push_back({"not UTF-8: a close reason",
                   {.bad_frames = 1},
                   [](int port, const std::string&) {
                     auto client = Open(port);
                     ASSERT_TRUE(client);
                     ASSERT_TRUE(
                         client
                             ->Write(ClientFrame(kFin | kClose,
                                                 ClosePayload(1000, "bye\xff")))
                             .ok());
                     // The client is closing anyway: nothing more is read from
                     // it.
                     ExpectClose(*client, 1007, "close reason is not UTF-8");
                   }});
}

// Binary messages: 1003 after disconnect{invalid_request}.
void AddBinary(std::vector<BadCase>& cases) {
  const NamedBytes frames = {
      {"a binary frame", ClientFrame(kFin | kBinary, "\x01\x02")},
      {"an empty binary frame", ClientFrame(kFin | kBinary, "")},
      {"a fragmented binary message",
       ClientFrame(kBinary, "ab") + ClientFrame(kFin | kContinuation, "cd")},
      {"a binary frame holding a valid command",
       ClientFrame(kFin | kBinary, SubscribeCommand(kLobby))},
  };
  for (const auto& [name, bytes] : frames) {
    cases.push_back({absl::StrCat("binary: ", name),
                     {.bad_frames = 1},
                     [bytes = bytes](int port, const std::string&) {
                       auto client = Open(port);
                       ASSERT_TRUE(client);
                       ASSERT_TRUE(client->Write(bytes).ok());
                       ExpectClose(*client, 1003,
                                   "binary frames are not supported",
                                   {Disconnect("invalid_request")});
                       AnswerClose(*client);
                     }});
  }
}

// Text that is not a command: 1007 with the parse error, after
// disconnect{invalid_request}.
void AddNotCommands(std::vector<BadCase>& cases) {
  constexpr char kNotJson[] = "frame is not valid JSON";
  constexpr char kNotObject[] = "frame is not a JSON object";
  constexpr char kNoCommand[] = "\"command\" must be a string";
  std::string nested;
  for (int i = 0; i < 1500; ++i) nested += '[';
  for (int i = 0; i < 1500; ++i) nested += ']';
  const std::vector<std::tuple<std::string, std::string, std::string>> texts = {
      {"garbage", "{not json", kNotJson},
      {"an empty message", "", kNotJson},
      {"a command and trailing bytes",
       SubscribeCommand(Room("x")) + " trailing", kNotJson},
      {"2000 open brackets", std::string(2000, '['), kNotJson},
      {"an array nested 1500 deep", nested, kNotObject},
      {"an array", "[1,2,3]", kNotObject},
      {"a string", "\"subscribe\"", kNotObject},
      {"null", "null", kNotObject},
      {"no command", R"({"identifier":"x"})", kNoCommand},
      {"a numeric command", R"({"command":42,"identifier":"x"})", kNoCommand},
      {"a null command", R"({"command":null})", kNoCommand},
      {"a numeric identifier", R"({"command":"subscribe","identifier":5})",
       "\"identifier\" must be a string"},
      {"an object identifier",
       R"({"command":"subscribe","identifier":{"channel":"ChatChannel"}})",
       "\"identifier\" must be a string"},
      {"numeric data", R"({"command":"message","identifier":"x","data":5})",
       "\"data\" must be a string or an object"},
      {"array data", R"({"command":"message","identifier":"x","data":[]})",
       "\"data\" must be a string or an object"},
  };
  for (const auto& [name, text, reason] : texts) {
    cases.push_back(
        {absl::StrCat("not a command: ", name),
         {.bad_frames = 1},
         [text = text, reason = reason](int port, const std::string&) {
           auto client = Open(port);
           ASSERT_TRUE(client);
           ASSERT_TRUE(client->Write(TextFrame(text)).ok());
           ExpectClose(*client, 1007, reason, {Disconnect("invalid_request")});
           AnswerClose(*client);
         }});
  }
}

// Commands that are ignored, or refused with a frame, keeping the
// connection: each case sends them all at once, then a subscribe that must
// be answered next (commands run in order, so nothing came in between).
void AddKeptConnections(std::vector<BadCase>& cases) {
  cases.push_back(
      {"kept: unknown commands",
       {.unknown_commands = 5},
       [](int port, const std::string& room) {
         auto client = Open(port);
         ASSERT_TRUE(client);
         const std::string mine = Room(room);
         ASSERT_TRUE(
             client
                 ->Write(TextFrame(R"({"command":"dance","identifier":"x"})") +
                         TextFrame(R"({"command":"DROP TABLE"})") +
                         TextFrame(R"({"command":""})") +
                         TextFrame(json{{"command", "periodic"},
                                        {"identifier", kLobby},
                                        {"data", "speak"}}
                                       .dump()) +
                         TextFrame(json{{"command", "Subscribe"},
                                        {"identifier", kLobby}}
                                       .dump()) +
                         TextFrame(SubscribeCommand(mine)))
                 .ok());
         ExpectNext(*client, Confirm(mine), mine);
       }});
  cases.push_back(
      {"kept: commands without an identifier or data",
       {.invalid_commands = 5},
       [](int port, const std::string& room) {
         auto client = Open(port);
         ASSERT_TRUE(client);
         const std::string mine = Room(room);
         ASSERT_TRUE(
             client
                 ->Write(
                     TextFrame(R"({"command":"subscribe"})") +
                     TextFrame(R"({"command":"subscribe","identifier":""})") +
                     TextFrame(
                         R"({"command":"unsubscribe","identifier":null})") +
                     TextFrame(
                         json{{"command", "message"}, {"identifier", kLobby}}
                             .dump()) +
                     TextFrame(json{{"command", "message"},
                                    {"identifier", kLobby},
                                    {"data", ""}}
                                   .dump()) +
                     TextFrame(SubscribeCommand(mine)))
                 .ok());
         ExpectNext(*client, Confirm(mine), mine);
       }});
  cases.push_back(
      {"kept: speaking in and leaving rooms never joined",
       {.unknown_identifiers = 4},
       [](int port, const std::string& room) {
         auto client = Open(port);
         ASSERT_TRUE(client);
         const std::string mine = Room(room);
         // The lobby is the good client's room: none of this reaches it.
         ASSERT_TRUE(
             client
                 ->Write(TextFrame(SpeakCommand(kLobby, "not subscribed")) +
                         TextFrame(
                             MessageCommand("garbage", {{"action", "speak"}})) +
                         TextFrame(UnsubscribeCommand(kLobby)) +
                         TextFrame(UnsubscribeCommand("never subscribed")) +
                         TextFrame(SubscribeCommand(mine)))
                 .ok());
         ExpectNext(*client, Confirm(mine), mine);
       }});
  cases.push_back(
      {"kept: bad identifiers are rejected",
       {},
       [](int port, const std::string& room) {
         auto client = Open(port);
         ASSERT_TRUE(client);
         const std::vector<std::string> bad = {
             "not json",
             "[1]",
             R"({"room":"lobby"})",
             R"({"channel":42,"room":"lobby"})",
             R"({"channel":"NoSuchChannel","room":"lobby"})",
             R"({"channel":"ChatChannel"})",
             R"({"channel":"ChatChannel","room":""})",
             R"({"channel":"ChatChannel","room":5})",
             json{{"channel", "NoSuchChannel"}, {"pad", std::string(3000, 'p')}}
                 .dump(),
         };
         std::string bytes;
         for (const std::string& identifier : bad) {
           bytes += TextFrame(SubscribeCommand(identifier));
         }
         const std::string mine = Room(room);
         bytes += TextFrame(SubscribeCommand(mine));
         ASSERT_TRUE(client->Write(bytes).ok());
         for (const std::string& identifier : bad) {
           ExpectNext(*client, Reject(identifier), mine);
         }
         ExpectNext(*client, Confirm(mine), mine);
       }});
  cases.push_back({"kept: a duplicate subscription gets no second confirmation",
                   {.duplicate_subscriptions = 1},
                   [](int port, const std::string& room) {
                     auto client = Open(port);
                     ASSERT_TRUE(client);
                     const std::string mine = Room(room);
                     const std::string second = Room(room + "-2");
                     ASSERT_TRUE(
                         client
                             ->Write(TextFrame(SubscribeCommand(mine)) +
                                     TextFrame(SubscribeCommand(mine)) +
                                     TextFrame(SubscribeCommand(second)))
                             .ok());
                     ExpectNext(*client, Confirm(mine), mine);
                     ExpectNext(*client, Confirm(second), mine);
                   }});
  cases.push_back({"kept: subscriptions over --max_subscriptions are rejected",
                   {.subscriptions_over_limit = 1},
                   [](int port, const std::string& room) {
                     auto client = Open(port);
                     ASSERT_TRUE(client);
                     std::vector<std::string> rooms;
                     std::string bytes;
                     for (int i = 0; i <= kMaxSubscriptions; ++i) {
                       rooms.push_back(Room(absl::StrCat(room, "-", i)));
                       bytes += TextFrame(SubscribeCommand(rooms.back()));
                     }
                     // Once one is left, the last one fits.
                     bytes += TextFrame(UnsubscribeCommand(rooms.front()));
                     bytes += TextFrame(SubscribeCommand(rooms.back()));
                     ASSERT_TRUE(client->Write(bytes).ok());
                     for (int i = 0; i < kMaxSubscriptions; ++i) {
                       ExpectNext(*client, Confirm(rooms[i]));
                     }
                     ExpectNext(*client, Reject(rooms.back()));
                     ExpectNext(*client, Confirm(rooms.back()));
                   }});
  cases.push_back(
      {"kept: actions outside the channel's allow-list do nothing",
       {},
       [](int port, const std::string& room) {
         auto client = Open(port);
         ASSERT_TRUE(client);
         const std::string mine = Room(room);
         ASSERT_TRUE(client->Write(TextFrame(SubscribeCommand(mine))).ok());
         ExpectNext(*client, Confirm(mine));
         std::string bytes;
         for (const json& data :
              {json{{"action", "stream_from"}, {"stream", kLobbyStream}},
               json{{"action", "broadcast_to"}, {"stream", kLobbyStream}},
               json{{"action", "subscribed"}}, json{{"action", "reject"}},
               json{{"action", "nope"}}, json{{"action", 5}},
               json{{"message", "no action"}}}) {
           bytes += TextFrame(MessageCommand(mine, data));
         }
         bytes += TextFrame(json{
             {"command", "message"}, {"identifier", mine}, {"data", "not json"}}
                                .dump());
         bytes += TextFrame(SpeakCommand(mine, "still here"));
         ASSERT_TRUE(client->Write(bytes).ok());
         auto next = NextMessage(*client);
         ASSERT_TRUE(next.ok()) << next.status();
         EXPECT_EQ((*next)["identifier"], mine) << *next;
         EXPECT_EQ((*next)["message"]["message"], "still here") << *next;
       }});
}

// Command floods: the burst passes, then each command gets an error frame,
// and --command_burst refusals in a row close with 1008 after
// disconnect{rate_limited}.
void AddFloods(std::vector<BadCase>& cases) {
  // Everything before the disconnect is a refusal for `identifier` (or, when
  // `rejects` is true, a reject_subscription for it); at least
  // kCommandBurst - 1 refusals come before the cut.
  auto expect_refused_then_cut =
      [](RawClient& client, const std::string& identifier, bool rejects) {
        auto ending = ReadToClose(client, identifier);
        ASSERT_TRUE(ending.ok()) << ending.status();
        EXPECT_EQ(ending->code, 1008);
        EXPECT_EQ(ending->reason, "rate limit exceeded");
        ASSERT_FALSE(ending->messages.empty());
        EXPECT_EQ(ending->messages.back(), Disconnect("rate_limited"));
        int refused = 0;
        for (std::size_t i = 0; i + 1 < ending->messages.size(); ++i) {
          const json& m = ending->messages[i];
          if (m == RateLimited(identifier)) {
            ++refused;
          } else {
            EXPECT_TRUE(rejects && m == Reject(identifier)) << m;
          }
        }
        EXPECT_GE(refused, kCommandBurst - 1);
      };
  for (int flooder = 0; flooder < 2; ++flooder) {
    cases.push_back(
        {absl::StrCat("flood: speak in its own room (", flooder, ")"),
         {.min_rate_limited = kCommandBurst},
         [expect_refused_then_cut](int port, const std::string& room) {
           auto client = Open(port);
           ASSERT_TRUE(client);
           const std::string mine = Room(room);
           ASSERT_TRUE(client->Write(TextFrame(SubscribeCommand(mine))).ok());
           ExpectNext(*client, Confirm(mine));
           std::string bytes;
           for (int i = 0; i < 10 * kCommandBurst; ++i) {
             bytes += TextFrame(SpeakCommand(mine, absl::StrCat(i)));
           }
           ASSERT_TRUE(client->Write(bytes).ok());
           expect_refused_then_cut(*client, mine, false);
           AnswerClose(*client);
         }});
  }
  cases.push_back(
      {"flood: subscribes to a channel that does not exist",
       {.min_rate_limited = kCommandBurst},
       [expect_refused_then_cut](int port, const std::string& room) {
         auto client = Open(port);
         ASSERT_TRUE(client);
         const std::string nowhere =
             json{{"channel", "NoSuchChannel"}, {"room", room}}.dump();
         std::string bytes;
         for (int i = 0; i < 10 * kCommandBurst; ++i) {
           bytes += TextFrame(SubscribeCommand(nowhere));
         }
         ASSERT_TRUE(client->Write(bytes).ok());
         expect_refused_then_cut(*client, nowhere, true);
         AnswerClose(*client);
       }});
}

// Subscribers of the good client's own stream that break the protocol
// while broadcasts flow to them: they are cut, the good client is not.
void AddLobbySubscribers(std::vector<BadCase>& cases) {
  const std::vector<
      std::tuple<std::string, std::string, int, std::string, std::vector<json>>>
      kinds = {
          {"an unmasked frame",
           ClientFrame(kFin | kText, SpeakCommand(kLobby, "x"), false),
           1002,
           "unmasked frame",
           {}},
          {"a reserved bit",
           ClientFrame(kFin | kRsv1 | kText, "{}"),
           1002,
           "reserved bits set",
           {}},
          {"a message over the limit",
           TextFrame(std::string(kMaxFrameBytes + 1, ' ')),
           1009,
           "message too big",
           {}},
          {"invalid UTF-8",
           TextFrame("\xff"),
           1007,
           "text message is not UTF-8",
           {}},
          {"a binary frame",
           ClientFrame(kFin | kBinary, "x"),
           1003,
           "binary frames are not supported",
           {Disconnect("invalid_request")}},
          {"garbage",
           TextFrame("{not json"),
           1007,
           "frame is not valid JSON",
           {Disconnect("invalid_request")}},
      };
  for (const auto& [name, bytes, code, reason, before] : kinds) {
    cases.push_back(
        {absl::StrCat("lobby subscriber sends ", name),
         {.bad_frames = 1},
         [bytes = bytes, code = code, reason = reason, before = before](
             int port, const std::string&) {
           auto client = Open(port);
           ASSERT_TRUE(client);
           ASSERT_TRUE(client->Write(TextFrame(SubscribeCommand(kLobby))).ok());
           ExpectNext(*client, Confirm(kLobby), kLobby);
           // Broadcasts to the lobby may arrive before and after this.
           ASSERT_TRUE(client->Write(bytes).ok());
           ExpectClose(*client, code, reason, before, kLobby);
           if (code == 1002) {
             ExpectEndAfterClose(*client);
           } else {
             AnswerClose(*client);
           }
         }});
  }
}

// Connections that stop halfway: the server ends them without a word.
void AddHangUps(std::vector<BadCase>& cases) {
  const std::string subscribe = TextFrame(SubscribeCommand(kLobby));
  const NamedBytes truncated = {
      {"one byte of a frame header", subscribe.substr(0, 1)},
      {"a frame header without its mask", subscribe.substr(0, 2)},
      {"half a frame", subscribe.substr(0, subscribe.size() / 2)},
      {"the first fragment of a message", ClientFrame(kText, "{\"command\":")},
  };
  for (const auto& [name, bytes] : truncated) {
    cases.push_back({absl::StrCat("hang-up after ", name),
                     {},
                     [bytes = bytes](int port, const std::string&) {
                       auto client = Open(port);
                       ASSERT_TRUE(client);
                       ASSERT_TRUE(client->Write(bytes).ok());
                       ASSERT_TRUE(client->ShutdownWrite().ok());
                       absl::Status end =
                           client->ExpectEnd(/*keepalives=*/true);
                       EXPECT_TRUE(end.ok()) << end;
                     }});
  }
  cases.push_back({"hang-up before the welcome",
                   {},
                   [subscribe](int port, const std::string&) {
                     auto client = RawClient::Connect(port);
                     ASSERT_TRUE(client.ok()) << client.status();
                     ASSERT_TRUE(
                         (*client)->Write(UpgradeRequest() + subscribe).ok());
                     // Gone while the service connects it and subscribes.
                   }});
  cases.push_back(
      {"hang-up inside the HTTP request", {}, [](int port, const std::string&) {
         auto client = RawClient::Connect(port);
         ASSERT_TRUE(client.ok()) << client.status();
         ASSERT_TRUE(
             (*client)->Write("GET /cable HTTP/1.1\r\nHost: x\r\nUpgr").ok());
         ASSERT_TRUE((*client)->ShutdownWrite().ok());
         absl::Status end = (*client)->ExpectEnd(/*keepalives=*/false);
         EXPECT_TRUE(end.ok()) << end;
       }});
}

// HTTP that is not a usable upgrade: an error status, or (not HTTP at all)
// the connection ends without an answer.
void AddBadHttp(std::vector<BadCase>& cases) {
  const std::string valid = UpgradeRequest();
  const std::string after_target = valid.substr(valid.find(" HTTP/1.1"));
  const std::vector<std::tuple<std::string, std::string, int>> requests = {
      {"a plain GET of /cable", "GET /cable HTTP/1.1\r\nHost: x\r\n\r\n", 404},
      {"an upgrade in HTTP/1.0",
       absl::StrCat("GET /cable HTTP/1.0", after_target.substr(9)), 404},
      {"an upgrade by POST",
       UpgradeRequest("/cable", "13", kWebSocketKey, "actioncable-v1-json",
                      "POST"),
       405},
      {"an upgrade elsewhere", UpgradeRequest("/elsewhere"), 404},
      {"WebSocket version 8", UpgradeRequest("/cable", "8"), 426},
      {"a short key", UpgradeRequest("/cable", "13", "short"), 400},
      {"a key of 12 bytes", UpgradeRequest("/cable", "13", "AAAAAAAAAAAAAAAA"),
       400},
      {"only an unknown subprotocol",
       UpgradeRequest("/cable", "13", kWebSocketKey, "graphql-ws"), 400},
      {"a target that is not UTF-8",
       absl::StrCat("GET /cable?user=\xff", after_target), 400},
      {"a header that is not UTF-8",
       absl::StrCat(valid.substr(0, valid.size() - 2),
                    "X-Name: caf\xc3\r\n\r\n"),
       400},
  };
  for (const auto& [name, request, status] : requests) {
    cases.push_back(
        {absl::StrCat("HTTP: ", name),
         {},
         [request = request, status = status](int port, const std::string&) {
           auto client = RawClient::Connect(port);
           ASSERT_TRUE(client.ok()) << client.status();
           ASSERT_TRUE((*client)->Write(request).ok());
           auto response = (*client)->ReadHttpResponse();
           ASSERT_TRUE(response.ok()) << response.status();
           EXPECT_EQ(response->status, status);
           EXPECT_EQ(response->headers.count("sec-websocket-accept"), 0u);
         }});
  }
  const NamedBytes garbage = {
      {"a TLS client hello",
       std::string("\x16\x03\x01\x00\x2f\x01\x00\x00\x2b\x03\x03", 11) +
           std::string(32, '\x42')},
      {"binary noise", std::string("\x00\xff\x13\x37\r\n\r\n", 8)},
      {"a WebSocket frame instead of a request", TextFrame("{}")},
  };
  for (const auto& [name, bytes] : garbage) {
    cases.push_back({absl::StrCat("not HTTP: ", name),
                     {},
                     [bytes = bytes](int port, const std::string&) {
                       auto client = RawClient::Connect(port);
                       ASSERT_TRUE(client.ok()) << client.status();
                       ASSERT_TRUE((*client)->Write(bytes).ok());
                       absl::Status end =
                           (*client)->ExpectEnd(/*keepalives=*/false);
                       EXPECT_TRUE(end.ok()) << end;
                     }});
  }
}

std::vector<BadCase> BadCases() {
  std::vector<BadCase> cases;
  AddFramingErrors(cases);
  AddOversized(cases);
  AddInvalidUtf8(cases);
  AddBinary(cases);
  AddNotCommands(cases);
  AddKeptConnections(cases);
  AddFloods(cases);
  AddLobbySubscribers(cases);
  AddHangUps(cases);
  AddBadHttp(cases);
  return cases;
}

// --- Publishers ---

absl::Status ToAbsl(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      s.error_message());
}

// cable.v1.Publisher over one channel, sending `authorization` metadata
// (none when nullopt) with every call.
class KeyedPublisher {
 public:
  KeyedPublisher(int grpc_port, std::optional<std::string> authorization)
      : stub_(v1::Publisher::NewStub(
            grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port),
                                grpc::InsecureChannelCredentials()))),
        authorization_(std::move(authorization)) {}

  absl::Status Broadcast(const std::string& stream, const std::string& data) {
    v1::BroadcastRequest request;
    request.set_stream(stream);
    request.set_data(data);
    v1::BroadcastResponse response;
    grpc::ClientContext context;
    Prepare(context);
    return ToAbsl(stub_->Broadcast(&context, request, &response));
  }

  absl::Status BroadcastBatch(const std::string& stream,
                              const std::vector<std::string>& data) {
    v1::BroadcastBatchRequest request;
    for (const std::string& d : data) {
      auto* b = request.add_broadcasts();
      b->set_stream(stream);
      b->set_data(d);
    }
    v1::BroadcastResponse response;
    grpc::ClientContext context;
    Prepare(context);
    return ToAbsl(stub_->BroadcastBatch(&context, request, &response));
  }

  absl::Status Disconnect(const std::string& name, const std::string& value) {
    v1::DisconnectClientsRequest request;
    (*request.mutable_identifiers())[name] = value;
    v1::DisconnectClientsResponse response;
    grpc::ClientContext context;
    Prepare(context);
    return ToAbsl(stub_->Disconnect(&context, request, &response));
  }

  absl::Status Transmit(const std::string& sid, const std::string& identifier,
                        const std::string& data) {
    v1::TransmitRequest request;
    request.set_sid(sid);
    request.set_identifier(identifier);
    request.set_data(data);
    v1::TransmitResponse response;
    grpc::ClientContext context;
    Prepare(context);
    return ToAbsl(stub_->Transmit(&context, request, &response));
  }

 private:
  void Prepare(grpc::ClientContext& context) const {
    context.set_deadline(std::chrono::system_clock::now() + kTimeout);
    if (authorization_) context.AddMetadata("authorization", *authorization_);
  }

  std::unique_ptr<v1::Publisher::Stub> stub_;
  std::optional<std::string> authorization_;
};

// Publisher calls without a valid key, each aimed at the good client
// (its stream, its user, its session): all must be UNAUTHENTICATED.
// Returns a description of each call that was not.
std::vector<std::string> UnauthorisedCalls(int grpc_port,
                                           const std::string& good_sid) {
  std::vector<std::string> failures;
  KeyedPublisher none(grpc_port, std::nullopt);
  KeyedPublisher wrong(grpc_port, "Bearer not-the-key");
  KeyedPublisher longer(grpc_port, absl::StrCat("Bearer ", kApiKey, "x"));
  KeyedPublisher basic(grpc_port, absl::StrCat("Basic ", kApiKey));
  KeyedPublisher bare(grpc_port, kApiKey);
  KeyedPublisher empty(grpc_port, "Bearer ");
  auto check = [&](const std::string& what, const absl::Status& status) {
    if (status.code() != absl::StatusCode::kUnauthenticated) {
      failures.push_back(absl::StrCat(what, ": ", status.ToString()));
    }
  };
  for (int round = 0; round < kUnauthorisedRounds; ++round) {
    const std::string payload =
        json{{"unauthorised", round}}.dump();  // must reach nobody
    check("no key", none.Broadcast(kLobbyStream, payload));
    check("a wrong key", wrong.Broadcast(kLobbyStream, payload));
    check("the key and a byte more", longer.Broadcast(kLobbyStream, payload));
    check("the key in Basic", basic.Broadcast(kLobbyStream, payload));
    check("the key without a scheme", bare.Broadcast(kLobbyStream, payload));
    check("an empty bearer", empty.BroadcastBatch(kLobbyStream, {payload}));
    check("Disconnect with a wrong key",
          wrong.Disconnect("current_user", "good"));
    check("Transmit with a wrong key",
          wrong.Transmit(good_sid, kLobby, payload));
  }
  return failures;
}

// --- The test ---

// The value of the sample `name` (with its labels) on /metrics; -1 when
// absent.
double MetricValue(const std::string& text, const std::string& name) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::StartsWith(line, name) || line.size() <= name.size() ||
        line[name.size()] != ' ') {
      continue;
    }
    double value = 0;
    if (absl::SimpleAtod(line.substr(name.size() + 1), &value)) return value;
  }
  return -1;
}

// /metrics once `line` is in it (polled, up to kTimeout).
std::string AwaitMetric(int http_port, const std::string& line) {
  const auto deadline = Clock::now() + kTimeout;
  std::string text;
  while (Clock::now() < deadline) {
    auto metrics = HttpGet(http_port, "/metrics");
    if (!metrics.ok()) {
      ADD_FAILURE() << "server gone: " << metrics.status();
      return {};
    }
    text = metrics->second;
    if (text.find(line) != std::string::npos) return text;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "no \"" << line << "\" on /metrics:\n" << text;
  return text;
}

TEST(BadInput, ManyBadConnectionsAtOnceLeaveAWellBehavedClientWhole) {
  ServerProcess server = Must(ServerProcess::Start(
      CableServerBinary(),
      {"--host=127.0.0.1", "--port=0", "--grpc_port=0", "--log_level=warn",
       absl::StrCat("--publisher_api_keys=", kApiKeys),
       absl::StrCat("--max_frame_bytes=", kMaxFrameBytes),
       absl::StrCat("--command_rate=", kCommandRate),
       absl::StrCat("--command_burst=", kCommandBurst),
       absl::StrCat("--max_subscriptions=", kMaxSubscriptions)}));
  const int http_port = server.http_port();
  const int grpc_port = server.grpc_port();

  // The well-behaved client, in the lobby.
  WsClient::Options options;
  options.path = "/cable?user=good";
  auto good = Must(WsClient::Connect(http_port, options));
  auto welcome = good->ReceiveNonPing();
  ASSERT_TRUE(welcome.ok()) << welcome.status();
  ASSERT_EQ(welcome->value("type", ""), "welcome");
  const std::string good_sid = welcome->value("sid", "");
  ASSERT_EQ(*good->Subscribe(kLobby), "confirm_subscription");

  // It reads everything it gets until the publisher's end marker.
  absl::Mutex mu;
  int received_count = 0;  // guarded by mu
  std::vector<json> received;
  absl::Status reader_status;
  std::thread reader([&] {
    for (;;) {
      auto message = good->ReceiveNonPing();
      if (!message.ok()) {
        reader_status = message.status();
        return;
      }
      received.push_back(*message);
      {
        absl::MutexLock lock(&mu);
        ++received_count;
      }
      if (message->contains("message") && (*message)["message"].is_object() &&
          (*message)["message"].contains("end")) {
        return;
      }
    }
  });

  // The good publisher: numbered broadcasts until every bad client is done
  // (and at least kMinBroadcasts), then the end marker.
  std::atomic<bool> bad_done{false};
  int sent = 0;
  absl::Status publisher_status;
  std::thread publisher([&] {
    KeyedPublisher keyed(grpc_port, absl::StrCat("Bearer ", kApiKey));
    while (sent < kMaxBroadcasts &&
           (sent < kMinBroadcasts || !bad_done.load())) {
      {
        absl::MutexLock lock(&mu);
        const int behind = sent - kWindow;
        const auto caught_up = [&received_count, behind] {
          return received_count >= behind;
        };
        if (!mu.AwaitWithTimeout(absl::Condition(&caught_up),
                                 absl::Seconds(10))) {
          publisher_status = absl::DeadlineExceededError(absl::StrCat(
              "the good client read ", received_count, " of ", sent));
          return;
        }
      }
      publisher_status =
          keyed.Broadcast(kLobbyStream, json{{"n", sent}}.dump());
      if (!publisher_status.ok()) return;
      ++sent;
    }
    publisher_status =
        keyed.Broadcast(kLobbyStream, json{{"end", sent}}.dump());
  });

  // Every bad connection and the unauthorised publishers, released at once.
  const std::vector<BadCase> cases = BadCases();
  std::latch start(static_cast<std::ptrdiff_t>(cases.size()) + 1);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    threads.emplace_back([&, i] {
      SCOPED_TRACE(cases[i].name);
      start.arrive_and_wait();
      cases[i].run(http_port, absl::StrCat("bad-", i));
    });
  }
  std::vector<std::string> unauthorised_failures;
  threads.emplace_back([&] {
    start.arrive_and_wait();
    unauthorised_failures = UnauthorisedCalls(grpc_port, good_sid);
  });
  for (auto& t : threads) t.join();
  bad_done = true;
  publisher.join();
  reader.join();

  EXPECT_TRUE(unauthorised_failures.empty())
      << absl::StrJoin(unauthorised_failures, "\n");
  ASSERT_TRUE(publisher_status.ok()) << publisher_status;
  ASSERT_TRUE(reader_status.ok()) << reader_status;
  EXPECT_GE(sent, kMinBroadcasts);
  RecordProperty("bad_connections", static_cast<int>(cases.size()));
  RecordProperty("broadcasts", sent);

  // Every broadcast, once, in order, and nothing else (no unauthorised
  // payload, no bad client's speech, no disconnect).
  std::vector<json> expected;
  for (int i = 0; i < sent; ++i) {
    expected.push_back({{"identifier", kLobby}, {"message", {{"n", i}}}});
  }
  expected.push_back({{"identifier", kLobby}, {"message", {{"end", sent}}}});
  for (std::size_t i = 0; i < std::min(received.size(), expected.size()); ++i) {
    if (received[i] != expected[i]) {
      ADD_FAILURE() << "message " << i << " is " << received[i] << ", expected "
                    << expected[i];
      break;
    }
  }
  ASSERT_EQ(received.size(), expected.size());

  // It still acts: its own speech comes back next.
  ASSERT_TRUE(
      good->Perform(kLobby, {{"action", "speak"}, {"message", "still here"}})
          .ok());
  auto spoken = good->ReceiveNonPing();
  ASSERT_TRUE(spoken.ok()) << spoken.status();
  EXPECT_EQ(*spoken,
            (json{{"identifier", kLobby},
                  {"message", {{"message", "still here"}, {"user", "good"}}}}));

  // No bad connection is left behind, and the counters say exactly what
  // was sent.
  const std::string metrics =
      AwaitMetric(http_port, "\ncable_connections_active 1\n");
  Counts total;
  for (const BadCase& c : cases) {
    total.bad_frames += c.counts.bad_frames;
    total.unknown_commands += c.counts.unknown_commands;
    total.invalid_commands += c.counts.invalid_commands;
    total.unknown_identifiers += c.counts.unknown_identifiers;
    total.duplicate_subscriptions += c.counts.duplicate_subscriptions;
    total.subscriptions_over_limit += c.counts.subscriptions_over_limit;
    total.min_rate_limited += c.counts.min_rate_limited;
  }
  EXPECT_EQ(MetricValue(metrics, "cable_bad_frames_total"), total.bad_frames);
  EXPECT_EQ(MetricValue(metrics, "cable_unknown_commands_total"),
            total.unknown_commands);
  EXPECT_EQ(MetricValue(metrics, "cable_invalid_commands_total"),
            total.invalid_commands);
  EXPECT_EQ(MetricValue(metrics, "cable_unknown_identifiers_total"),
            total.unknown_identifiers);
  EXPECT_EQ(MetricValue(metrics, "cable_duplicate_subscriptions_total"),
            total.duplicate_subscriptions);
  EXPECT_EQ(MetricValue(metrics, "cable_subscriptions_over_limit_total"),
            total.subscriptions_over_limit);
  EXPECT_GE(MetricValue(metrics, "cable_rate_limited_commands_total"),
            total.min_rate_limited);
  EXPECT_EQ(
      MetricValue(metrics,
                  R"(cable_unauthenticated_calls_total{api="publisher"})"),
      kUnauthorisedRounds * kUnauthorisedCallsPerRound);
  EXPECT_EQ(MetricValue(metrics, "cable_slow_disconnects_total"), 0);
  EXPECT_EQ(MetricValue(metrics, "cable_service_errors_total"), 0);

  // The server is alive and serves a newcomer.
  EXPECT_EQ(::waitpid(server.pid(), nullptr, WNOHANG), 0);
  auto health = HttpGet(http_port, "/health");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->first, 200);
  auto newcomer = Must(WsClient::Connect(http_port));
  auto newcomer_welcome = newcomer->ReceiveNonPing();
  ASSERT_TRUE(newcomer_welcome.ok()) << newcomer_welcome.status();
  EXPECT_EQ(newcomer_welcome->value("type", ""), "welcome");
  ASSERT_EQ(*newcomer->Subscribe(kLobby), "confirm_subscription");
  KeyedPublisher keyed(grpc_port, absl::StrCat("Bearer ", kApiKey));
  ASSERT_TRUE(keyed.Broadcast(kLobbyStream, R"({"after":true})").ok());
  const json after = {{"identifier", kLobby}, {"message", {{"after", true}}}};
  for (WsClient* client : {good.get(), newcomer.get()}) {
    auto message = client->ReceiveNonPing();
    ASSERT_TRUE(message.ok()) << message.status();
    EXPECT_EQ(*message, after);
  }
}

}  // namespace
}  // namespace cable::testing
