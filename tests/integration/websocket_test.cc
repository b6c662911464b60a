// The gateway's own RFC 6455 layer end to end: the real cable-server on
// ephemeral ports, driven over raw TCP sockets with hand-written frames, so
// that every byte of the handshake and of the framing is under the test's
// control. Reads are bounded by a deadline (a failure bound only: nothing
// here waits for time to pass).

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <poll.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "tests/support/must.h"
#include "tests/support/raw_ws_client.h"
#include "tests/support/server_process.h"
#include "tests/support/ws_client.h"

namespace cable::testing {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using ::nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr std::chrono::seconds kTimeout(10);

ServerProcess StartServer(std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--host=127.0.0.1", "--port=0",
                                   "--grpc_port=0", "--log_level=warn"};
  args.insert(args.end(), extra.begin(), extra.end());
  return Must(ServerProcess::Start(CableServerBinary(), args));
}

// base64(SHA-1(key + GUID)), as RFC 6455 section 4.2.2 defines it.
std::string ExpectedAccept(absl::string_view key) {
  const std::string input =
      absl::StrCat(key, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(input.data(), input.size(), digest, &size, EVP_sha1(), nullptr);
  return absl::Base64Escape(
      absl::string_view(reinterpret_cast<const char*>(digest), size));
}

std::string SubscribeCommand(const std::string& identifier) {
  return json{{"command", "subscribe"}, {"identifier", identifier}}.dump();
}

std::string Room(const std::string& room) {
  return json{{"channel", "ChatChannel"}, {"room", room}}.dump();
}

std::string UpgradeRequest(absl::string_view key, absl::string_view version,
                           absl::string_view subprotocol) {
  return absl::StrCat(
      "GET /cable HTTP/1.1\r\n"
      "Host: 127.0.0.1\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Key: ",
      key, "\r\nSec-WebSocket-Version: ", version, "\r\n",
      subprotocol.empty()
          ? ""
          : absl::StrCat("Sec-WebSocket-Protocol: ", subprotocol, "\r\n"),
      "\r\n");
}

// A connection upgraded to WebSocket whose welcome has been read.
absl::StatusOr<std::unique_ptr<RawClient>> Open(const ServerProcess& server) {
  auto client = RawClient::Connect(server.http_port());
  if (!client.ok()) return client.status();
  if (auto s = (*client)->Write(
          UpgradeRequest(kRfcKey, "13", "actioncable-v1-json"));
      !s.ok()) {
    return s;
  }
  auto response = (*client)->ReadHttpResponse();
  if (!response.ok()) return response.status();
  if (response->status != 101) {
    return absl::FailedPreconditionError(
        absl::StrCat("upgrade answered ", response->status));
  }
  auto welcome = (*client)->ReadNonKeepalive();
  if (!welcome.ok()) return welcome.status();
  if (welcome->opcode != kText ||
      json::parse(welcome->payload, nullptr, false).value("type", "") !=
          "welcome") {
    return absl::FailedPreconditionError(absl::StrCat(
        "expected the welcome, got ", absl::CHexEscape(welcome->payload)));
  }
  return client;
}

// Expects a well-formed close frame from the server carrying `code`.
void ExpectCloseFrame(RawClient& client, int code) {
  auto frame = client.ReadNonKeepalive();
  ASSERT_TRUE(frame.ok()) << frame.status();
  EXPECT_EQ(frame->opcode, kClose) << *frame;
  EXPECT_TRUE(frame->fin) << *frame;
  EXPECT_FALSE(frame->masked) << *frame;
  EXPECT_EQ(frame->close_code(), code) << *frame;
}

// Reads frames until confirm_subscription for `identifier`, checking that
// the server echoed the identifier byte for byte.
void ExpectConfirmed(RawClient& client, const std::string& identifier) {
  auto frame = client.ReadNonKeepalive();
  ASSERT_TRUE(frame.ok()) << frame.status();
  ASSERT_EQ(frame->opcode, kText) << *frame;
  EXPECT_EQ(
      json::parse(frame->payload, nullptr, false),
      (json{{"type", "confirm_subscription"}, {"identifier", identifier}}))
      << *frame;
}

TEST(WebSocket, HandshakeAnswersWithTheAcceptKeyAndSubprotocol) {
  // The RFC's own example, checked against its published answer.
  ASSERT_EQ(ExpectedAccept(kRfcKey), kRfcAccept);
  auto server = StartServer();
  // A second key (16 bytes 0x00..0x0f) so the answer is not a constant.
  std::string raw_key;
  for (char c = 0; c < 16; ++c) raw_key.push_back(c);
  for (const std::string& key :
       {std::string(kRfcKey), absl::Base64Escape(raw_key)}) {
    SCOPED_TRACE(key);
    auto client = Must(RawClient::Connect(server.http_port()));
    ASSERT_TRUE(
        client->Write(UpgradeRequest(key, "13", "actioncable-v1-json")).ok());
    auto response = client->ReadHttpResponse();
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 101);
    EXPECT_EQ(absl::AsciiStrToLower(response->header("upgrade")), "websocket");
    EXPECT_EQ(absl::AsciiStrToLower(response->header("connection")), "upgrade");
    EXPECT_EQ(response->header("sec-websocket-accept"), ExpectedAccept(key));
    EXPECT_EQ(response->header("sec-websocket-protocol"),
              "actioncable-v1-json");
    EXPECT_EQ(response->headers.count("sec-websocket-extensions"), 0u);

    auto welcome = client->ReadFrame();
    ASSERT_TRUE(welcome.ok()) << welcome.status();
    EXPECT_TRUE(welcome->fin) << *welcome;
    EXPECT_EQ(welcome->rsv, 0) << *welcome;
    EXPECT_EQ(welcome->opcode, kText) << *welcome;
    EXPECT_FALSE(welcome->masked) << *welcome;
    EXPECT_THAT(welcome->payload, StartsWith(R"({"type":"welcome")"));
    EXPECT_EQ(json::parse(welcome->payload, nullptr, false).value("type", ""),
              "welcome");
  }
}

