#pragma once
// What the WebSocket tests (websocket_*_test.cc) share: frames built by
// hand, independently of EncodeFrame, and a Harness that feeds a Reader
// and keeps what it delivered.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "cable/gateway/websocket.h"

namespace cable::gateway::ws::websocket_testing {

using Mask = std::array<std::uint8_t, 4>;

// The mask of the RFC's examples (section 5.7) and a few others: all zero
// (unmasking is then a no-op, so it alone would hide unmasking bugs) and
// one with every bit pattern different per byte.
constexpr Mask kRfcMask = {0x37, 0xFA, 0x21, 0x3D};
constexpr Mask kZeroMask = {0x00, 0x00, 0x00, 0x00};
constexpr Mask kOddMask = {0xFF, 0x01, 0xA5, 0x5A};

inline std::uint8_t Byte(const std::string& s, std::size_t i) {
  return static_cast<std::uint8_t>(s[i]);
}

// How the payload length is written in a hand-built frame.
enum class LengthForm { kMinimal, k7, k16, k64 };

// A frame as a client would send it, built independently of EncodeFrame.
// `b0` is the whole first byte (FIN, RSV and opcode); `mask` nullopt sends
// the frame unmasked; `declared` overrides the length in the header.
inline std::string RawFrame(
    std::uint8_t b0, absl::string_view payload,
    std::optional<Mask> mask = kRfcMask, LengthForm form = LengthForm::kMinimal,
    std::optional<std::uint64_t> declared = std::nullopt) {
  const std::uint64_t n = declared.value_or(payload.size());
  if (form == LengthForm::kMinimal) {
    form = n < 126       ? LengthForm::k7
           : n <= 0xFFFF ? LengthForm::k16
                         : LengthForm::k64;
  }
  const std::uint8_t mask_bit = mask ? 0x80 : 0x00;
  std::string out;
  out.push_back(static_cast<char>(b0));
  switch (form) {
    case LengthForm::k7:
      out.push_back(static_cast<char>(mask_bit | n));
      break;
    case LengthForm::k16:
      out.push_back(static_cast<char>(mask_bit | 126));
      out.push_back(static_cast<char>((n >> 8) & 0xFF));
      out.push_back(static_cast<char>(n & 0xFF));
      break;
    case LengthForm::k64:
    case LengthForm::kMinimal:
      out.push_back(static_cast<char>(mask_bit | 127));
      for (int shift = 56; shift >= 0; shift -= 8) {
        out.push_back(static_cast<char>((n >> shift) & 0xFF));
      }
      break;
  }
  if (mask) {
    for (std::uint8_t b : *mask) out.push_back(static_cast<char>(b));
  }
  for (std::size_t i = 0; i < payload.size(); ++i) {
    const std::uint8_t key = mask ? (*mask)[i % 4] : 0;
    out.push_back(
        static_cast<char>(static_cast<std::uint8_t>(payload[i]) ^ key));
  }
  return out;
}

inline std::uint8_t B0(Opcode opcode, bool fin = true) {
  return static_cast<std::uint8_t>((fin ? 0x80 : 0x00) |
                                   static_cast<std::uint8_t>(opcode));
}

// A well-formed masked client frame.
inline std::string Client(Opcode opcode, absl::string_view payload,
                          bool fin = true, Mask mask = kRfcMask) {
  return RawFrame(B0(opcode, fin), payload, mask);
}

inline std::string ClosePayload(std::uint16_t code,
                                absl::string_view reason = "") {
  std::string out;
  out.push_back(static_cast<char>(code >> 8));
  out.push_back(static_cast<char>(code & 0xFF));
  out.append(reason.data(), reason.size());
  return out;
}

// What the reader handed over, copied out of the views.
struct Got {
  Opcode opcode;
  std::string payload;
  std::uint16_t close_code;

  bool operator==(const Got&) const = default;
};

inline void PrintTo(const Got& got, std::ostream* os) {
  *os << "{opcode " << static_cast<int>(got.opcode) << ", "
      << got.payload.size() << " bytes \""
      << absl::string_view(got.payload).substr(0, 40) << "\", close_code "
      << got.close_code << "}";
}

inline Got Message(Opcode opcode, absl::string_view payload) {
  return Got{opcode, std::string(payload), kCloseNoStatus};
}
inline Got Close(std::uint16_t code, absl::string_view reason = "") {
  return Got{Opcode::kClose, std::string(reason), code};
}

// A reader and everything it delivered.
struct Harness {
  explicit Harness(std::size_t max_message_bytes = 1 << 20)
      : reader(max_message_bytes) {}

  // Feeds a copy of `bytes` in one read.
  std::optional<Violation> Feed(absl::string_view bytes) {
    std::vector<char> buffer(bytes.begin(), bytes.end());
    std::optional<Violation> v =
        reader.Feed(absl::MakeSpan(buffer), [&](const Frame& frame) {
          got.push_back(
              Got{frame.opcode, std::string(frame.payload), frame.close_code});
        });
    if (v) violations.push_back(*v);
    return v;
  }

  // Feeds `bytes` in reads of the given sizes (the last one repeated until
  // everything is fed), going on after a violation; returns the first one.
  std::optional<Violation> FeedInPieces(absl::string_view bytes,
                                        std::vector<std::size_t> sizes) {
    std::optional<Violation> first;
    std::size_t pos = 0;
    std::size_t i = 0;
    while (pos < bytes.size()) {
      const std::size_t n =
          std::min(sizes[std::min(i, sizes.size() - 1)], bytes.size() - pos);
      ++i;
      std::optional<Violation> v = Feed(bytes.substr(pos, n));
      if (v && !first) first = std::move(v);
      pos += n;
    }
    return first;
  }

  Reader reader;
  std::vector<Got> got;
  std::vector<Violation> violations;  // every one reported, in order
};

inline std::string Repeat(absl::string_view unit, std::size_t n) {
  std::string out;
  while (out.size() < n) out.append(unit.data(), unit.size());
  out.resize(n);
  return out;
}

// Bytes 0..255 over and over: every byte value under every mask byte.
inline std::string Pattern(std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>(i * 7 + 3);
  return out;
}

}  // namespace cable::gateway::ws::websocket_testing
