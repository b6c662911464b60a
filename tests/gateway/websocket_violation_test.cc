// The WebSocket Reader on input that breaks RFC 6455 or the limits
// (helpers in websocket_fixture.h).

#include "tests/gateway/websocket_fixture.h"

namespace cable::gateway::ws::websocket_testing {
namespace {

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
        byte_at_a_time ? h.FeedInPieces(all, {1}) : h.Feed(all);
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->code, code) << v->reason;
    EXPECT_EQ(v->framing(), code == kCloseProtocolError);
    EXPECT_FALSE(v->reason.empty());
    EXPECT_EQ(h.violations.size(), 1u);
    EXPECT_EQ(h.got, before);

    // Failed for good: good frames are ignored, nothing is reported again.
    EXPECT_FALSE(h.Feed(Client(Opcode::kText, "after")));
    EXPECT_FALSE(h.Feed(Client(Opcode::kPing, "after")));
    EXPECT_FALSE(h.Feed(Client(Opcode::kClose, ClosePayload(1000))));
    EXPECT_FALSE(h.Feed(bytes));
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
        byte_at_a_time ? h.FeedInPieces(all, {1}) : h.Feed(all);
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->code, code) << v->reason;
    EXPECT_FALSE(v->framing());
    EXPECT_FALSE(v->reason.empty());
    EXPECT_EQ(h.violations.size(), 1u);
    std::vector<Got> expected = before;
    expected.push_back(Message(Opcode::kPing, "next"));
    expected.push_back(Message(Opcode::kText, "next message"));
    EXPECT_EQ(h.got, expected);

    EXPECT_FALSE(h.Feed(Client(Opcode::kClose, ClosePayload(1001, "bye"))));
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
      h.Feed(RawFrame(0x81, std::string(126, 'x'), kRfcMask, LengthForm::k16)));
  EXPECT_FALSE(h.Feed(
      RawFrame(0x82, std::string(65536, 'x'), kRfcMask, LengthForm::k64)));
  EXPECT_EQ(h.got.size(), 2u);
}

TEST(WebSocketViolation, LengthWithTheTopBitSet) {
  for (std::uint64_t length : {std::uint64_t{1} << 63, ~std::uint64_t{0}}) {
    Harness h;
    const std::optional<Violation> v =
        h.Feed(RawFrame(0x82, "", kRfcMask, LengthForm::k64, length));
    ASSERT_TRUE(v);
    EXPECT_EQ(v->code, kCloseProtocolError);
    EXPECT_FALSE(h.Feed(Client(Opcode::kText, "after")));
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
  EXPECT_EQ(none.Feed(Client(Opcode::kBinary, "1"))->code, kCloseTooBig);
  EXPECT_FALSE(none.Feed(Client(Opcode::kBinary, "")));
  EXPECT_EQ(none.got, std::vector<Got>{Message(Opcode::kBinary, "")});
}

// Known from the header alone: the payload need not arrive first.
TEST(WebSocketViolation, MessageTooBigIsReportedFromTheHeader) {
  Harness h(1000);
  const std::string header =
      RawFrame(0x82, "", kRfcMask, LengthForm::k64, std::uint64_t{1} << 40);
  ASSERT_EQ(header.size(), 14u);
  const std::optional<Violation> v = h.Feed(header);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->code, kCloseTooBig);
  EXPECT_FALSE(v->framing());
  // The payload then streams through without being kept or reported.
  for (int i = 0; i < 16; ++i) {
    EXPECT_FALSE(h.Feed(std::string(64 * 1024, 'z')));
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
      h.Feed(Client(Opcode::kText, std::string(80, 'a'), false) +
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
  EXPECT_EQ(h.Feed(Client(Opcode::kContinuation, "x"))->code,
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
  EXPECT_FALSE(h.Feed(Client(Opcode::kText, "\xF0\x9F", false) +
                      Client(Opcode::kContinuation, "\x98", false) +
                      Client(Opcode::kContinuation, "\x80", true)));
  EXPECT_EQ(h.got,
            std::vector<Got>{Message(Opcode::kText, "\xF0\x9F\x98\x80")});
}

// Each read reports the first violation in it; later reads report theirs.
TEST(WebSocketViolation, FirstViolationOfAReadIsReturned) {
  Harness h(100);
  const std::optional<Violation> v =
      h.Feed(Client(Opcode::kText, std::string(101, 'x')) +
             Client(Opcode::kText, "ok") + Client(Opcode::kText, "\xFF"));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->code, kCloseTooBig);
  EXPECT_EQ(h.got, std::vector<Got>{Message(Opcode::kText, "ok")});
  EXPECT_EQ(h.Feed(Client(Opcode::kText, "\xC3"))->code, kCloseInvalidPayload);
  EXPECT_FALSE(h.Feed(Client(Opcode::kText, "ok")));
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
      h.Feed(Client(Opcode::kText, std::string(11, 'x')) +
             RawFrame(0x81, "unmasked", std::nullopt));
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->framing());
  EXPECT_EQ(v->code, kCloseProtocolError);
}

}  // namespace
}  // namespace cable::gateway::ws::websocket_testing
