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

// The example of RFC 6455 section 1.3.
constexpr char kRfcKey[] = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr char kRfcAccept[] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

// Frame header bits and opcodes (RFC 6455 section 5.2).
constexpr std::uint8_t kFin = 0x80;
constexpr std::uint8_t kRsv1 = 0x40;
constexpr std::uint8_t kRsv3 = 0x10;
constexpr std::uint8_t kContinuation = 0x0;
constexpr std::uint8_t kText = 0x1;
constexpr std::uint8_t kClose = 0x8;
constexpr std::uint8_t kPing = 0x9;
constexpr std::uint8_t kPong = 0xA;

// The masking key of the RFC's examples (section 5.7).
constexpr std::array<std::uint8_t, 4> kMask = {0x37, 0xfa, 0x21, 0x3d};

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

// A client frame: `first` is the first header byte (FIN, RSV and opcode
// bits); masked with kMask unless `masked` is false. The length takes the
// shortest of its three forms.
std::string ClientFrame(std::uint8_t first, absl::string_view payload,
                        bool masked = true) {
  const std::uint64_t n = payload.size();
  const std::uint8_t mask_bit = masked ? 0x80 : 0x00;
  std::string out;
  out.push_back(static_cast<char>(first));
  if (n < 126) {
    out.push_back(static_cast<char>(mask_bit | n));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>((n >> shift) & 0xFF));
    }
  }
  if (!masked) return absl::StrCat(out, payload);
  for (std::uint8_t b : kMask) out.push_back(static_cast<char>(b));
  for (std::size_t i = 0; i < payload.size(); ++i) {
    out.push_back(static_cast<char>(payload[i] ^ kMask[i % 4]));
  }
  return out;
}

std::string ClosePayload(std::uint16_t code, absl::string_view reason = "") {
  std::string out;
  out.push_back(static_cast<char>(code >> 8));
  out.push_back(static_cast<char>(code & 0xFF));
  return absl::StrCat(out, reason);
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

struct HttpResponse {
  int status = 0;
  std::multimap<std::string, std::string> headers;  // names lower-cased

  // The value of header `name` (lower case); "<absent>" when missing.
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "<absent>" : it->second;
  }
};

// A frame as the server sent it.
struct ServerFrame {
  bool fin = false;
  std::uint8_t rsv = 0;  // the three RSV bits, in place
  std::uint8_t opcode = 0;
  bool masked = false;
  std::string payload;

  int close_code() const {
    if (payload.size() < 2) return 1005;
    return (static_cast<std::uint8_t>(payload[0]) << 8) |
           static_cast<std::uint8_t>(payload[1]);
  }
};

std::ostream& operator<<(std::ostream& os, const ServerFrame& f) {
  return os << "frame{fin=" << f.fin << " rsv=" << int{f.rsv}
            << " opcode=" << int{f.opcode} << " masked=" << f.masked
            << " payload=\"" << absl::CHexEscape(f.payload.substr(0, 200))
            << "\"}";
}

// Action Cable's keepalive, {"type":"ping",...} in a text frame.
bool IsCablePing(const ServerFrame& frame) {
  if (frame.opcode != kText) return false;
  auto parsed = json::parse(frame.payload, nullptr, false);
  return parsed.is_object() && parsed.value("type", "") == "ping";
}

