// Fuzzes the WebSocket reader (gateway/include/cable/gateway/websocket.h):
// what a client sends, cut into reads at fuzzer-chosen points.
//
// Input: byte 0 picks the message size limit, byte 1 seeds where reads are
// cut; the rest is the client's byte stream.
//
// Invariants:
// - cutting the stream differently changes nothing: the same frames, the
//   same framing failure;
// - after a framing error nothing more is read or delivered;
// - a delivered text message is UTF-8, a data message is within the limit,
//   a control frame at most 125 bytes, a close code one a peer may send;
// - every delivered frame, encoded again (masked, as a client would, and
//   unmasked, as the gateway does), reads back the same; FramePayload
//   finds the payload of what EncodeFrame made; CloseFrame's reason is cut
//   on a character boundary.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cable/gateway/websocket.h"
#include "fuzz_support.h"

namespace ws = cable::gateway::ws;

namespace {

struct Seen {
  ws::Opcode opcode;
  std::string payload;
  std::uint16_t close_code;
  bool operator==(const Seen&) const = default;
};

struct Outcome {
  std::vector<Seen> frames;
  bool framing_error = false;
};

// A client's frame: FIN set, masked with `mask`.
std::string ClientFrame(ws::Opcode opcode, absl::string_view payload,
                        std::uint32_t mask) {
  std::string unmasked = ws::EncodeFrame(opcode, payload);
  const std::size_t header = unmasked.size() - payload.size();
  std::string out = unmasked.substr(0, header);
  out[1] = static_cast<char>(out[1] | 0x80);
  const char key[4] = {static_cast<char>(mask >> 24),
                       static_cast<char>(mask >> 16),
                       static_cast<char>(mask >> 8), static_cast<char>(mask)};
  out.append(key, 4);
  for (std::size_t i = 0; i < payload.size(); ++i) {
    out.push_back(static_cast<char>(payload[i] ^ key[i % 4]));
  }
  return out;
}

// Reads `stream` cut into pieces at the points `seed` picks (none: whole).
Outcome Read(std::size_t limit, std::string stream, std::uint8_t seed,
             bool cut) {
  ws::Reader reader(limit);
  Outcome out;
  std::size_t pos = 0;
  std::uint32_t state = seed * 2654435761u + 1;
  do {
    std::size_t n = stream.size() - pos;
    if (cut) {
      state = state * 1103515245u + 12345u;
      // Mostly small reads (every split point of headers), sometimes large.
      const std::size_t want =
          (state >> 16) % 8 == 0 ? (state >> 8) % 4096 : (state >> 16) % 16;
      n = std::min(n, want + 1);
    }
    const bool failed_before = out.framing_error;
    const std::size_t frames_before = out.frames.size();
    auto violation = reader.Feed(
        absl::MakeSpan(stream.data() + pos, n), [&](const ws::Frame& f) {
          out.frames.push_back(
              Seen{f.opcode, std::string(f.payload), f.close_code});
        });
    if (failed_before) {
      FUZZ_CHECK(!violation && out.frames.size() == frames_before,
                 "a reader failed by a framing error reads on");
    }
    if (violation) {
      FUZZ_CHECK(violation->reason.size() <= ws::kMaxCloseReasonBytes,
                 "violation reason too long for a close frame");
      if (violation->framing()) out.framing_error = true;
    }
    pos += n;
  } while (pos < stream.size());
  return out;
}

void CheckFrame(const Seen& f, std::size_t limit) {
  switch (f.opcode) {
    case ws::Opcode::kText:
      FUZZ_CHECK(ws::ValidUtf8(f.payload), "text message not UTF-8");
      [[fallthrough]];
    case ws::Opcode::kBinary:
      FUZZ_CHECK(f.payload.size() <= limit, "message over the limit");
      break;
    case ws::Opcode::kClose:
      FUZZ_CHECK(f.payload.size() <= 123, "close reason too long");
      FUZZ_CHECK(f.close_code == ws::kCloseNoStatus ||
                     (f.close_code >= 1000 && f.close_code != 1004 &&
                      f.close_code != 1005 && f.close_code != 1006),
                 "close code a peer may not send");
      FUZZ_CHECK(ws::ValidUtf8(f.payload), "close reason not UTF-8");
      break;
    case ws::Opcode::kPing:
    case ws::Opcode::kPong:
      FUZZ_CHECK(f.payload.size() <= 125, "control frame too long");
      break;
    case ws::Opcode::kContinuation:
      FUZZ_CHECK(false, "a continuation delivered as a frame");
  }
}

// Encodes `f` again as a client would and reads it back.
void CheckReencoded(const Seen& f, std::size_t limit, std::uint32_t mask) {
  std::string payload = f.payload;
  if (f.opcode == ws::Opcode::kClose && f.close_code != ws::kCloseNoStatus) {
    payload = ws::CloseFrame(f.close_code, f.payload);
    FUZZ_CHECK(ws::FramePayload(payload).size() >= 2,
               "close frame lost its code");
    payload = std::string(ws::FramePayload(payload));
  }
  const std::string server = ws::EncodeFrame(f.opcode, payload);
  FUZZ_CHECK(ws::FramePayload(server) == payload,
             "FramePayload does not find EncodeFrame's payload");
  Outcome again = Read(limit, ClientFrame(f.opcode, payload, mask), 0, false);
  FUZZ_CHECK(
      !again.framing_error && again.frames.size() == 1 && again.frames[0] == f,
      "a delivered frame encoded again reads back differently");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  cable::fuzz::Input in(data, size);
  const std::uint8_t limit_pick = in.Byte();
  const std::uint8_t seed = in.Byte();
  // Small limits reach "too big" quickly; 64 KiB is the gateway's default.
  const std::size_t limit =
      limit_pick < 128 ? limit_pick : (limit_pick < 192 ? 64 * 1024 : 1024);
  const std::string stream(in.rest());

  const Outcome whole = Read(limit, stream, seed, false);
  const Outcome pieces = Read(limit, stream, seed, true);
  FUZZ_CHECK(whole.frames == pieces.frames,
             "frames depend on how the stream was cut");
  FUZZ_CHECK(whole.framing_error == pieces.framing_error,
             "a framing error depends on how the stream was cut");
  const std::uint32_t mask = seed * 0x01010101u ^ 0x5A3C96E1u;
  for (const Seen& f : whole.frames) {
    CheckFrame(f, limit);
    CheckReencoded(f, limit, mask);
  }

  // CloseFrame cuts a long reason on a UTF-8 boundary.
  if (ws::ValidUtf8(stream)) {
    const std::string close = ws::CloseFrame(ws::kCloseNormal, stream);
    const absl::string_view reason = ws::FramePayload(close).substr(2);
    FUZZ_CHECK(reason.size() <= ws::kMaxCloseReasonBytes &&
                   ws::ValidUtf8(reason) &&
                   absl::string_view(stream).substr(0, reason.size()) == reason,
               "CloseFrame's reason is not a UTF-8 prefix of the reason");
  }
  return 0;
}
