#include "cable/stream_subject.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

namespace cable {
namespace {

using namespace std::string_literals;

bool IsTokenByte(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_';
}

std::vector<std::string> HostileNames() {
  std::vector<std::string> names = {
      ""s,
      " "s,
      "  "s,
      "a b"s,
      "."s,
      ".."s,
      "..."s,
      ".a"s,
      "a."s,
      ".a."s,
      "a..b"s,
      "a.b"s,
      "a_2Eb"s,
      "*"s,
      ">"s,
      "a.*"s,
      "a.>"s,
      "*.>"s,
      "_"s,
      "__"s,
      "___"s,
      "_2E"s,
      "_2e"s,
      "_5F"s,
      "_5F2E"s,
      "_2E_2E"s,
      "%2E"s,
      "-"s,
      "--"s,
      "a"s,
      "A"s,
      "chat"s,
      "Chat"s,
      "chat:room/42?x=1&y=2#frag"s,
      "{\"channel\":\"ChatChannel\",\"room\":\"1\"}"s,
      "gid://app/User/1"s,
      "é"s,
      "e\xCC\x81"s,  // e + combining acute: differs from "é" byte-wise
      "😀"s,
      "chat 😀 room"s,
      "日本語.チャンネル"s,
      "\0"s,
      "\0\0"s,
      "a\0b"s,
      "a\0"s,
      "\t"s,
      "\r\n"s,
      "\x7F"s,
      "\xFF\xFE"s,
      "\xC3"s,  // truncated UTF-8
      "$JS.API"s,
      "_INBOX.x"s,
      std::string(10000, 'x'),
      std::string(10000, '.'),
      std::string(5000, '_'),
  };
  for (int b = 0; b < 256; ++b) names.push_back(std::string(1, char(b)));
  return names;
}

TEST(StreamSubject, KeepsAlphanumericsAndDashesLiterally) {
  EXPECT_EQ(EncodeStreamToken("chat"), "chat");
  EXPECT_EQ(EncodeStreamToken("Room-42"), "Room-42");
  EXPECT_EQ(StreamSubject("cable.s", "chat"), "cable.s.chat");
}

TEST(StreamSubject, EscapesEverythingElseAsUnderscoreAndUppercaseHex) {
  EXPECT_EQ(EncodeStreamToken("chat.room 1"), "chat_2Eroom_201");
  EXPECT_EQ(EncodeStreamToken("."), "_2E");
  EXPECT_EQ(EncodeStreamToken("_2E"), "_5F2E");
  EXPECT_EQ(EncodeStreamToken("*"), "_2A");
  EXPECT_EQ(EncodeStreamToken(">"), "_3E");
  EXPECT_EQ(EncodeStreamToken("\0"s), "_00");
  EXPECT_EQ(EncodeStreamToken("é"), "_C3_A9");
  EXPECT_EQ(EncodeStreamToken("\xFF"), "_FF");
}

TEST(StreamSubject, EmptyNameIsALoneUnderscore) {
  EXPECT_EQ(EncodeStreamToken(""), "_");
  EXPECT_EQ(StreamSubject("cable.s", ""), "cable.s._");
  auto back = StreamFromSubject("cable.s", "cable.s._");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, "");
}

TEST(StreamSubject, EmptyPrefixGivesTheBareToken) {
  EXPECT_EQ(StreamSubject("", "a.b"), "a_2Eb");
  auto back = StreamFromSubject("", "a_2Eb");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "a.b");
}

TEST(StreamSubject, HostileNamesRoundTripAsOneValidToken) {
  for (const std::string& name : HostileNames()) {
    const std::string token = EncodeStreamToken(name);
    ASSERT_FALSE(token.empty());
    for (char c : token) {
      ASSERT_TRUE(IsTokenByte(c))
          << "byte " << int(static_cast<unsigned char>(c)) << " in " << token;
    }
    const std::string subject = StreamSubject("cable.s", name);
    EXPECT_EQ(subject, "cable.s." + token);
    EXPECT_EQ(StreamSubjectLength("cable.s", name), subject.size());
    auto back = StreamFromSubject("cable.s", subject);
    ASSERT_TRUE(back.ok()) << back.status() << " for token " << token;
    EXPECT_EQ(*back, name);
    auto decoded = DecodeStreamToken(token);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, name);
  }
}

TEST(StreamSubject, HostileNamesArePairwiseDistinct) {
  const std::vector<std::string> names = HostileNames();
  std::set<std::string> unique_names(names.begin(), names.end());
  std::set<std::string> tokens;
  for (const std::string& name : unique_names) {
    EXPECT_TRUE(tokens.insert(EncodeStreamToken(name)).second)
        << "collision for " << EncodeStreamToken(name);
  }
  EXPECT_EQ(tokens.size(), unique_names.size());
  EXPECT_NE(EncodeStreamToken("_2E"), EncodeStreamToken("."));
  EXPECT_NE(EncodeStreamToken(""), EncodeStreamToken("_"));
  EXPECT_NE(EncodeStreamToken("a"), EncodeStreamToken("A"));
}