TEST(WebSocket, FramesSentWithTheUpgradeRequestAreRead) {
  // A client that does not wait for the 101: its first commands arrive in
  // the same packet as the request, and are neither lost nor misread.
  auto server = StartServer();
  auto client = Must(RawClient::Connect(server.http_port()));
  const std::string one = Room("early-one");
  const std::string two = Room("early-two");
  ASSERT_TRUE(client
                  ->Write(UpgradeRequest(kRfcKey, "13", "actioncable-v1-json") +
                          ClientFrame(kFin | kText, SubscribeCommand(one)) +
                          ClientFrame(kFin | kText, SubscribeCommand(two)))
                  .ok());
  auto response = client->ReadHttpResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 101);
  auto welcome = client->ReadNonKeepalive();
  ASSERT_TRUE(welcome.ok()) << welcome.status();
  EXPECT_EQ(json::parse(welcome->payload, nullptr, false).value("type", ""),
            "welcome");
  ExpectConfirmed(*client, one);
  ExpectConfirmed(*client, two);
}

TEST(WebSocket, HandshakeWithoutSubprotocolNamesNone) {
  auto server = StartServer();
  auto client = Must(RawClient::Connect(server.http_port()));
  ASSERT_TRUE(client->Write(UpgradeRequest(kRfcKey, "13", "")).ok());
  auto response = client->ReadHttpResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 101);
  EXPECT_EQ(response->header("sec-websocket-accept"), kRfcAccept);
  EXPECT_EQ(response->headers.count("sec-websocket-protocol"), 0u);
}

TEST(WebSocket, UnsupportedVersionIsAnswered426WithVersion13) {
  auto server = StartServer();
  auto client = Must(RawClient::Connect(server.http_port()));
  ASSERT_TRUE(
      client->Write(UpgradeRequest(kRfcKey, "8", "actioncable-v1-json")).ok());
  auto response = client->ReadHttpResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 426);
  EXPECT_EQ(response->header("sec-websocket-version"), "13");
  EXPECT_EQ(response->headers.count("sec-websocket-accept"), 0u);
}

TEST(WebSocket, MalformedKeyIsAnswered400) {
  auto server = StartServer();
  // "short" is not base64 of 16 bytes; nor are the others (12 bytes, 16
  // bytes without padding, a character outside base64).
  for (const char* key : {"short", "AAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAA",
                          "AAAAAAAAAAAAAAAAAAAAA*=="}) {
    SCOPED_TRACE(key);
    auto client = Must(RawClient::Connect(server.http_port()));
    ASSERT_TRUE(
        client->Write(UpgradeRequest(key, "13", "actioncable-v1-json")).ok());
    auto response = client->ReadHttpResponse();
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 400);
    EXPECT_EQ(response->headers.count("sec-websocket-accept"), 0u);
  }
}

