// The bad-input test's cases of bad framing: RFC 6455 violations,
// oversized frames, invalid UTF-8, binary frames, and text that is not a
// command (see bad_input_fixture.h).

#include "tests/integration/bad_input_fixture.h"

namespace cable::testing::bad_input {

// Frames that break RFC 6455: 1002 with what is wrong, nothing before it,
// and the socket closes after the close frame without waiting for ours.
void AddFramingErrors(std::vector<BadCase>& cases) {
  std::string non_minimal_16 = {static_cast<char>(kFin | kText),
                                static_cast<char>(0x80 | 126), 0, 5};
  for (std::uint8_t b : kMask) non_minimal_16.push_back(static_cast<char>(b));
  non_minimal_16 += std::string(5, 'x');
  const struct {
    std::string name;
    std::string bytes;
    std::string reason;
  } errors[] = {
      {"unmasked frame",
       ClientFrame(kFin | kText, SubscribeCommand(kLobby), false),
       "unmasked frame"},
      {"RSV1 set", ClientFrame(kFin | kRsv1 | kText, "{}"),
       "reserved bits set"},
      {"RSV2 set", ClientFrame(kFin | kRsv2 | kText, "{}"),
       "reserved bits set"},
      {"RSV3 on a ping", ClientFrame(kFin | kRsv3 | kPing, ""),
       "reserved bits set"},
      {"data opcode 0x3", ClientFrame(kFin | 0x3, "x"), "unknown opcode"},
      {"control opcode 0xB", ClientFrame(kFin | 0xB, "x"), "unknown opcode"},
      {"fragmented ping", ClientFrame(kPing, "x"), "fragmented control frame"},
      {"ping of 126 bytes", ClientFrame(kFin | kPing, std::string(126, 'p')),
       "control frame too long"},
      {"continuation outside a message", ClientFrame(kFin | kContinuation, "x"),
       "continuation outside a message"},
      {"text inside a fragmented message",
       ClientFrame(kText, "{\"command\":") + ClientFrame(kFin | kText, "{}"),
       "new message inside a fragmented one"},
      {"16-bit length of 5", non_minimal_16, "length not minimal"},
      {"64-bit length of 200", Header64(200) + std::string(200, 'x'),
       "length not minimal"},
      {"64-bit length with the top bit set", Header64(std::uint64_t{1} << 63),
       "length too large"},
      {"close of one byte", ClientFrame(kFin | kClose, "\x03"),
       "close frame of one byte"},
      {"close code 1005", ClientFrame(kFin | kClose, ClosePayload(1005)),
       "invalid close code"},
      {"close code 999", ClientFrame(kFin | kClose, ClosePayload(999)),
       "invalid close code"},
      {"close code 2999", ClientFrame(kFin | kClose, ClosePayload(2999)),
       "invalid close code"},
  };
  for (const auto& error : errors) {
    cases.push_back({absl::StrCat("framing: ", error.name),
                     {.bad_frames = 1},
                     [bytes = error.bytes, reason = error.reason](
                         int port, const std::string&) {
                       auto client = Open(port);
                       ASSERT_TRUE(client);
                       ASSERT_TRUE(client->Write(bytes).ok());
                       ExpectClose(*client, 1002, reason);
                       ExpectEndAfterClose(*client);
                     }});
  }
}

// Messages over --max_frame_bytes: 1009, no disconnect message.
void AddOversized(std::vector<BadCase>& cases) {
  cases.push_back(
      {"oversized: one frame a byte over the limit",
       {.bad_frames = 1},
       [](int port, const std::string&) {
         auto client = Open(port);
         ASSERT_TRUE(client);
         ASSERT_TRUE(
             client->Write(TextFrame(std::string(kMaxFrameBytes + 1, ' ')))
                 .ok());
         ExpectClose(*client, 1009, "message too big");
         AnswerClose(*client);
       }});
  cases.push_back({"oversized: fragments that fit, a message that does not",
                   {.bad_frames = 1},
                   [](int port, const std::string&) {
                     auto client = Open(port);
                     ASSERT_TRUE(client);
                     const std::string part(kMaxFrameBytes / 2 - 1, ' ');
                     ASSERT_TRUE(
                         client
                             ->Write(ClientFrame(kText, part) +
                                     ClientFrame(kContinuation, part) +
                                     ClientFrame(kFin | kContinuation, part))
                             .ok());
                     ExpectClose(*client, 1009, "message too big");
                     AnswerClose(*client);
                   }});
  cases.push_back({"oversized: a terabyte announced, then a hang-up",
                   {.bad_frames = 1},
                   [](int port, const std::string&) {
                     auto client = Open(port);
                     ASSERT_TRUE(client);
                     ASSERT_TRUE(client
                                     ->Write(Header64(std::uint64_t{1} << 40) +
                                             std::string(100, 'x'))
                                     .ok());
                     // Refused from the header alone; what follows would be
                     // skipped as that frame's payload, so the client just
                     // goes.
                     ExpectClose(*client, 1009, "message too big");
                   }});
  cases.push_back({"oversized: a binary frame over the limit",
                   {.bad_frames = 1},
                   [](int port, const std::string&) {
                     auto client = Open(port);
                     ASSERT_TRUE(client);
                     ASSERT_TRUE(client
                                     ->Write(ClientFrame(
                                         kFin | kBinary,
                                         std::string(kMaxFrameBytes * 2, 'b')))
                                     .ok());
                     ExpectClose(*client, 1009, "message too big");
                     AnswerClose(*client);
                   }});
}

// Text that is not UTF-8: 1007, no disconnect message.
void AddInvalidUtf8(std::vector<BadCase>& cases) {
  const NamedBytes texts = {
      {"an invalid byte", R"({"command":"subscribe","x":")"
                          "\xc3\x28"
                          R"("})"},
      {"an overlong encoding", "{\"command\":\"\xc0\xaf\"}"},
      {"a UTF-16 surrogate", "\"\xed\xa0\x80\""},
      {"a code point over U+10FFFF", "\"\xf4\x90\x80\x80\""},
      {"a lone continuation byte", "\x80"},
  };
  for (const auto& [name, text] : texts) {
    cases.push_back({absl::StrCat("not UTF-8: ", name),
                     {.bad_frames = 1},
                     [text = text](int port, const std::string&) {
                       auto client = Open(port);
                       ASSERT_TRUE(client);
                       ASSERT_TRUE(client->Write(TextFrame(text)).ok());
                       ExpectClose(*client, 1007, "text message is not UTF-8");
                       AnswerClose(*client);
                     }});
  }
  cases.push_back(
      {"not UTF-8: a character cut at the end of the last fragment",
       {.bad_frames = 1},
       [](int port, const std::string&) {
         auto client = Open(port);
         ASSERT_TRUE(client);
         ASSERT_TRUE(
             client
                 ->Write(ClientFrame(kText, R"({"command":"sub)") +
                         ClientFrame(kFin | kContinuation, "scribe\xc3"))
                 .ok());
         ExpectClose(*client, 1007, "text message is not UTF-8");
         AnswerClose(*client);
       }});
  cases.push_back({"not UTF-8: a close reason",
                   {.bad_frames = 1},
                   [](int port, const std::string&) {
                     auto client = Open(port);
                     ASSERT_TRUE(client);
                     ASSERT_TRUE(
                         client
                             ->Write(ClientFrame(kFin | kClose,
                                                 ClosePayload(1000, "bye\xff")))
                             .ok());
                     // The client is closing anyway: nothing more is read from
                     // it.
                     ExpectClose(*client, 1007, "close reason is not UTF-8");
                   }});
}

