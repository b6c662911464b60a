// WebSocket encoding, the opening handshake's key, and UTF-8 validation
// (helpers in websocket_fixture.h).

#include "tests/gateway/websocket_fixture.h"

namespace cable::gateway::ws::websocket_testing {
namespace {

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
  EXPECT_FALSE(h.Feed(Client(Opcode::kClose, FramePayload(frame))));
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

}  // namespace
}  // namespace cable::gateway::ws::websocket_testing
