#pragma once

// A WebSocket client with byte-level control, for tests that send what no
// well-behaved client would: hand-written frames (ClientFrame) over a raw
// TCP connection, the server's answers read frame by frame as they come.
// Every read and write is bounded by the client's timeout (a failure bound:
// nothing waits for time to pass). Writes never raise SIGPIPE.

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cable::testing {

// Frame header bits and opcodes (RFC 6455 section 5.2).
inline constexpr std::uint8_t kFin = 0x80;
inline constexpr std::uint8_t kRsv1 = 0x40;
inline constexpr std::uint8_t kRsv2 = 0x20;
inline constexpr std::uint8_t kRsv3 = 0x10;
inline constexpr std::uint8_t kContinuation = 0x0;
inline constexpr std::uint8_t kText = 0x1;
inline constexpr std::uint8_t kBinary = 0x2;
inline constexpr std::uint8_t kClose = 0x8;
inline constexpr std::uint8_t kPing = 0x9;
inline constexpr std::uint8_t kPong = 0xA;

// The masking key of RFC 6455's examples (section 5.7), and the
// Sec-WebSocket-Key of section 1.3 with its accept value.
inline constexpr std::array<std::uint8_t, 4> kMask = {0x37, 0xfa, 0x21, 0x3d};
inline constexpr char kRfcKey[] = "dGhlIHNhbXBsZSBub25jZQ==";
inline constexpr char kRfcAccept[] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

// A client frame: `first` is the first header byte (FIN, RSV and opcode
// bits); masked with kMask unless `masked` is false. The length takes the
// shortest of its three forms.
std::string ClientFrame(std::uint8_t first, absl::string_view payload,
                        bool masked = true);

// A close frame's payload: the code, big-endian, then the reason.
std::string ClosePayload(std::uint16_t code, absl::string_view reason = "");

struct HttpResponse {
  int status = 0;
  std::multimap<std::string, std::string> headers;  // names lower-cased

  // The value of header `name` (lower case); "<absent>" when missing.
  std::string header(const std::string& name) const;
};

// A frame as the server sent it (unmasked if it came masked).
struct ServerFrame {
  bool fin = false;
  std::uint8_t rsv = 0;  // the three RSV bits, in place
  std::uint8_t opcode = 0;
  bool masked = false;
  std::string payload;

  // A close frame's code (1005 when it has none) and reason.
  int close_code() const;
  std::string close_reason() const;
};

std::ostream& operator<<(std::ostream& os, const ServerFrame& frame);

// An Action Cable ping (every --ping_interval) or a protocol ping (to a
// client silent for long): what may come at any time.
bool IsKeepalive(const ServerFrame& frame);

class RawClient final {
 public:
  static absl::StatusOr<std::unique_ptr<RawClient>> Connect(
      int port, std::chrono::milliseconds timeout = std::chrono::seconds(10));

  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  ~RawClient();

  absl::Status Write(absl::string_view bytes);
  // Half-closes: the server reads the end of the stream.
  absl::Status ShutdownWrite();

  // The status line and headers of an HTTP response; what follows them
  // stays buffered.
  absl::StatusOr<HttpResponse> ReadHttpResponse();
  // The next frame, whatever it is.
  absl::StatusOr<ServerFrame> ReadFrame();
  // The next frame that is not a keepalive (IsKeepalive).
  absl::StatusOr<ServerFrame> ReadNonKeepalive();

  // OK once the server has ended the stream having sent nothing more
  // (keepalive frames aside, when `keepalives` is true). A reset counts as
  // an end only when `reset_is_an_end` is true.
  absl::Status ExpectEnd(bool keepalives = false, bool reset_is_an_end = false);

 private:
  RawClient(int fd, std::chrono::milliseconds timeout)
      : fd_(fd), timeout_(timeout) {}

  using Clock = std::chrono::steady_clock;
  absl::Status Wait(short events, Clock::time_point deadline);
  // One read into in_: OutOfRange at the end of the stream, Aborted when
  // the server reset the connection.
  absl::Status Fill(Clock::time_point deadline);
  // The first frame in in_ when it is all there.
  absl::StatusOr<std::optional<ServerFrame>> TakeFrame();

  int fd_;
  std::chrono::milliseconds timeout_;
  std::string in_;  // read, not yet consumed
};

}  // namespace cable::testing