TEST(WebSocket, TargetOrHeaderNotUtf8IsAnswered400) {
  auto server = StartServer();
  // Both would reach the service in proto3 strings, which must be UTF-8:
  // a raw byte 0xFF in the query string, and in a header's value.
  const std::string upgrade =
      UpgradeRequest(kRfcKey, "13", "actioncable-v1-json");
  const std::string bad_target = absl::StrCat(
      "GET /cable?user=\xFF", upgrade.substr(upgrade.find(" HTTP/1.1")));
  const std::string bad_header = absl::StrCat(
      upgrade.substr(0, upgrade.size() - 2), "X-Name: caf\xC3\r\n\r\n");
  for (const std::string& request : {bad_target, bad_header}) {
    SCOPED_TRACE(request);
    auto client = Must(RawClient::Connect(server.http_port()));
    ASSERT_TRUE(client->Write(request).ok());
    auto response = client->ReadHttpResponse();
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 400);
    EXPECT_EQ(response->headers.count("sec-websocket-accept"), 0u);
  }
  // The same request with UTF-8 (percent-encoded or not) is upgraded.
  auto client = Must(RawClient::Connect(server.http_port()));
  ASSERT_TRUE(
      client
          ->Write(absl::StrCat("GET /cable?user=caf%C3%A9&n=\xC3\xA9",
                               upgrade.substr(upgrade.find(" HTTP/1.1"))))
          .ok());
  auto response = client->ReadHttpResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 101);
}

TEST(WebSocket, PingIsAnsweredWithAPongCarryingItsPayload) {
  auto server = StartServer();
  auto client = Must(Open(server));
  std::string largest;  // 125 bytes, the most a control frame holds
  for (int i = 0; i < 125; ++i) largest.push_back(static_cast<char>(i * 2));
  for (const std::string& payload :
       {std::string("abc"), std::string(), largest}) {
    SCOPED_TRACE(absl::CHexEscape(payload));
    ASSERT_TRUE(client->Write(ClientFrame(kFin | kPing, payload)).ok());
    auto pong = client->ReadNonKeepalive();
    ASSERT_TRUE(pong.ok()) << pong.status();
    EXPECT_EQ(pong->opcode, kPong) << *pong;
    EXPECT_TRUE(pong->fin) << *pong;
    EXPECT_FALSE(pong->masked) << *pong;
    EXPECT_EQ(pong->payload, payload);
  }
  // The connection is still usable.
  const std::string lobby = Room("lobby");
  ASSERT_TRUE(
      client->Write(ClientFrame(kFin | kText, SubscribeCommand(lobby))).ok());
  ExpectConfirmed(*client, lobby);
}

TEST(WebSocket, FragmentedMessageWithAPingBetweenIsUnderstood) {
  auto server = StartServer();
  auto client = Must(Open(server));
  const std::string identifier = Room("fragments");
  const std::string command = SubscribeCommand(identifier);
  const std::size_t half = command.size() / 2;
  ASSERT_TRUE(client->Write(ClientFrame(kText, command.substr(0, half))).ok());
  ASSERT_TRUE(client->Write(ClientFrame(kFin | kPing, "between")).ok());
  ASSERT_TRUE(
      client->Write(ClientFrame(kFin | kContinuation, command.substr(half)))
          .ok());
  // The pong is written as the ping is read, the confirmation once the
  // service answered: the pong comes first.
  auto pong = client->ReadNonKeepalive();
  ASSERT_TRUE(pong.ok()) << pong.status();
  EXPECT_EQ(pong->opcode, kPong) << *pong;
  EXPECT_EQ(pong->payload, "between");
  ExpectConfirmed(*client, identifier);
}

TEST(WebSocket, CharacterSplitBetweenFragmentsIsValidUtf8) {
  auto server = StartServer();
  auto client = Must(Open(server));
  const std::string identifier = Room("caf\xc3\xa9");
  const std::string command = SubscribeCommand(identifier);
  // Cut between the two bytes of the "é": neither fragment is valid UTF-8
  // on its own, the message is.
  const std::size_t cut = command.find('\xc3') + 1;
  ASSERT_TRUE(client->Write(ClientFrame(kText, command.substr(0, cut))).ok());
  ASSERT_TRUE(
      client->Write(ClientFrame(kFin | kContinuation, command.substr(cut)))
          .ok());
  ExpectConfirmed(*client, identifier);
}

