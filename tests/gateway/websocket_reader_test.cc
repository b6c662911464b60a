// The WebSocket Reader on well-formed input (helpers in
// websocket_fixture.h).

#include "tests/gateway/websocket_fixture.h"

namespace cable::gateway::ws::websocket_testing {
namespace {

// ---------------------------------------------------------------------------
// Reader: well-formed input

// The helper agrees with the RFC's own example of a masked frame.
TEST(WebSocketReader, RfcMaskedHelloExample) {
  const std::string rfc("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11);
  EXPECT_EQ(Client(Opcode::kText, "Hello"), rfc);
  Harness h;
  EXPECT_FALSE(h.Feed(rfc));
  EXPECT_EQ(h.got, std::vector<Got>{Message(Opcode::kText, "Hello")});
}

TEST(WebSocketReader, SingleTextMessageIsDeliveredWhole) {
  for (const Mask& mask : {kRfcMask, kZeroMask, kOddMask}) {
    Harness h;
    const std::string text = "Hello, \xE2\x82\xAC world! A longer message.";
    EXPECT_FALSE(h.Feed(Client(Opcode::kText, text, true, mask)));
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
  EXPECT_FALSE(reader.Feed(absl::MakeSpan(buffer), [&](const Frame& frame) {
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
  EXPECT_FALSE(h.Feed(MixedStream()));
  EXPECT_EQ(h.got, MixedExpected());
}

TEST(WebSocketReader, OneByteAtATime) {
  Harness h;
  EXPECT_FALSE(h.FeedInPieces(MixedStream(), {1}));
  EXPECT_EQ(h.got, MixedExpected());
}

TEST(WebSocketReader, EverySplitPointGivesTheSameResult) {
  const std::string stream = MixedStream();
  const std::vector<Got> expected = MixedExpected();
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    Harness h;
    EXPECT_FALSE(h.FeedInPieces(stream, {cut, stream.size()}));
    ASSERT_EQ(h.got, expected) << "cut at " << cut;
  }
}

TEST(WebSocketReader, VariousReadSizes) {
  const std::string stream = MixedStream();
  for (std::size_t size : {2u, 3u, 5u, 7u, 8u, 9u, 13u, 64u, 100u}) {
    Harness h;
    EXPECT_FALSE(h.FeedInPieces(stream, {size}));
    EXPECT_EQ(h.got, MixedExpected()) << size;
  }
}

TEST(WebSocketReader, EmptyFeedDoesNothing) {
  Harness h;
  EXPECT_FALSE(h.Feed(""));
  const std::string frame = Client(Opcode::kText, "abc");
  EXPECT_FALSE(h.Feed(frame.substr(0, 3)));
  EXPECT_FALSE(h.Feed(""));
  EXPECT_FALSE(h.Feed(frame.substr(3, 4)));
  EXPECT_FALSE(h.Feed(""));
  EXPECT_TRUE(h.got.empty());
  EXPECT_FALSE(h.Feed(frame.substr(7)));
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
      EXPECT_FALSE(h.Feed(frame.substr(0, cut)));
      EXPECT_TRUE(h.got.empty());
      EXPECT_FALSE(h.Feed(frame.substr(cut)));
      EXPECT_EQ(h.got, std::vector<Got>{Message(Opcode::kText, text)})
          << "n " << n << " cut " << cut;
    }
    // Header in single bytes, then the payload at once.
    Harness h;
    EXPECT_FALSE(h.FeedInPieces(frame.substr(0, header), {1}));
    EXPECT_FALSE(h.Feed(frame.substr(header)));
    EXPECT_EQ(h.got, std::vector<Got>{Message(Opcode::kText, text)});
  }
}

TEST(WebSocketReader, SixteenBitLengths) {
  for (std::size_t n : {126u, 127u, 1000u, 65535u}) {
    const std::string payload = Pattern(n);
    const std::string frame = Client(Opcode::kBinary, payload, true, kOddMask);
    ASSERT_EQ(Byte(frame, 1), 0x80 | 126);
    Harness h;
    EXPECT_FALSE(h.Feed(frame));
    EXPECT_EQ(h.got, std::vector<Got>{Message(Opcode::kBinary, payload)}) << n;
  }
}

TEST(WebSocketReader, SixtyFourBitLengths) {
  for (std::size_t n : {65536u, 65537u, 200001u}) {
    const std::string payload = Pattern(n);
    const std::string frame = Client(Opcode::kBinary, payload, true, kOddMask);
    ASSERT_EQ(Byte(frame, 1), 0x80 | 127);
    Harness whole;
    EXPECT_FALSE(whole.Feed(frame));
    EXPECT_EQ(whole.got, std::vector<Got>{Message(Opcode::kBinary, payload)});
    // Reads that cut the payload at every offset modulo the mask and word.
    for (std::size_t size : {1001u, 4093u, 16384u}) {
      Harness h;
      EXPECT_FALSE(h.FeedInPieces(frame, {size}));
      EXPECT_EQ(h.got, std::vector<Got>{Message(Opcode::kBinary, payload)})
          << n << " in reads of " << size;
    }
  }
}

TEST(WebSocketReader, FragmentedMessageIsJoined) {
  Harness h;
  EXPECT_FALSE(h.Feed(Client(Opcode::kText, "Hel", false)));
  EXPECT_TRUE(h.got.empty());
  EXPECT_FALSE(h.Feed(Client(Opcode::kContinuation, "lo, ", false, kOddMask)));
  EXPECT_TRUE(h.got.empty());
  EXPECT_FALSE(h.Feed(Client(Opcode::kContinuation, "world", true, kZeroMask)));
  EXPECT_EQ(h.got, std::vector<Got>{Message(Opcode::kText, "Hello, world")});

  // And the reader is ready for the next message.
  EXPECT_FALSE(h.Feed(Client(Opcode::kText, "next")));
  EXPECT_EQ(h.got.back(), Message(Opcode::kText, "next"));
}

TEST(WebSocketReader, PingBetweenFragmentsIsDeliveredInOrder) {
  Harness h;
  const std::string stream = Client(Opcode::kText, "one ", false) +
                             Client(Opcode::kPing, "ping!", true, kOddMask) +
                             Client(Opcode::kContinuation, "two ", false) +
                             Client(Opcode::kPong, "pong", true, kOddMask) +
                             Client(Opcode::kContinuation, "three", true);
  EXPECT_FALSE(h.Feed(stream));
  const std::vector<Got> expected = {
      Message(Opcode::kPing, "ping!"),
      Message(Opcode::kPong, "pong"),
      Message(Opcode::kText, "one two three"),
  };
  EXPECT_EQ(h.got, expected);
}

TEST(WebSocketReader, CloseBetweenFragmentsIsDelivered) {
  Harness h;
  EXPECT_FALSE(h.Feed(Client(Opcode::kBinary, "part", false) +
                      Client(Opcode::kClose, ClosePayload(1001, "away"))));
  EXPECT_EQ(h.got, std::vector<Got>{Close(1001, "away")});
}

TEST(WebSocketReader, ZeroLengthTextMessage) {
  Harness h;
  EXPECT_FALSE(h.Feed(Client(Opcode::kText, "")));
  EXPECT_EQ(h.got, std::vector<Got>{Message(Opcode::kText, "")});
  // Also as the header alone in one read, in pieces, and fragmented.
  EXPECT_FALSE(h.FeedInPieces(Client(Opcode::kText, ""), {1}));
  EXPECT_FALSE(h.Feed(Client(Opcode::kText, "", false) +
                      Client(Opcode::kContinuation, "", true)));
  EXPECT_EQ(h.got, std::vector<Got>(3, Message(Opcode::kText, "")));
}

TEST(WebSocketReader, BinaryOpcodeIsPreserved) {
  Harness h;
  const std::string payload("\x00\xFF\xC0\x80 not utf-8", 13);
  EXPECT_FALSE(h.Feed(Client(Opcode::kBinary, payload, true, kOddMask)));
  EXPECT_FALSE(h.Feed(Client(Opcode::kBinary, "\xFF", false) +
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
  EXPECT_FALSE(h.Feed(Client(Opcode::kPing, payload, true, kOddMask)));
  EXPECT_FALSE(h.FeedInPieces(Client(Opcode::kPong, payload), {3}));
  const std::vector<Got> expected = {
      Message(Opcode::kPing, payload),
      Message(Opcode::kPong, payload),
  };
  EXPECT_EQ(h.got, expected);
}

TEST(WebSocketReader, CloseFrameWithCodeAndReason) {
  Harness h;
  EXPECT_FALSE(h.Feed(Client(
      Opcode::kClose, ClosePayload(1000, "bye \xE2\x82\xAC"), true, kOddMask)));
  EXPECT_EQ(h.got, std::vector<Got>{Close(1000, "bye \xE2\x82\xAC")});
}

TEST(WebSocketReader, CloseFrameWithCodeOnly) {
  Harness h;
  EXPECT_FALSE(h.Feed(Client(Opcode::kClose, ClosePayload(1001))));
  EXPECT_EQ(h.got, std::vector<Got>{Close(1001)});
}

TEST(WebSocketReader, CloseFrameWithoutPayloadHasNoStatus) {
  Harness h;
  EXPECT_FALSE(h.Feed(Client(Opcode::kClose, "")));
  ASSERT_EQ(h.got.size(), 1u);
  EXPECT_EQ(h.got[0].opcode, Opcode::kClose);
  EXPECT_EQ(h.got[0].close_code, kCloseNoStatus);
  EXPECT_EQ(h.got[0].payload, "");
}

TEST(WebSocketReader, CloseFrameSplitOverReads) {
  Harness h;
  const std::string frame = Client(
      Opcode::kClose, ClosePayload(3000, "split reason"), true, kOddMask);
  EXPECT_FALSE(h.FeedInPieces(frame, {1}));
  EXPECT_EQ(h.got, std::vector<Got>{Close(3000, "split reason")});
}

TEST(WebSocketReader, ValidCloseCodes) {
  for (std::uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010,
                             1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999}) {
    Harness h;
    EXPECT_FALSE(h.Feed(Client(Opcode::kClose, ClosePayload(code, "r"))))
        << code;
    EXPECT_EQ(h.got, std::vector<Got>{Close(code, "r")}) << code;
  }
}

TEST(WebSocketReader, MessageOfExactlyTheLimit) {
  Harness h(100);
  EXPECT_FALSE(h.Feed(Client(Opcode::kText, std::string(100, 'x'))));
  EXPECT_FALSE(h.Feed(Client(Opcode::kText, std::string(60, 'y'), false) +
                      Client(Opcode::kContinuation, std::string(40, 'y'))));
  // Control frames are not messages: not counted against the limit.
  Harness tiny(0);
  EXPECT_FALSE(tiny.Feed(Client(Opcode::kPing, "ping")));
  EXPECT_FALSE(tiny.Feed(Client(Opcode::kText, "")));
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
  EXPECT_FALSE(h.FeedInPieces(stream, {4096}));
  EXPECT_EQ(h.got, expected);
}

}  // namespace
}  // namespace cable::gateway::ws::websocket_testing