// Binary messages: 1003 after disconnect{invalid_request}.
void AddBinary(std::vector<BadCase>& cases) {
  const NamedBytes frames = {
      {"a binary frame", ClientFrame(kFin | kBinary, "\x01\x02")},
      {"an empty binary frame", ClientFrame(kFin | kBinary, "")},
      {"a fragmented binary message",
       ClientFrame(kBinary, "ab") + ClientFrame(kFin | kContinuation, "cd")},
      {"a binary frame holding a valid command",
       ClientFrame(kFin | kBinary, SubscribeCommand(kLobby))},
  };
  for (const auto& [name, bytes] : frames) {
    cases.push_back({absl::StrCat("binary: ", name),
                     {.bad_frames = 1},
                     [bytes = bytes](int port, const std::string&) {
                       auto client = Open(port);
                       ASSERT_TRUE(client);
                       ASSERT_TRUE(client->Write(bytes).ok());
                       ExpectClose(*client, 1003,
                                   "binary frames are not supported",
                                   {Disconnect("invalid_request")});
                       AnswerClose(*client);
                     }});
  }
}

// Text that is not a command: 1007 with the parse error, after
// disconnect{invalid_request}.
void AddNotCommands(std::vector<BadCase>& cases) {
  constexpr char kNotJson[] = "frame is not valid JSON";
  constexpr char kNotObject[] = "frame is not a JSON object";
  constexpr char kNoCommand[] = "\"command\" must be a string";
  std::string nested;
  for (int i = 0; i < 1500; ++i) nested += '[';
  for (int i = 0; i < 1500; ++i) nested += ']';
  const std::vector<std::tuple<std::string, std::string, std::string>> texts = {
      {"garbage", "{not json", kNotJson},
      {"an empty message", "", kNotJson},
      {"a command and trailing bytes",
       SubscribeCommand(Room("x")) + " trailing", kNotJson},
      {"2000 open brackets", std::string(2000, '['), kNotJson},
      {"an array nested 1500 deep", nested, kNotObject},
      {"an array", "[1,2,3]", kNotObject},
      {"a string", "\"subscribe\"", kNotObject},
      {"null", "null", kNotObject},
      {"no command", R"({"identifier":"x"})", kNoCommand},
      {"a numeric command", R"({"command":42,"identifier":"x"})", kNoCommand},
      {"a null command", R"({"command":null})", kNoCommand},
      {"a numeric identifier", R"({"command":"subscribe","identifier":5})",
       "\"identifier\" must be a string"},
      {"an object identifier",
       R"({"command":"subscribe","identifier":{"channel":"ChatChannel"}})",
       "\"identifier\" must be a string"},
      {"numeric data", R"({"command":"message","identifier":"x","data":5})",
       "\"data\" must be a string or an object"},
      {"array data", R"({"command":"message","identifier":"x","data":[]})",
       "\"data\" must be a string or an object"},
  };
  for (const auto& [name, text, reason] : texts) {
    cases.push_back(
        {absl::StrCat("not a command: ", name),
         {.bad_frames = 1},
         [text = text, reason = reason](int port, const std::string&) {
           auto client = Open(port);
           ASSERT_TRUE(client);
           ASSERT_TRUE(client->Write(TextFrame(text)).ok());
           ExpectClose(*client, 1007, reason, {Disconnect("invalid_request")});
           AnswerClose(*client);
         }});
  }
}

}  // namespace cable::testing::bad_input