TEST(WebSocket, MessageWrittenOneByteAtATimeIsUnderstood) {
  auto server = StartServer();
  auto client = Must(Open(server));
  // 200 bytes of payload: a 16-bit length, and a header that may arrive in
  // pieces.
  const std::string identifier = Room(std::string(140, 'b'));
  const std::string frame =
      ClientFrame(kFin | kText, SubscribeCommand(identifier));
  ASSERT_GT(frame.size(), 126u + 8u);
  for (char c : frame) ASSERT_TRUE(client->Write(std::string(1, c)).ok());
  ExpectConfirmed(*client, identifier);
}

TEST(WebSocket, MessageWithA64BitLengthIsUnderstood) {
  // 65536 bytes, the default limit, need the 64-bit length form.
  auto server = StartServer();
  auto client = Must(Open(server));
  const std::string identifier = Room("big");
  std::string command = SubscribeCommand(identifier);
  command.append(65536 - command.size(), ' ');  // JSON whitespace
  ASSERT_TRUE(client->Write(ClientFrame(kFin | kText, command)).ok());
  ExpectConfirmed(*client, identifier);
}

TEST(WebSocket, CloseIsEchoedWithTheClientsCodeThenTheConnectionEnds) {
  auto server = StartServer();
  auto client = Must(Open(server));
  ASSERT_TRUE(
      client->Write(ClientFrame(kFin | kClose, ClosePayload(4001, "bye")))
          .ok());
  ExpectCloseFrame(*client, 4001);
  auto eof = client->ExpectEnd();
  EXPECT_TRUE(eof.ok()) << eof;
}

TEST(WebSocket, CloseWithoutACodeIsAnsweredWith1000) {
  auto server = StartServer();
  auto client = Must(Open(server));
  ASSERT_TRUE(client->Write(ClientFrame(kFin | kClose, "")).ok());
  ExpectCloseFrame(*client, 1000);
  auto eof = client->ExpectEnd();
  EXPECT_TRUE(eof.ok()) << eof;
}

TEST(WebSocket, UnmaskedFrameClosesWith1002) {
  auto server = StartServer();
  auto client = Must(Open(server));
  ASSERT_TRUE(
      client
          ->Write(ClientFrame(kFin | kText, SubscribeCommand(Room("lobby")),
                              /*masked=*/false))
          .ok());
  ExpectCloseFrame(*client, 1002);
  auto eof = client->ExpectEnd();
  EXPECT_TRUE(eof.ok()) << eof;
}

TEST(WebSocket, ReservedBitClosesWith1002) {
  auto server = StartServer();
  for (std::uint8_t rsv : {kRsv1, kRsv3}) {
    SCOPED_TRACE(int{rsv});
    auto client = Must(Open(server));
    ASSERT_TRUE(client
                    ->Write(ClientFrame(kFin | rsv | kText,
                                        SubscribeCommand(Room("lobby"))))
                    .ok());
    ExpectCloseFrame(*client, 1002);
    auto eof = client->ExpectEnd();
    EXPECT_TRUE(eof.ok()) << eof;
  }
}

TEST(WebSocket, OtherFramingErrorsCloseWith1002) {
  auto server = StartServer();
  // A 16-bit length of 5: not the shortest form.
  std::string non_minimal = {static_cast<char>(kFin | kText),
                             static_cast<char>(0x80 | 126), 0, 5};
  for (std::uint8_t b : kMask) non_minimal.push_back(static_cast<char>(b));
  for (int i = 0; i < 5; ++i) {
    non_minimal.push_back(static_cast<char>("hello"[i] ^ kMask[i % 4]));
  }
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"unknown opcode 0x3", ClientFrame(kFin | 0x3, "x")},
      {"continuation outside a message",
       ClientFrame(kFin | kContinuation, "x")},
      {"text inside a fragmented message",
       ClientFrame(kText, "a") + ClientFrame(kFin | kText, "b")},
      {"fragmented ping", ClientFrame(kPing, "x")},
      {"ping of 126 bytes", ClientFrame(kFin | kPing, std::string(126, 'p'))},
      {"close of one byte", ClientFrame(kFin | kClose, "\x03")},
      {"close code 1005", ClientFrame(kFin | kClose, ClosePayload(1005))},
      {"close code 999", ClientFrame(kFin | kClose, ClosePayload(999))},
      {"length not minimal", non_minimal},
  };
  for (const auto& [name, bytes] : cases) {
    SCOPED_TRACE(name);
    auto client = Must(Open(server));
    ASSERT_TRUE(client->Write(bytes).ok());
    ExpectCloseFrame(*client, 1002);
    auto eof = client->ExpectEnd();
    EXPECT_TRUE(eof.ok()) << eof;
  }
}

