#include "cable/gateway/websocket.h"

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

namespace cable::gateway::ws {
namespace {

using Mask = std::array<std::uint8_t, 4>;

// The mask of the RFC's examples (section 5.7) and a few others: all zero
// (unmasking is then a no-op, so it alone would hide unmasking bugs) and
// one with every bit pattern different per byte.
constexpr Mask kRfcMask = {0x37, 0xFA, 0x21, 0x3D};
constexpr Mask kZeroMask = {0x00, 0x00, 0x00, 0x00};
constexpr Mask kOddMask = {0xFF, 0x01, 0xA5, 0x5A};

std::uint8_t Byte(const std::string& s, std::size_t i) {
  return static_cast<std::uint8_t>(s[i]);
}

// How the payload length is written in a hand-built frame.
enum class LengthForm { kMinimal, k7, k16, k64 };

// A frame as a client would send it, built independently of EncodeFrame.
// `b0` is the whole first byte (FIN, RSV and opcode); `mask` nullopt sends
// the frame unmasked; `declared` overrides the length in the header.
std::string RawFrame(std::uint8_t b0, absl::string_view payload,
                     std::optional<Mask> mask = kRfcMask,
                     LengthForm form = LengthForm::kMinimal,
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

std::uint8_t B0(Opcode opcode, bool fin = true) {
  return static_cast<std::uint8_t>((fin ? 0x80 : 0x00) |
                                   static_cast<std::uint8_t>(opcode));
}

// A well-formed masked client frame.
std::string Client(Opcode opcode, absl::string_view payload, bool fin = true,
                   Mask mask = kRfcMask) {
  return RawFrame(B0(opcode, fin), payload, mask);
}

std::string ClosePayload(std::uint16_t code, absl::string_view reason = "") {
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

void PrintTo(const Got& got, std::ostream* os) {
  *os << "{opcode " << static_cast<int>(got.opcode) << ", "
      << got.payload.size() << " bytes \""
      << absl::string_view(got.payload).substr(0, 40) << "\", close_code "
      << got.close_code << "}";
}

Got Message(Opcode opcode, absl::string_view payload) {
  return Got{opcode, std::string(payload), kCloseNoStatus};
}
Got Close(std::uint16_t code, absl::string_view reason = "") {
  return Got{Opcode::kClose, std::string(reason), code};
}

// A reader and everything it delivered.
struct Harness {
  explicit Harness(std::size_t max_message_bytes = 1 << 20)
      : reader(max_message_bytes) {}

  // Feeds a copy of `bytes` in one read.
  std::optional<Violation> feed(absl::string_view bytes) {
    std::vector<char> buffer(bytes.begin(), bytes.end());
    std::optional<Violation> v =
        reader.feed(absl::MakeSpan(buffer), [&](const Frame& frame) {
          got.push_back(
              Got{frame.opcode, std::string(frame.payload), frame.close_code});
        });
    if (v) violations.push_back(*v);
    return v;
  }

  // Feeds `bytes` in reads of the given sizes (the last one repeated until
  // everything is fed), going on after a violation; returns the first one.
  std::optional<Violation> feed_in_pieces(absl::string_view bytes,
                                          std::vector<std::size_t> sizes) {
    std::optional<Violation> first;
    std::size_t pos = 0;
    std::size_t i = 0;
    while (pos < bytes.size()) {
      const std::size_t n =
          std::min(sizes[std::min(i, sizes.size() - 1)], bytes.size() - pos);
      ++i;
      std::optional<Violation> v = feed(bytes.substr(pos, n));
      if (v && !first) first = std::move(v);
      pos += n;
    }
    return first;
  }

  Reader reader;
  std::vector<Got> got;
  std::vector<Violation> violations;  // every one reported, in order
};

std::string Repeat(absl::string_view unit, std::size_t n) {
  std::string out;
  while (out.size() < n) out.append(unit.data(), unit.size());
  out.resize(n);
  return out;
}

// Bytes 0..255 over and over: every byte value under every mask byte.
std::string Pattern(std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>(i * 7 + 3);
  return out;
}

// ---------------------------------------------------------------------------
// Encoding

TEST(WebSocketEncode, SevenBitLength) {
  const std::string empty = EncodeFrame(Opcode::kText, "");
  ASSERT_EQ(empty.size(), 2u);
  EXPECT_EQ(Byte(empty, 0), 0x81);
  EXPECT_EQ(Byte(empty, 1), 0x00);

  const std::string payload(125, 'x');
  const std::string frame = EncodeFrame(Opcode::kText, payload);
  ASSERT_EQ(frame.size(), 2u + 125);
  EXPECT_EQ(Byte(frame, 0), 0x81);
  EXPECT_EQ(Byte(frame, 1), 125);  // no mask bit: a server never masks
  EXPECT_EQ(frame.substr(2), payload);
}

TEST(WebSocketEncode, SixteenBitLength) {
  const std::string small = EncodeFrame(Opcode::kBinary, std::string(126, 'a'));
  ASSERT_EQ(small.size(), 4u + 126);
  EXPECT_EQ(Byte(small, 0), 0x82);
  EXPECT_EQ(Byte(small, 1), 126);
  EXPECT_EQ(Byte(small, 2), 0x00);
  EXPECT_EQ(Byte(small, 3), 126);

  const std::string payload = Pattern(65535);
  const std::string big = EncodeFrame(Opcode::kBinary, payload);
  ASSERT_EQ(big.size(), 4u + 65535);
  EXPECT_EQ(Byte(big, 1), 126);
  EXPECT_EQ(Byte(big, 2), 0xFF);
  EXPECT_EQ(Byte(big, 3), 0xFF);
  EXPECT_EQ(big.substr(4), payload);

  // Big-endian: 0x0102 = 258.
  const std::string mid = EncodeFrame(Opcode::kText, std::string(258, 'm'));
  EXPECT_EQ(Byte(mid, 2), 0x01);
  EXPECT_EQ(Byte(mid, 3), 0x02);
}

TEST(WebSocketEncode, SixtyFourBitLength) {
  const std::string payload = Pattern(65536);
  const std::string frame = EncodeFrame(Opcode::kBinary, payload);
  ASSERT_EQ(frame.size(), 10u + 65536);
  EXPECT_EQ(Byte(frame, 0), 0x82);
  EXPECT_EQ(Byte(frame, 1), 127);
  // 65536 = 0x00000000'00010000, big-endian.
  const std::uint8_t expected[8] = {0, 0, 0, 0, 0, 1, 0, 0};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(Byte(frame, 2 + i), expected[i]) << i;
  EXPECT_EQ(frame.substr(10), payload);

  // 0x00000000'00012345 = 74565.
  const std::string odd = EncodeFrame(Opcode::kText, std::string(74565, 'o'));
  EXPECT_EQ(Byte(odd, 7), 0x01);
  EXPECT_EQ(Byte(odd, 8), 0x23);
  EXPECT_EQ(Byte(odd, 9), 0x45);
}

TEST(WebSocketEncode, FinBitAndOpcode) {
  const std::pair<Opcode, std::uint8_t> cases[] = {
      {Opcode::kText, 0x81}, {Opcode::kBinary, 0x82}, {Opcode::kClose, 0x88},
      {Opcode::kPing, 0x89}, {Opcode::kPong, 0x8A},
  };
  for (const auto& [opcode, b0] : cases) {
    const std::string frame = EncodeFrame(opcode, "hi");
    EXPECT_EQ(Byte(frame, 0), b0);
    EXPECT_EQ(Byte(frame, 1), 2);  // unmasked
  }
}

TEST(WebSocketEncode, TextFrameIsATextFrame) {
  EXPECT_EQ(TextFrame("Hello"), std::string("\x81\x05Hello", 7));
  EXPECT_EQ(TextFrame("Hello"), EncodeFrame(Opcode::kText, "Hello"));
}

TEST(WebSocketEncode, FramePayloadRoundTrip) {
  for (std::size_t n :
       {0u, 1u, 5u, 125u, 126u, 127u, 1000u, 65535u, 65536u, 70000u}) {
    const std::string payload = Pattern(n);
    EXPECT_EQ(FramePayload(EncodeFrame(Opcode::kBinary, payload)), payload)
        << n;
    EXPECT_EQ(FramePayload(TextFrame(std::string(n, 't'))), std::string(n, 't'))
        << n;
  }
}

TEST(WebSocketEncode, FramePayloadOfATruncatedHeaderIsEmpty) {
  EXPECT_EQ(FramePayload(""), "");
  EXPECT_EQ(FramePayload("\x81"), "");
  EXPECT_EQ(FramePayload(absl::string_view("\x82\x7E\x01", 3)), "");
  EXPECT_EQ(FramePayload(absl::string_view("\x82\x7F\x00\x00\x00", 5)), "");
}

TEST(WebSocketEncode, CloseFrameCarriesCodeAndReason) {
  const std::string frame = CloseFrame(kCloseGoingAway, "bye");
  EXPECT_EQ(frame, std::string("\x88\x05\x03\xE9"
                               "bye",
                               7));
  EXPECT_EQ(FramePayload(frame), ClosePayload(1001, "bye"));

  const std::string no_reason = CloseFrame(4321, "");
  EXPECT_EQ(no_reason, std::string("\x88\x02\x10\xE1", 4));
}

TEST(WebSocketEncode, CloseFrameWithoutStatusIsEmpty) {
  EXPECT_EQ(CloseFrame(kCloseNoStatus, ""), std::string("\x88\x00", 2));
  EXPECT_EQ(CloseFrame(kCloseNoStatus, "ignored reason"),
            std::string("\x88\x00", 2));
}

TEST(WebSocketEncode, CloseReasonOfExactlyTheLimitIsKept) {
  const std::string reason(kMaxCloseReasonBytes, 'r');
  const std::string frame = CloseFrame(kCloseNormal, reason);
  EXPECT_EQ(frame.size(), 2u + 125);
  EXPECT_EQ(FramePayload(frame), ClosePayload(1000, reason));
}

TEST(WebSocketEncode, CloseReasonIsCutOnACharacterBoundary) {
  struct Case {
    std::string reason;
    std::size_t kept;  // bytes of the reason kept
  };
  const std::string e_acute = "\xC3\xA9";       // 2 bytes
  const std::string euro = "\xE2\x82\xAC";      // 3 bytes
  const std::string grin = "\xF0\x9F\x98\x80";  // 4 bytes
  const Case cases[] = {
      // ASCII: cut at exactly 123.
      {std::string(200, 'a'), 123},
      // A 2-byte character at 122..123 straddles the cut: dropped.
      {std::string(122, 'a') + e_acute + "tail", 122},
      // A 2-byte character ending exactly at 122: kept whole.
      {std::string(121, 'a') + e_acute + "tail", 123},
      // A 3-byte character at 121..123: dropped.
      {std::string(121, 'a') + euro + "tail", 121},
      // A 3-byte character at 122..124: dropped.
      {std::string(122, 'a') + euro, 122},
      // A 4-byte character at 120..123: dropped.
      {std::string(120, 'a') + grin + "tail", 120},
      // A 4-byte character at 121..124 and 122..125: dropped.
      {std::string(121, 'a') + grin, 121},
      {std::string(122, 'a') + grin, 122},
      // A character starting right at the cut: everything before it kept.
      {std::string(123, 'a') + grin, 123},
      // Multi-byte all the way: 41 euros are 123 bytes.
      {Repeat(euro, 60 * 3), 123},
      // 30 grins are 120 bytes; the 31st would end at 124.
      {Repeat(grin, 40 * 4), 120},
      // 61 e-acutes are 122 bytes; the 62nd would end at 124.
      {Repeat(e_acute, 70 * 2), 122},
  };
  for (const Case& c : cases) {
    const std::string frame = CloseFrame(kClosePolicyViolation, c.reason);
    const absl::string_view payload = FramePayload(frame);
    ASSERT_GE(payload.size(), 2u);
    EXPECT_EQ(payload.substr(0, 2), ClosePayload(1008).substr(0, 2));
    const absl::string_view reason = payload.substr(2);
    EXPECT_EQ(reason.size(), c.kept) << c.reason;
    EXPECT_EQ(reason, absl::string_view(c.reason).substr(0, c.kept));
    EXPECT_TRUE(ValidUtf8(reason)) << c.reason;
    EXPECT_LE(payload.size(), 125u);
    EXPECT_EQ(Byte(frame, 1), payload.size());
  }
}

// What the gateway sends, once masked as a client would, reads back.
TEST(WebSocketEncode, CloseFrameReadsBack) {
  const std::string reason = Repeat("\xE2\x82\xAC", 200);
  const std::string frame = CloseFrame(kCloseGoingAway, reason);
  Harness h;
  EXPECT_FALSE(h.feed(Client(Opcode::kClose, FramePayload(frame))));
  ASSERT_EQ(h.got.size(), 1u);
  EXPECT_EQ(h.got[0].close_code, kCloseGoingAway);
  EXPECT_EQ(h.got[0].payload, reason.substr(0, 123));
}

// ---------------------------------------------------------------------------
// Handshake

TEST(WebSocketHandshake, AcceptKeyOfTheRfcExample) {
  EXPECT_EQ(AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocketHandshake, AcceptKeyOfOtherKeys) {
  // Computed independently (Python: base64(sha1(key + GUID))).
  EXPECT_EQ(AcceptKey("x3JJHMbDL1EzLkh9GBhXDw=="),
            "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
  EXPECT_EQ(AcceptKey("AAAAAAAAAAAAAAAAAAAAAA=="),
            "ICX+Yqv66kxgM0FcWaLWlFLwTAI=");
  EXPECT_EQ(AcceptKey("dGhlIHNhbXBsZSBub25jZQ==").size(), 28u);
}

TEST(WebSocketHandshake, ValidKeyAcceptsSixteenBytesOfBase64) {
  EXPECT_TRUE(ValidKey("dGhlIHNhbXBsZSBub25jZQ=="));
  EXPECT_TRUE(ValidKey("x3JJHMbDL1EzLkh9GBhXDw=="));
  EXPECT_TRUE(ValidKey("AAAAAAAAAAAAAAAAAAAAAA=="));
  EXPECT_TRUE(ValidKey("/////////////////////w=="));
  EXPECT_TRUE(ValidKey("+++++++++++++++++++++w=="));
}

TEST(WebSocketHandshake, ValidKeyRejectsAWrongLength) {
  EXPECT_FALSE(ValidKey(""));
  EXPECT_FALSE(ValidKey("dGhlIHNhbXBsZSBub25jZQ="));    // 23
  EXPECT_FALSE(ValidKey("dGhlIHNhbXBsZSBub25jZQ"));     // 22, no padding
  EXPECT_FALSE(ValidKey("dGhlIHNhbXBsZSBub25jZQ==="));  // 25
  EXPECT_FALSE(ValidKey("dGhlIHNhbXBsZSBub25jZQ==dGhl"));
  EXPECT_FALSE(ValidKey("dGhl"));
}

TEST(WebSocketHandshake, ValidKeyRejectsWhatIsNotBase64) {
  EXPECT_FALSE(ValidKey("dGhlIHNhbXBsZSBub25jZQ=!"));
  EXPECT_FALSE(ValidKey("dGhlIHNhbXBsZSBub25j*Q=="));
  EXPECT_FALSE(ValidKey("dGhlIHNhbXBsZSBub25jZ%%="));
  EXPECT_FALSE(ValidKey("========================"));
  EXPECT_FALSE(ValidKey("dGhl=HNhbXBsZSBub25jZQ=="));  // padding inside
  EXPECT_FALSE(
      ValidKey(absl::string_view("dGhlIHNhbXBsZSBu\0\x32\x35jZQ==", 24)));
}

// absl::Base64Unescape alone is lenient (it skips whitespace and takes '.'
// as padding): none of these 24-character strings is RFC 4648 base64.
TEST(WebSocketHandshake, ValidKeyIsStrictBase64) {
  EXPECT_FALSE(ValidKey("dGhlIHNhbXBsZSBub25jZQ=."));
  EXPECT_FALSE(ValidKey("dGhlIHNhbXBsZSBub25jZQ.."));
  EXPECT_FALSE(ValidKey("dGhlIHNhbXBsZSBub25jZQ  "));
  EXPECT_FALSE(ValidKey("dGhlIHNhbXBsZSBub25jZQ\r\n"));
}

TEST(WebSocketHandshake, ValidKeyRejectsOtherThanSixteenBytes) {
  // 24 characters of valid base64 that decode to 18 and 17 bytes.
  EXPECT_FALSE(ValidKey("AAAAAAAAAAAAAAAAAAAAAAAA"));
  EXPECT_FALSE(ValidKey("dGhlIHNhbXBsZSBub25jZQAA"));
  EXPECT_FALSE(ValidKey("AAAAAAAAAAAAAAAAAAAAAAA="));
}

// ---------------------------------------------------------------------------
// UTF-8

TEST(WebSocketUtf8, ValidText) {
  EXPECT_TRUE(ValidUtf8(""));
  EXPECT_TRUE(ValidUtf8("plain ascii"));
  EXPECT_TRUE(ValidUtf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"));
  EXPECT_TRUE(ValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
  EXPECT_TRUE(ValidUtf8(absl::string_view("nul\0inside", 10)));
}

TEST(WebSocketUtf8, InvalidText) {
  EXPECT_FALSE(ValidUtf8("\xFF"));
  EXPECT_FALSE(ValidUtf8("\x80"));              // lone continuation
  EXPECT_FALSE(ValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(ValidUtf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(ValidUtf8("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(ValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(ValidUtf8("ok\xE2\x82"));        // truncated
  EXPECT_FALSE(ValidUtf8(std::string(100, 'a') + "\xC3"));
}

// ---------------------------------------------------------------------------
// Reader: well-formed input

// The helper agrees with the RFC's own example of a masked frame.
TEST(WebSocketReader, RfcMaskedHelloExample) {
  const std::string rfc("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11);
  EXPECT_EQ(Client(Opcode::kText, "Hello"), rfc);
  Harness h;
  EXPECT_FALSE(h.feed(rfc));
  EXPECT_EQ(h.got, std::vector<Got>{Message(Opcode::kText, "Hello")});
}

TEST(WebSocketReader, SingleTextMessageIsDeliveredWhole) {
  for (const Mask& mask : {kRfcMask, kZeroMask, kOddMask}) {
    Harness h;
    const std::string text = "Hello, \xE2\x82\xAC world! A longer message.";
    EXPECT_FALSE(h.feed(Client(Opcode::kText, text, true, mask)));
    EXPECT_EQ(h.got, std::vector<Got>{Message(Opcode::kText, text)});
  }
}

// A message that arrives whole in one read is handed over in place.
TEST(WebSocketReader, WholeMessageIsUnmaskedInPlace) {
  Reader reader(1 << 20);
  const std::string text = "in place, please";
  std::string bytes = Client(Opcode::kText, text, true, kOddMask);
  std::vector<char> buffer(bytes.begin(), bytes.end());
  int calls = 0;
  EXPECT_FALSE(reader.feed(absl::MakeSpan(buffer), [&](const Frame& frame) {
    ++calls;
    EXPECT_EQ(frame.opcode, Opcode::kText);
    EXPECT_EQ(frame.payload, text);
    EXPECT_EQ(frame.payload.data(), buffer.data() + 6);
  }));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(absl::string_view(buffer.data() + 6, text.size()), text);
}

// A stream covering most of the reader's paths.
std::string MixedStream() {
  std::string s;
  s += Client(Opcode::kText, "first \xF0\x9F\x98\x80 message", true, kOddMask);
  s += Client(Opcode::kBinary, Pattern(300), true, kRfcMask);  // 16-bit
  s += Client(Opcode::kText, "", true, kOddMask);
  s += Client(Opcode::kText, "frag-one \xE2\x82", false, kOddMask);
  s += Client(Opcode::kPing, "are you there", true, kRfcMask);
  s += Client(Opcode::kContinuation, "\xAC frag-two ", false, kZeroMask);
  s += Client(Opcode::kContinuation, "", false, kOddMask);
  s += Client(Opcode::kPong, "", true, kOddMask);
  s += Client(Opcode::kContinuation, "frag-three", true, kRfcMask);
  s += Client(Opcode::kBinary, Pattern(37), false, kOddMask);
  s += Client(Opcode::kContinuation, Pattern(129), true, kRfcMask);
  s += Client(Opcode::kClose, ClosePayload(1000, "done \xC3\xA9"), true,
              kOddMask);
  return s;
}

std::vector<Got> MixedExpected() {
  return {
      Message(Opcode::kText, "first \xF0\x9F\x98\x80 message"),
      Message(Opcode::kBinary, Pattern(300)),
      Message(Opcode::kText, ""),
      Message(Opcode::kPing, "are you there"),
      Message(Opcode::kPong, ""),
      Message(Opcode::kText, "frag-one \xE2\x82\xAC frag-two frag-three"),
      Message(Opcode::kBinary, Pattern(37) + Pattern(129)),
      Close(1000, "done \xC3\xA9"),
  };
}

TEST(WebSocketReader, SeveralFramesInOneFeed) {
  Harness h;
  EXPECT_FALSE(h.feed(MixedStream()));
  EXPECT_EQ(h.got, MixedExpected());
}

TEST(WebSocketReader, OneByteAtATime) {
  Harness h;
  EXPECT_FALSE(h.feed_in_pieces(MixedStream(), {1}));
  EXPECT_EQ(h.got, MixedExpected());
}

TEST(WebSocketReader, EverySplitPointGivesTheSameResult) {
  const std::string stream = MixedStream();
  const std::vector<Got> expected = MixedExpected();
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    Harness h;
    EXPECT_FALSE(h.feed_in_pieces(stream, {cut, stream.size()}));
    ASSERT_EQ(h.got, expected) << "cut at " << cut;
  }
}

TEST(WebSocketReader, VariousReadSizes) {
  const std::string stream = MixedStream();
  for (std::size_t size : {2u, 3u, 5u, 7u, 8u, 9u, 13u, 64u, 100u}) {
    Harness h;
    EXPECT_FALSE(h.feed_in_pieces(stream, {size}));
    EXPECT_EQ(h.got, MixedExpected()) << size;
  }
}

TEST(WebSocketReader, EmptyFeedDoesNothing) {
  Harness h;
  EXPECT_FALSE(h.feed(""));
  const std::string frame = Client(Opcode::kText, "abc");
  EXPECT_FALSE(h.feed(frame.substr(0, 3)));
  EXPECT_FALSE(h.feed(""));
  EXPECT_FALSE(h.feed(frame.substr(3, 4)));
  EXPECT_FALSE(h.feed(""));
  EXPECT_TRUE(h.got.empty());
  EXPECT_FALSE(h.feed(frame.substr(7)));
  EXPECT_EQ(h.got, std::vector<Got>{Message(Opcode::kText, "abc")});
}

TEST(WebSocketReader, HeaderSplitAcrossFeeds) {
  // 16-bit length: header of 8 bytes; 64-bit: 14 bytes.
  for (std::size_t n : {10u, 200u, 70000u}) {
    const std::string text = Repeat("split \xE2\x82\xAC ", n);
    const std::string frame = Client(Opcode::kText, text, true, kOddMask);
    const std::size_t header = n < 126 ? 6 : n <= 0xFFFF ? 8 : 14;
    for (std::size_t cut = 1; cut <= header; ++cut) {
      Harness h;
      EXPECT_FALSE(h.feed(frame.substr(0, cut)));
      EXPECT_TRUE(h.got.empty());
      EXPECT_FALSE(h.feed(frame.substr(cut)));
      EXPECT_EQ(h.got, std::vector<Got>{Message(Opcode::kText, text)})
          << "n " << n << " cut " << cut;
    }
    // Header in single bytes, then the payload at once.
    Harness h;
    EXPECT_FALSE(h.feed_in_pieces(frame.substr(0, header), {1}));
    EXPECT_FALSE(h.feed(frame.substr(header)));
    EXPECT_EQ(h.got, std::vector<Got>{Message(Opcode::kText, text)});
  }
}

TEST(WebSocketReader, SixteenBitLengths) {
  for (std::size_t n : {126u, 127u, 1000u, 65535u}) {
    const std::string payload = Pattern(n);
    const std::string frame = Client(Opcode::kBinary, payload, true, kOddMask);
    ASSERT_EQ(Byte(frame, 1), 0x80 | 126);
    Harness h;
    EXPECT_FALSE(h.feed(frame));
    EXPECT_EQ(h.got, std::vector<Got>{Message(Opcode::kBinary, payload)}) << n;
  }
}

TEST(WebSocketReader, SixtyFourBitLengths) {
  for (std::size_t n : {65536u, 65537u, 200001u}) {
    const std::string payload = Pattern(n);
    const std::string frame = Client(Opcode::kBinary, payload, true, kOddMask);
    ASSERT_EQ(Byte(frame, 1), 0x80 | 127);
    Harness whole;
    EXPECT_FALSE(whole.feed(frame));
    EXPECT_EQ(whole.got, std::vector<Got>{Message(Opcode::kBinary, payload)});
    // Reads that cut the payload at every offset modulo the mask and word.
    for (std::size_t size : {1001u, 4093u, 16384u}) {
      Harness h;
      EXPECT_FALSE(h.feed_in_pieces(frame, {size}));
      EXPECT_EQ(h.got, std::vector<Got>{Message(Opcode::kBinary, payload)})
          << n << " in reads of " << size;
    }
  }
}

TEST(WebSocketReader, FragmentedMessageIsJoined) {
  Harness h;
  EXPECT_FALSE(h.feed(Client(Opcode::kText, "Hel", false)));
  EXPECT_TRUE(h.got.empty());
  EXPECT_FALSE(h.feed(Client(Opcode::kContinuation, "lo, ", false, kOddMask)));
  EXPECT_TRUE(h.got.empty());
  EXPECT_FALSE(h.feed(Client(Opcode::kContinuation, "world", true, kZeroMask)));
  EXPECT_EQ(h.got, std::vector<Got>{Message(Opcode::kText, "Hello, world")});

  // And the reader is ready for the next message.
  EXPECT_FALSE(h.feed(Client(Opcode::kText, "next")));
  EXPECT_EQ(h.got.back(), Message(Opcode::kText, "next"));
}

TEST(WebSocketReader, PingBetweenFragmentsIsDeliveredInOrder) {
  Harness h;
  const std::string stream = Client(Opcode::kText, "one ", false) +
                             Client(Opcode::kPing, "ping!", true, kOddMask) +
                             Client(Opcode::kContinuation, "two ", false) +
                             Client(Opcode::kPong, "pong", true, kOddMask) +
                             Client(Opcode::kContinuation, "three", true);
  EXPECT_FALSE(h.feed(stream));
  const std::vector<Got> expected = {
      Message(Opcode::kPing, "ping!"),
      Message(Opcode::kPong, "pong"),
      Message(Opcode::kText, "one two three"),
  };
  EXPECT_EQ(h.got, expected);
}

TEST(WebSocketReader, CloseBetweenFragmentsIsDelivered) {
  Harness h;
  EXPECT_FALSE(h.feed(Client(Opcode::kBinary, "part", false) +
                      Client(Opcode::kClose, ClosePayload(1001, "away"))));
  EXPECT_EQ(h.got, std::vector<Got>{Close(1001, "away")});
}

TEST(WebSocketReader, ZeroLengthTextMessage) {
  Harness h;
  EXPECT_FALSE(h.feed(Client(Opcode::kText, "")));
  EXPECT_EQ(h.got, std::vector<Got>{Message(Opcode::kText, "")});
  // Also as the header alone in one read, in pieces, and fragmented.
  EXPECT_FALSE(h.feed_in_pieces(Client(Opcode::kText, ""), {1}));
  EXPECT_FALSE(h.feed(Client(Opcode::kText, "", false) +
                      Client(Opcode::kContinuation, "", true)));
  EXPECT_EQ(h.got, std::vector<Got>(3, Message(Opcode::kText, "")));
}

TEST(WebSocketReader, BinaryOpcodeIsPreserved) {
  Harness h;
  const std::string payload("\x00\xFF\xC0\x80 not utf-8", 13);
  EXPECT_FALSE(h.feed(Client(Opcode::kBinary, payload, true, kOddMask)));
  EXPECT_FALSE(h.feed(Client(Opcode::kBinary, "\xFF", false) +
                      Client(Opcode::kContinuation, "\xFE", true)));
  const std::vector<Got> expected = {
      Message(Opcode::kBinary, payload),
      Message(Opcode::kBinary, "\xFF\xFE"),
  };
  EXPECT_EQ(h.got, expected);
}

TEST(WebSocketReader, ControlFramesOfUpTo125Bytes) {
  Harness h;
  const std::string payload = Pattern(125);
  EXPECT_FALSE(h.feed(Client(Opcode::kPing, payload, true, kOddMask)));
  EXPECT_FALSE(h.feed_in_pieces(Client(Opcode::kPong, payload), {3}));
  const std::vector<Got> expected = {
      Message(Opcode::kPing, payload),
      Message(Opcode::kPong, payload),
  };
  EXPECT_EQ(h.got, expected);
}

TEST(WebSocketReader, CloseFrameWithCodeAndReason) {
  Harness h;
  EXPECT_FALSE(h.feed(Client(
      Opcode::kClose, ClosePayload(1000, "bye \xE2\x82\xAC"), true, kOddMask)));
  EXPECT_EQ(h.got, std::vector<Got>{Close(1000, "bye \xE2\x82\xAC")});
}

TEST(WebSocketReader, CloseFrameWithCodeOnly) {
  Harness h;
  EXPECT_FALSE(h.feed(Client(Opcode::kClose, ClosePayload(1001))));
  EXPECT_EQ(h.got, std::vector<Got>{Close(1001)});
}

TEST(WebSocketReader, CloseFrameWithoutPayloadHasNoStatus) {
  Harness h;
  EXPECT_FALSE(h.feed(Client(Opcode::kClose, "")));
  ASSERT_EQ(h.got.size(), 1u);
  EXPECT_EQ(h.got[0].opcode, Opcode::kClose);
  EXPECT_EQ(h.got[0].close_code, kCloseNoStatus);
  EXPECT_EQ(h.got[0].payload, "");
}

TEST(WebSocketReader, CloseFrameSplitOverReads) {
  Harness h;
  const std::string frame = Client(
      Opcode::kClose, ClosePayload(3000, "split reason"), true, kOddMask);
  EXPECT_FALSE(h.feed_in_pieces(frame, {1}));
  EXPECT_EQ(h.got, std::vector<Got>{Close(3000, "split reason")});
}

TEST(WebSocketReader, ValidCloseCodes) {
  for (std::uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010,
                             1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999}) {
    Harness h;
    EXPECT_FALSE(h.feed(Client(Opcode::kClose, ClosePayload(code, "r"))))
        << code;
    EXPECT_EQ(h.got, std::vector<Got>{Close(code, "r")}) << code;
  }
}

TEST(WebSocketReader, MessageOfExactlyTheLimit) {
  Harness h(100);
  EXPECT_FALSE(h.feed(Client(Opcode::kText, std::string(100, 'x'))));
  EXPECT_FALSE(h.feed(Client(Opcode::kText, std::string(60, 'y'), false) +
                      Client(Opcode::kContinuation, std::string(40, 'y'))));
  // Control frames are not messages: not counted against the limit.
  Harness tiny(0);
  EXPECT_FALSE(tiny.feed(Client(Opcode::kPing, "ping")));
  EXPECT_FALSE(tiny.feed(Client(Opcode::kText, "")));
  const std::vector<Got> expected = {
      Message(Opcode::kText, std::string(100, 'x')),
      Message(Opcode::kText, std::string(100, 'y')),
  };
  EXPECT_EQ(h.got, expected);
  EXPECT_EQ(tiny.got.size(), 2u);
}

// Big messages one after another: the reader's buffer is reused or given
// back without losing anything.
TEST(WebSocketReader, LargeMessagesInARow) {
  Harness h;
  std::string stream;
  std::vector<Got> expected;
  for (std::size_t n : {10000u, 5u, 70000u, 3u}) {
    const std::string text = Repeat("abc\xC3\xA9", n);
    stream += Client(Opcode::kText, text.substr(0, n / 2), false, kOddMask);
    stream += Client(Opcode::kContinuation, text.substr(n / 2), true);
    expected.push_back(Message(Opcode::kText, text));
  }
  EXPECT_FALSE(h.feed_in_pieces(stream, {4096}));
  EXPECT_EQ(h.got, expected);
}

// ---------------------------------------------------------------------------
// Reader: violations
//
// Two kinds (see Violation in websocket.h): a framing error (1002) ends the
// stream, the reader failed for good; a message too big (1009) or whose
// text is not UTF-8 (1007) is dropped and the reader goes on, so that the
// client's close frame can still be read.

constexpr std::size_t kNoLimit = std::size_t{1} << 20;

// After `prefix` (whose frames give `before`), `bytes` break a rule that
// ends the stream: `code` is returned once, nothing from `bytes` on is
// delivered, in the same read or later, and nothing more is reported.
void ExpectFatal(absl::string_view bytes, std::uint16_t code,
                 absl::string_view prefix = "", std::vector<Got> before = {},
                 std::size_t max_message_bytes = kNoLimit) {
  SCOPED_TRACE(testing::Message() << "expecting " << code);
  for (bool byte_at_a_time : {false, true}) {
    SCOPED_TRACE(byte_at_a_time ? "byte at a time" : "in one read");
    Harness h(max_message_bytes);
    const std::string all =
        absl::StrCat(prefix, bytes, Client(Opcode::kText, "same read"),
                     Client(Opcode::kClose, ClosePayload(1000)));
    const std::optional<Violation> v =
        byte_at_a_time ? h.feed_in_pieces(all, {1}) : h.feed(all);
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->code, code) << v->reason;
    EXPECT_EQ(v->framing(), code == kCloseProtocolError);
    EXPECT_FALSE(v->reason.empty());
    EXPECT_EQ(h.violations.size(), 1u);
    EXPECT_EQ(h.got, before);

    // Failed for good: good frames are ignored, nothing is reported again.
    EXPECT_FALSE(h.feed(Client(Opcode::kText, "after")));
    EXPECT_FALSE(h.feed(Client(Opcode::kPing, "after")));
    EXPECT_FALSE(h.feed(Client(Opcode::kClose, ClosePayload(1000))));
    EXPECT_FALSE(h.feed(bytes));
    EXPECT_EQ(h.got, before);
    EXPECT_EQ(h.violations.size(), 1u);
  }
}

void ExpectFramingError(absl::string_view bytes, absl::string_view prefix = "",
                        std::vector<Got> before = {}) {
  ExpectFatal(bytes, kCloseProtocolError, prefix, std::move(before));
}

// After `prefix` (whose frames give `before`), `bytes` end a message that
// breaks `code` but not the framing: the message is dropped, `code`
// returned once, and what follows is read as usual: a ping and a message in
// the same read, the client's close frame in the next.
void ExpectMessageDropped(absl::string_view bytes, std::uint16_t code,
                          std::size_t max_message_bytes = kNoLimit,
                          absl::string_view prefix = "",
                          std::vector<Got> before = {}) {
  SCOPED_TRACE(testing::Message() << "expecting " << code);
  for (bool byte_at_a_time : {false, true}) {
    SCOPED_TRACE(byte_at_a_time ? "byte at a time" : "in one read");
    Harness h(max_message_bytes);
    const std::string all =
        absl::StrCat(prefix, bytes, Client(Opcode::kPing, "next"),
                     Client(Opcode::kText, "next message", true, kOddMask));
    const std::optional<Violation> v =
        byte_at_a_time ? h.feed_in_pieces(all, {1}) : h.feed(all);
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->code, code) << v->reason;
    EXPECT_FALSE(v->framing());
    EXPECT_FALSE(v->reason.empty());
    EXPECT_EQ(h.violations.size(), 1u);
    std::vector<Got> expected = before;
    expected.push_back(Message(Opcode::kPing, "next"));
    expected.push_back(Message(Opcode::kText, "next message"));
    EXPECT_EQ(h.got, expected);

    EXPECT_FALSE(h.feed(Client(Opcode::kClose, ClosePayload(1001, "bye"))));
    expected.push_back(Close(1001, "bye"));
    EXPECT_EQ(h.got, expected);
    EXPECT_EQ(h.violations.size(), 1u);
  }
}

TEST(WebSocketViolation, UnmaskedFrame) {
  ExpectFramingError(RawFrame(0x81, "hello", std::nullopt));
  ExpectFramingError(RawFrame(0x89, "", std::nullopt));
  ExpectFramingError(RawFrame(0x82, Pattern(300), std::nullopt));
  // What a server sends is not what a client may send.
  ExpectFramingError(TextFrame("from a server"));
}

TEST(WebSocketViolation, ReservedBits) {
  for (std::uint8_t rsv : {0x40, 0x20, 0x10, 0x70}) {
    SCOPED_TRACE(testing::Message() << "rsv " << int{rsv});
    ExpectFramingError(RawFrame(0x81 | rsv, "rsv"));
    ExpectFramingError(RawFrame(0x89 | rsv, ""));
    ExpectFramingError(RawFrame(0x00 | rsv, "rsv"),
                       Client(Opcode::kText, "a", false));
  }
}

TEST(WebSocketViolation, UnknownOpcode) {
  for (std::uint8_t op : {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    SCOPED_TRACE(testing::Message() << "opcode " << int{op});
    ExpectFramingError(RawFrame(0x80 | op, "x"));
    ExpectFramingError(RawFrame(op, ""));
  }
}

TEST(WebSocketViolation, FragmentedControlFrame) {
  ExpectFramingError(RawFrame(B0(Opcode::kPing, false), "p"));
  ExpectFramingError(RawFrame(B0(Opcode::kPong, false), ""));
  ExpectFramingError(RawFrame(B0(Opcode::kClose, false), ClosePayload(1000)));
}

TEST(WebSocketViolation, ControlFrameOver125Bytes) {
  ExpectFramingError(Client(Opcode::kPing, std::string(126, 'p')));
  ExpectFramingError(Client(Opcode::kPong, std::string(1000, 'p')));
  ExpectFramingError(
      Client(Opcode::kClose, ClosePayload(1000, std::string(124, 'r'))));
  ExpectFramingError(Client(Opcode::kPing, std::string(70000, 'p')));
}

TEST(WebSocketViolation, ContinuationWithoutAMessage) {
  ExpectFramingError(Client(Opcode::kContinuation, "orphan"));
  ExpectFramingError(Client(Opcode::kContinuation, "orphan", false));
  ExpectFramingError(Client(Opcode::kContinuation, ""));
  // Also right after a message that ended.
  ExpectFramingError(Client(Opcode::kContinuation, "late"),
                     Client(Opcode::kText, "a", false) +
                         Client(Opcode::kContinuation, "b", true),
                     {Message(Opcode::kText, "ab")});
  ExpectFramingError(Client(Opcode::kContinuation, "late"),
                     Client(Opcode::kBinary, "whole"),
                     {Message(Opcode::kBinary, "whole")});
}

TEST(WebSocketViolation, NewMessageInsideAFragmentedOne) {
  const std::string start = Client(Opcode::kText, "start", false);
  ExpectFramingError(Client(Opcode::kText, "again"), start);
  ExpectFramingError(Client(Opcode::kText, "again", false), start);
  ExpectFramingError(Client(Opcode::kBinary, "again"), start);
  // A control frame in between does not end the message.
  ExpectFramingError(Client(Opcode::kText, "again"),
                     start + Client(Opcode::kPing, "p"),
                     {Message(Opcode::kPing, "p")});
}

TEST(WebSocketViolation, NonMinimalLength) {
  ExpectFramingError(
      RawFrame(0x81, std::string(125, 'x'), kRfcMask, LengthForm::k16));
  ExpectFramingError(RawFrame(0x81, "", kRfcMask, LengthForm::k16));
  ExpectFramingError(
      RawFrame(0x82, std::string(65535, 'x'), kRfcMask, LengthForm::k64));
  ExpectFramingError(RawFrame(0x82, "abc", kRfcMask, LengthForm::k64));
  ExpectFramingError(RawFrame(0x89, "", kRfcMask, LengthForm::k16));
  // The boundaries themselves are fine.
  Harness h;
  EXPECT_FALSE(
      h.feed(RawFrame(0x81, std::string(126, 'x'), kRfcMask, LengthForm::k16)));
  EXPECT_FALSE(h.feed(
      RawFrame(0x82, std::string(65536, 'x'), kRfcMask, LengthForm::k64)));
  EXPECT_EQ(h.got.size(), 2u);
}

TEST(WebSocketViolation, LengthWithTheTopBitSet) {
  for (std::uint64_t length : {std::uint64_t{1} << 63, ~std::uint64_t{0}}) {
    Harness h;
    const std::optional<Violation> v =
        h.feed(RawFrame(0x82, "", kRfcMask, LengthForm::k64, length));
    ASSERT_TRUE(v);
    EXPECT_EQ(v->code, kCloseProtocolError);
    EXPECT_FALSE(h.feed(Client(Opcode::kText, "after")));
    EXPECT_TRUE(h.got.empty());
  }
}

TEST(WebSocketViolation, MessageTooBigInOneFrame) {
  ExpectMessageDropped(Client(Opcode::kText, std::string(101, 'x')),
                       kCloseTooBig, 100);
  ExpectMessageDropped(Client(Opcode::kBinary, Pattern(70000), true, kOddMask),
                       kCloseTooBig, 65536);
  // After messages that were fine.
  ExpectMessageDropped(Client(Opcode::kText, std::string(101, 'x')),
                       kCloseTooBig, 100,
                       Client(Opcode::kText, std::string(100, 'a')),
                       {Message(Opcode::kText, std::string(100, 'a'))});
  // A limit of 0 allows only empty messages.
  Harness none(0);
  EXPECT_EQ(none.feed(Client(Opcode::kBinary, "1"))->code, kCloseTooBig);
  EXPECT_FALSE(none.feed(Client(Opcode::kBinary, "")));
  EXPECT_EQ(none.got, std::vector<Got>{Message(Opcode::kBinary, "")});
}

// Known from the header alone: the payload need not arrive first.
TEST(WebSocketViolation, MessageTooBigIsReportedFromTheHeader) {
  Harness h(1000);
  const std::string header =
      RawFrame(0x82, "", kRfcMask, LengthForm::k64, std::uint64_t{1} << 40);
  ASSERT_EQ(header.size(), 14u);
  const std::optional<Violation> v = h.feed(header);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->code, kCloseTooBig);
  EXPECT_FALSE(v->framing());
  // The payload then streams through without being kept or reported.
  for (int i = 0; i < 16; ++i) {
    EXPECT_FALSE(h.feed(std::string(64 * 1024, 'z')));
  }
  EXPECT_TRUE(h.got.empty());
  EXPECT_EQ(h.violations.size(), 1u);
}

TEST(WebSocketViolation, MessageTooBigAcrossFragments) {
  const std::string start =
      Client(Opcode::kText, std::string(60, 'a'), false) +
      Client(Opcode::kContinuation, std::string(30, 'b'), false);
  // The fragment that goes over is the last one.
  ExpectMessageDropped(Client(Opcode::kContinuation, std::string(11, 'c')),
                       kCloseTooBig, 100, start);
  // More fragments follow it: dropped too, with no further violation.
  ExpectMessageDropped(
      Client(Opcode::kContinuation, std::string(11, 'c'), false) +
          Client(Opcode::kContinuation, std::string(500, 'd'), false) +
          Client(Opcode::kContinuation, "end", true),
      kCloseTooBig, 100, start);
  // The first fragment alone is too big.
  ExpectMessageDropped(Client(Opcode::kBinary, std::string(101, 'x'), false) +
                           Client(Opcode::kContinuation, "y", true),
                       kCloseTooBig, 100);
  // Exactly the limit is reached, then one byte more.
  ExpectMessageDropped(
      Client(Opcode::kContinuation, std::string(10, 'c'), false) +
          Client(Opcode::kContinuation, "!", true),
      kCloseTooBig, 100, start);
}

TEST(WebSocketViolation, ControlFramesInsideADroppedMessageAreDelivered) {
  Harness h(100);
  const std::optional<Violation> v =
      h.feed(Client(Opcode::kText, std::string(80, 'a'), false) +
             Client(Opcode::kContinuation, std::string(80, 'b'), false) +
             Client(Opcode::kPing, "inside", true, kOddMask) +
             Client(Opcode::kContinuation, std::string(80, 'c'), true) +
             Client(Opcode::kText, std::string(100, 'n')));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->code, kCloseTooBig);
  const std::vector<Got> expected = {
      Message(Opcode::kPing, "inside"),
      Message(Opcode::kText, std::string(100, 'n')),
  };
  EXPECT_EQ(h.got, expected);
  // A continuation after the dropped message ended is still an error.
  EXPECT_EQ(h.feed(Client(Opcode::kContinuation, "x"))->code,
            kCloseProtocolError);
}

TEST(WebSocketViolation, InvalidUtf8Text) {
  for (const char* bad : {"\xFF", "abc\xC0\xAF", "\xED\xA0\x80",
                          "\xF4\x90\x80\x80", "truncated \xE2\x82"}) {
    ExpectMessageDropped(Client(Opcode::kText, bad, true, kOddMask),
                         kCloseInvalidPayload);
  }
  // In a fragmented message: bad as a whole.
  ExpectMessageDropped(Client(Opcode::kContinuation, "\xFF end"),
                       kCloseInvalidPayload, kNoLimit,
                       Client(Opcode::kText, "fine ", false));
  // A character left unfinished by the message's last fragment.
  ExpectMessageDropped(Client(Opcode::kContinuation, "\xE2\x82"),
                       kCloseInvalidPayload, kNoLimit,
                       Client(Opcode::kText, "fine ", false));
  // A 16-bit-length text with one bad byte at the end.
  ExpectMessageDropped(Client(Opcode::kText, std::string(300, 'a') + "\x80"),
                       kCloseInvalidPayload);
}

TEST(WebSocketViolation, CharacterSplitAcrossFragmentsIsValid) {
  Harness h;
  EXPECT_FALSE(h.feed(Client(Opcode::kText, "\xF0\x9F", false) +
                      Client(Opcode::kContinuation, "\x98", false) +
                      Client(Opcode::kContinuation, "\x80", true)));
  EXPECT_EQ(h.got,
            std::vector<Got>{Message(Opcode::kText, "\xF0\x9F\x98\x80")});
}

// Each read reports the first violation in it; later reads report theirs.
TEST(WebSocketViolation, FirstViolationOfAReadIsReturned) {
  Harness h(100);
  const std::optional<Violation> v =
      h.feed(Client(Opcode::kText, std::string(101, 'x')) +
             Client(Opcode::kText, "ok") + Client(Opcode::kText, "\xFF"));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->code, kCloseTooBig);
  EXPECT_EQ(h.got, std::vector<Got>{Message(Opcode::kText, "ok")});
  EXPECT_EQ(h.feed(Client(Opcode::kText, "\xC3"))->code, kCloseInvalidPayload);
  EXPECT_FALSE(h.feed(Client(Opcode::kText, "ok")));
  EXPECT_EQ(h.got.size(), 2u);
}

TEST(WebSocketViolation, CloseFrameOfOneByte) {
  ExpectFramingError(Client(Opcode::kClose, "\x03"));
}

TEST(WebSocketViolation, InvalidCloseCode) {
  for (std::uint16_t code : {0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100,
                             2000, 2999, 5000, 65535}) {
    SCOPED_TRACE(testing::Message() << "close code " << code);
    ExpectFramingError(Client(Opcode::kClose, ClosePayload(code)));
    ExpectFramingError(Client(Opcode::kClose, ClosePayload(code, "why")));
  }
}

// The client is closing anyway: the reader reports 1007 and reads no more.
TEST(WebSocketViolation, CloseReasonNotUtf8) {
  ExpectFatal(Client(Opcode::kClose, ClosePayload(1000, "\xFF")),
              kCloseInvalidPayload);
  ExpectFatal(Client(Opcode::kClose, ClosePayload(4000, "bad \xC3")),
              kCloseInvalidPayload);
  ExpectFatal(Client(Opcode::kClose, ClosePayload(1000, "\xED\xBF\xBF")),
              kCloseInvalidPayload);
}

// The frames before a broken one are delivered; nothing after it is.
TEST(WebSocketViolation, FramesBeforeAFramingErrorAreDelivered) {
  ExpectFramingError(
      RawFrame(0x81, "unmasked", std::nullopt),
      Client(Opcode::kText, "one") + Client(Opcode::kPing, "two"),
      {Message(Opcode::kText, "one"), Message(Opcode::kPing, "two")});
  ExpectFramingError(Client(Opcode::kContinuation, "x"),
                     Client(Opcode::kText, "one"),
                     {Message(Opcode::kText, "one")});
}

// A framing error in the same read after a dropped message wins: the
// caller must not wait for a close frame the failed reader cannot deliver.
TEST(WebSocketViolation, FramingErrorAfterADroppedMessage) {
  Harness h(10);
  const std::optional<Violation> v =
      h.feed(Client(Opcode::kText, std::string(11, 'x')) +
             RawFrame(0x81, "unmasked", std::nullopt));
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->framing());
  EXPECT_EQ(v->code, kCloseProtocolError);
}

}  // namespace
}  // namespace cable::gateway::ws