TEST(StreamSubject, RandomByteStringsRoundTripAndStayDistinct) {
  std::mt19937 rng(12345);
  std::set<std::string> names;
  std::set<std::string> tokens;
  for (int i = 0; i < 5000; ++i) {
    std::string name(rng() % 12, '\0');
    for (char& c : name) {
      // Bias towards the interesting bytes.
      static const char kAlphabet[] = {'a', 'Z', '0', '-', '_', '.',
                                       '*', '>', ' ', '2', 'E', 'F'};
      c = rng() % 2 ? kAlphabet[rng() % sizeof kAlphabet]
                    : static_cast<char>(rng() % 256);
    }
    const std::string token = EncodeStreamToken(name);
    auto back = DecodeStreamToken(token);
    ASSERT_TRUE(back.ok()) << back.status();
    ASSERT_EQ(*back, name);
    if (names.insert(name).second) {
      EXPECT_TRUE(tokens.insert(token).second) << token;
    }
  }
}

TEST(StreamSubject, DecodingAcceptsOnlyWhatTheEncoderProduces) {
  for (const std::string& bad :
       {""s, "_2"s, "_2e"s, "_41"s, "_5f"s, "_G0"s, "__"s, "a_"s, "a b"s,
        "a.b"s, "*"s, ">"s, "é"s, "\0"s, "_2D"s /* '-' is literal */}) {
    EXPECT_FALSE(DecodeStreamToken(bad).ok()) << bad;
  }
}

TEST(StreamSubject, StreamFromSubjectChecksThePrefix) {
  EXPECT_FALSE(StreamFromSubject("cable.s", "cable.s").ok());
  EXPECT_FALSE(StreamFromSubject("cable.s", "cable.s.").ok());
  EXPECT_FALSE(StreamFromSubject("cable.s", "cable.sx.chat").ok());
  EXPECT_FALSE(StreamFromSubject("cable.s", "other.chat").ok());
  EXPECT_FALSE(StreamFromSubject("cable.s", "cable.s.a.b").ok());
  EXPECT_FALSE(StreamFromSubject("cable.s", "cable.s.a b").ok());
  auto ok = StreamFromSubject("cable.s", "cable.s.a_2Eb");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "a.b");
}

TEST(StreamSubject, ValidateStreamNameLimitsTheSubjectLength) {
  // "cable.s." is 8 bytes.
  EXPECT_TRUE(ValidateStreamName(std::string(1016, 'x')).ok());
  absl::Status too_long = ValidateStreamName(std::string(1017, 'x'));
  EXPECT_EQ(too_long.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(too_long.message().find("too long"), absl::string_view::npos)
      << too_long;
  // Escaped bytes take three.
  EXPECT_TRUE(ValidateStreamName(std::string(338, '.')).ok());
  EXPECT_FALSE(ValidateStreamName(std::string(339, '.')).ok());
  EXPECT_TRUE(ValidateStreamName("").ok());
  EXPECT_TRUE(ValidateStreamName("\0 *>"s).ok());
  // The limit counts the prefix.
  EXPECT_FALSE(ValidateStreamName(std::string(1016, 'x'), "cable.st").ok());
}

TEST(StreamSubject, ValidateSubjectPrefix) {
  EXPECT_TRUE(ValidateSubjectPrefix("cable.s").ok());
  EXPECT_TRUE(ValidateSubjectPrefix("app-1.streams").ok());
  for (const std::string& bad : {""s, "."s, "a."s, ".a"s, "a..b"s, "a.*"s, ">"s,
                                 "a b"s, "a\tb"s, std::string(200, 'p')}) {
    EXPECT_EQ(ValidateSubjectPrefix(bad).code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(StreamSubject, ValidateSubject) {
  EXPECT_TRUE(ValidateSubject("a.b.c", false).ok());
  EXPECT_TRUE(ValidateSubject("a.*.c", true).ok());
  EXPECT_TRUE(ValidateSubject("a.>", true).ok());
  EXPECT_TRUE(ValidateSubject("a*b.c>", false).ok());  // literal tokens
  EXPECT_FALSE(ValidateSubject("a.*", false).ok());
  EXPECT_FALSE(ValidateSubject("a.>", false).ok());
  EXPECT_FALSE(ValidateSubject(">.a", true).ok());
  EXPECT_FALSE(ValidateSubject("", true).ok());
  EXPECT_FALSE(ValidateSubject("a..b", true).ok());
  EXPECT_FALSE(ValidateSubject("a b", true).ok());
  EXPECT_FALSE(ValidateSubject("a\nb", true).ok());
  EXPECT_FALSE(ValidateSubject(std::string(1025, 'a'), true).ok());
}

}  // namespace
}  // namespace cable