// A TCP connection to the server with byte-level control. Every read is
// bounded by kTimeout.
class RawClient {
 public:
  static absl::StatusOr<std::unique_ptr<RawClient>> Connect(int port) {
    std::unique_ptr<RawClient> client(new RawClient);
    boost::system::error_code ec;
    client->socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"),
                                          static_cast<unsigned short>(port)),
                            ec);
    if (ec) return absl::UnavailableError("connect: " + ec.message());
    // Small writes go out as they are made (one byte at a time, below).
    client->socket_.set_option(tcp::no_delay(true), ec);
    client->socket_.non_blocking(true, ec);
    if (ec) return absl::InternalError("non_blocking: " + ec.message());
    return client;
  }

  absl::Status Write(absl::string_view bytes) {
    const auto deadline = Clock::now() + kTimeout;
    while (!bytes.empty()) {
      boost::system::error_code ec;
      const std::size_t n =
          socket_.write_some(net::buffer(bytes.data(), bytes.size()), ec);
      if (ec == net::error::would_block || ec == net::error::try_again) {
        if (auto s = Wait(POLLOUT, deadline); !s.ok()) return s;
        continue;
      }
      if (ec) return absl::UnavailableError("write: " + ec.message());
      bytes.remove_prefix(n);
    }
    return absl::OkStatus();
  }

  // Reads the status line and headers of an HTTP response; what follows
  // them stays buffered.
  absl::StatusOr<HttpResponse> ReadHttpResponse() {
    const auto deadline = Clock::now() + kTimeout;
    std::size_t end;
    while ((end = in_.find("\r\n\r\n")) == std::string::npos) {
      if (auto s = Fill(deadline); !s.ok()) return s;
    }
    const std::string head = in_.substr(0, end);
    in_.erase(0, end + 4);
    std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
    std::vector<absl::string_view> status_line =
        absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
    HttpResponse response;
    if (status_line.size() < 2 || status_line[0] != "HTTP/1.1" ||
        !absl::SimpleAtoi(status_line[1], &response.status)) {
      return absl::DataLossError(absl::StrCat("bad status line: ", lines[0]));
    }
    for (std::size_t i = 1; i < lines.size(); ++i) {
      const auto colon = lines[i].find(':');
      if (colon == absl::string_view::npos) {
        return absl::DataLossError(absl::StrCat("bad header: ", lines[i]));
      }
      response.headers.emplace(
          absl::AsciiStrToLower(lines[i].substr(0, colon)),
          std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1))));
    }
    return response;
  }

  // The next frame, whatever it is.
  absl::StatusOr<ServerFrame> ReadFrame() {
    const auto deadline = Clock::now() + kTimeout;
    auto need = [&](std::size_t n) -> absl::Status {
      while (in_.size() < n) {
        if (auto s = Fill(deadline); !s.ok()) return s;
      }
      return absl::OkStatus();
    };
    if (auto s = need(2); !s.ok()) return s;
    ServerFrame frame;
    const auto b0 = static_cast<std::uint8_t>(in_[0]);
    const auto b1 = static_cast<std::uint8_t>(in_[1]);
    frame.fin = (b0 & 0x80) != 0;
    frame.rsv = b0 & 0x70;
    frame.opcode = b0 & 0x0F;
    frame.masked = (b1 & 0x80) != 0;
    const std::uint8_t len7 = b1 & 0x7F;
    const std::size_t extended = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    const std::size_t header = 2 + extended + (frame.masked ? 4 : 0);
    if (auto s = need(header); !s.ok()) return s;
    std::uint64_t length = len7;
    if (extended > 0) {
      length = 0;
      for (std::size_t i = 0; i < extended; ++i) {
        length = (length << 8) | static_cast<std::uint8_t>(in_[2 + i]);
      }
    }
    if (length > (64u << 20)) {
      return absl::DataLossError(absl::StrCat("frame of ", length, " bytes"));
    }
    if (auto s = need(header + length); !s.ok()) return s;
    frame.payload = in_.substr(header, length);
    if (frame.masked) {
      for (std::size_t i = 0; i < frame.payload.size(); ++i) {
        frame.payload[i] =
            static_cast<char>(frame.payload[i] ^ in_[2 + extended + i % 4]);
      }
    }
    in_.erase(0, header + length);
    return frame;
  }

  // The next frame that is not a keepalive: an Action Cable ping (every
  // --ping_interval) or a protocol ping (to a client silent for long).
  absl::StatusOr<ServerFrame> ReadNonPing() {
    for (;;) {
      auto frame = ReadFrame();
      if (!frame.ok()) return frame;
      if (!IsCablePing(*frame) && frame->opcode != kPing) return frame;
    }
  }

  // OK once the server has closed the connection (end of stream) with
  // nothing more sent; an error if bytes or a reset come instead.
  absl::Status ExpectEof() {
    const auto deadline = Clock::now() + kTimeout;
    for (;;) {
      if (!in_.empty()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "bytes instead of end of stream: ", absl::CHexEscape(in_)));
      }
      absl::Status s = Fill(deadline);
      if (absl::IsOutOfRange(s)) return absl::OkStatus();
      if (!s.ok()) return s;
    }
  }

 private:
  RawClient() : socket_(ioc_) {}

  absl::Status Wait(short events, Clock::time_point deadline) {
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - Clock::now());
      if (left.count() <= 0) return absl::DeadlineExceededError("timed out");
      pollfd pfd{socket_.native_handle(), events, 0};
      const int n = ::poll(&pfd, 1, static_cast<int>(left.count()));
      if (n > 0) return absl::OkStatus();
      if (n < 0 && errno != EINTR) return absl::InternalError("poll");
    }
  }

  // One read into in_. OutOfRange at the end of the stream.
  absl::Status Fill(Clock::time_point deadline) {
    for (;;) {
      char buf[16384];
      boost::system::error_code ec;
      const std::size_t n = socket_.read_some(net::buffer(buf), ec);
      if (ec == net::error::would_block || ec == net::error::try_again) {
        if (auto s = Wait(POLLIN, deadline); !s.ok()) return s;
        continue;
      }
      if (ec == net::error::eof) return absl::OutOfRangeError("end of stream");
      if (ec) return absl::UnavailableError("read: " + ec.message());
      in_.append(buf, n);
      return absl::OkStatus();
    }
  }

  net::io_context ioc_;
  tcp::socket socket_;
  std::string in_;  // read, not yet consumed
};

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
  auto welcome = (*client)->ReadNonPing();
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
  auto frame = client.ReadNonPing();
  ASSERT_TRUE(frame.ok()) << frame.status();
  EXPECT_EQ(frame->opcode, kClose) << *frame;
  EXPECT_TRUE(frame->fin) << *frame;
  EXPECT_FALSE(frame->masked) << *frame;
  EXPECT_EQ(frame->close_code(), code) << *frame;
}

// Reads frames until confirm_subscription for `identifier`, checking that
// the server echoed the identifier byte for byte.
void ExpectConfirmed(RawClient& client, const std::string& identifier) {
  auto frame = client.ReadNonPing();
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
  auto welcome = client->ReadNonPing();
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
  const std::string upgrade = UpgradeRequest(kRfcKey, "13", "actioncable-v1-json");
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
  ASSERT_TRUE(client->Write(absl::StrCat("GET /cable?user=caf%C3%A9&n=\xC3\xA9",
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
    auto pong = client->ReadNonPing();
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
  auto pong = client->ReadNonPing();
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
  auto eof = client->ExpectEof();
  EXPECT_TRUE(eof.ok()) << eof;
}

TEST(WebSocket, CloseWithoutACodeIsAnsweredWith1000) {
  auto server = StartServer();
  auto client = Must(Open(server));
  ASSERT_TRUE(client->Write(ClientFrame(kFin | kClose, "")).ok());
  ExpectCloseFrame(*client, 1000);
  auto eof = client->ExpectEof();
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
  auto eof = client->ExpectEof();
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
    auto eof = client->ExpectEof();
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
    auto eof = client->ExpectEof();
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
  auto eof = client->ExpectEof();
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
    auto eof = client->ExpectEof();
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
  } while (frame.ok() && IsCablePing(*frame));
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