TEST(WebSocket, FragmentedMessageOverTheLimitClosesWith1009) {
  // A long write timeout: the server must wait for the client's close frame
  // however slowly this test runs, not cut the connection on its own.
  auto server = StartServer({"--max_frame_bytes=1024", "--write_timeout=60s"});
  auto client = Must(Open(server));
  // 4096 bytes in 4 fragments of 1024: each fits, the message does not.
  std::string bytes;
  for (int i = 0; i < 4; ++i) {
    const std::uint8_t first =
        (i == 0 ? kText : kContinuation) | (i == 3 ? kFin : 0);
    bytes += ClientFrame(first, std::string(1024, 'x'));
  }
  ASSERT_TRUE(client->Write(bytes).ok());
  ExpectCloseFrame(*client, 1009);
  // The server waits for the closing handshake: the session is still
  // there (one-sided: a server that closed early might not be seen yet).
  auto metrics = HttpGet(server.http_port(), "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_THAT(metrics->second, HasSubstr("\ncable_connections_active 1\n"));
  ASSERT_TRUE(
      client->Write(ClientFrame(kFin | kClose, ClosePayload(1009))).ok());
  auto eof = client->ExpectEnd();
  EXPECT_TRUE(eof.ok()) << eof;
}

TEST(WebSocket, InvalidUtf8ClosesWith1007) {
  auto server = StartServer({"--write_timeout=60s"});
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"invalid byte",
       ClientFrame(kFin | kText, R"({"command":"subscribe","x":")"
                                 "\xc3\x28"
                                 R"("})")},
      {"truncated at the end of the last fragment",
       ClientFrame(kText, R"({"command":"sub)") +
           ClientFrame(kFin | kContinuation, "scribe\xc3")},
  };
  for (const auto& [name, bytes] : cases) {
    SCOPED_TRACE(name);
    auto client = Must(Open(server));
    ASSERT_TRUE(client->Write(bytes).ok());
    ExpectCloseFrame(*client, 1007);
    ASSERT_TRUE(
        client->Write(ClientFrame(kFin | kClose, ClosePayload(1000))).ok());
    auto eof = client->ExpectEnd();
    EXPECT_TRUE(eof.ok()) << eof;
  }
}

TEST(WebSocket, SilentClientIsPingedThenDropped) {
  // With --ping_interval=100ms the idle period is at its floor, 10 s: a
  // protocol ping once the client has been silent for half of it, the cut
  // once it has been silent for all of it. The server counts from the
  // upgrade, a little before `silent_since`.
  auto server = StartServer({"--ping_interval=100ms"});
  auto client = Must(Open(server));
  const auto silent_since = Clock::now();
  absl::StatusOr<ServerFrame> frame;
  do {
    frame = client->ReadFrame();
  } while (frame.ok() && IsKeepalive(*frame) && frame->opcode != kPing);
  ASSERT_TRUE(frame.ok()) << frame.status();
  EXPECT_EQ(frame->opcode, kPing) << *frame;
  EXPECT_GE(Clock::now() - silent_since, std::chrono::milliseconds(4500));
  // The ping goes unanswered: the connection ends (reset, since the cut
  // drops what the kernel still holds), well before ReadFrame's timeout.
  absl::Status end;
  for (;;) {
    auto next = client->ReadFrame();
    if (!next.ok()) {
      end = next.status();
      break;
    }
  }
  EXPECT_FALSE(absl::IsDeadlineExceeded(end)) << end;
  EXPECT_GE(Clock::now() - silent_since, std::chrono::milliseconds(9500));
}

TEST(WebSocket, PipelinedMessagesAreAllAnswered) {
  // The server reads 512 bytes at a time: ~20 KB of frames in one write
  // means several frames per read, and frames (headers too) cut between
  // reads. Every fifth is over 125 bytes (a 16-bit length).
  constexpr int kCount = 200;
  auto server = StartServer({"--max_subscriptions=256"});
  auto client = Must(Open(server));
  std::vector<std::string> identifiers;
  std::string bytes;
  for (int i = 0; i < kCount; ++i) {
    identifiers.push_back(Room(
        absl::StrCat("room-", i, i % 5 == 0 ? std::string(100, 'p') : "")));
    bytes += ClientFrame(kFin | kText, SubscribeCommand(identifiers.back()));
  }
  ASSERT_TRUE(client->Write(bytes).ok());
  // Commands run one at a time, in order: so do their confirmations.
  for (const std::string& identifier : identifiers) {
    SCOPED_TRACE(identifier);
    ExpectConfirmed(*client, identifier);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace cable::testing
