#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

// RFC 6455 for the server side of a WebSocket, without I/O. Frames the
// gateway sends are encoded once and shared by every socket they go to (a
// server's frames are not masked, so the bytes are the same for everyone);
// what a client sends is parsed incrementally, every rule of the RFC
// checked. No extension is negotiated, so no deflate.
namespace cable::gateway::ws {

enum class Opcode : std::uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// Close codes (RFC 6455 section 7.4.1).
inline constexpr std::uint16_t kCloseNormal = 1000;
inline constexpr std::uint16_t kCloseGoingAway = 1001;
inline constexpr std::uint16_t kCloseProtocolError = 1002;
inline constexpr std::uint16_t kCloseUnsupportedData = 1003;
inline constexpr std::uint16_t kCloseNoStatus = 1005;
inline constexpr std::uint16_t kCloseInvalidPayload = 1007;
inline constexpr std::uint16_t kClosePolicyViolation = 1008;
inline constexpr std::uint16_t kCloseTooBig = 1009;
inline constexpr std::uint16_t kCloseInternalError = 1011;

// Largest close reason: a control frame's payload is at most 125 bytes,
// two of which carry the code.
inline constexpr std::size_t kMaxCloseReasonBytes = 123;

// One unfragmented frame, header and payload, as it goes on the wire.
std::string EncodeFrame(Opcode opcode, absl::string_view payload);
inline std::string TextFrame(absl::string_view text) {
  return EncodeFrame(Opcode::kText, text);
}
// A close frame carrying `code` and `reason`, the reason cut to
// kMaxCloseReasonBytes on a UTF-8 character boundary. Code 1005 (no
// status) gives an empty close frame.
std::string CloseFrame(std::uint16_t code, absl::string_view reason);

// The payload of an encoded frame (skips the header). For tests and logs.
absl::string_view FramePayload(absl::string_view frame);

// The handshake (RFC 6455 section 4.2): whether a Sec-WebSocket-Key is the
// base64 of 16 bytes, and the Sec-WebSocket-Accept answering it.
bool ValidKey(absl::string_view key);
std::string AcceptKey(absl::string_view key);

bool ValidUtf8(absl::string_view text);

// What a client sent: a whole message (text or binary, its fragments
// joined) or a control frame. For kClose, `close_code` is the code sent
// (kCloseNoStatus if none) and `payload` the reason.
struct Frame {
  Opcode opcode;
  absl::string_view payload;
  std::uint16_t close_code = kCloseNoStatus;
};

// A broken rule: the connection must close with `code` and `reason`.
// After a framing error (1002) nothing more can be read from the stream;
// after a message too big (1009) or not UTF-8 (1007) the reader skips that
// message and goes on, so the client's close frame is still seen.
struct Violation {
  std::uint16_t code;
  std::string reason;
  bool framing() const { return code == 1002; }
};

// Incremental parser of what one client sends. Only a frame header split
// over two reads is buffered here (at most 14 bytes) and a message split
// over several reads or frames; a message that arrives whole in one read is
// handed over in place, unmasked, without a copy.
class Reader final {
 public:
  explicit Reader(std::size_t max_message_bytes)
      : max_message_bytes_(max_message_bytes) {}

  // Parses `data` (unmasking it in place), calling `on` for every complete
  // message and control frame in order. The views passed to `on` are valid
  // only during the call. Returns the first broken rule in `data`, or the
  // framing error if one followed it; after a framing error the reader
  // stays failed and ignores what follows.
  std::optional<Violation> Feed(absl::Span<char> data,
                                absl::FunctionRef<void(const Frame&)> on);

 private:
  std::optional<Violation> StartFrame();
  std::optional<Violation> FinishFrame(absl::FunctionRef<void(const Frame&)> on,
                                       absl::string_view in_place);
  // A framing error: nothing more is read.
  std::optional<Violation> Fail(std::string reason);
  // A message that cannot be delivered: the rest of it is skipped.
  std::optional<Violation> Skip(std::uint16_t code, std::string reason);

  const std::size_t max_message_bytes_;
  bool failed_ = false;
  // The header being gathered (2 to 14 bytes).
  std::array<std::uint8_t, 14> header_{};
  std::size_t header_len_ = 0;
  // The frame whose payload is being read.
  bool in_frame_ = false;
  Opcode opcode_ = Opcode::kContinuation;
  bool fin_ = false;
  std::uint64_t length_ = 0;
  std::uint64_t remaining_ = 0;
  std::array<std::uint8_t, 4> mask_{};
  // A message whose fragments (or one frame's reads) are being joined.
  bool in_message_ = false;
  // The message is being skipped (too big).
  bool skipping_ = false;
  Opcode message_opcode_ = Opcode::kText;
  std::string message_;
  // A control frame's payload split over reads (at most 125 bytes).
  std::string control_;
};

}  // namespace cable::gateway::ws
