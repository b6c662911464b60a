// Stream-name globs of the server API (Publisher.Channels).
#include "cable/stream_glob.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace cable {
namespace {

TEST(StreamGlob, EmptyMatchesEverything) {
  EXPECT_TRUE(ValidateStreamGlob("").ok());
  EXPECT_TRUE(MatchesStreamGlob("", "chat:lobby"));
  EXPECT_TRUE(MatchesStreamGlob("", std::string("a\0b", 3)));
}

TEST(StreamGlob, InternalStreamsOnlyWhenAskedFor) {
  EXPECT_FALSE(MatchesStreamGlob("", "$presence:chat:lobby"));
  EXPECT_FALSE(MatchesStreamGlob("*", "$state:board:1"));
  EXPECT_FALSE(MatchesStreamGlob("*lobby", "$presence:chat:lobby"));
  EXPECT_TRUE(MatchesStreamGlob("$presence:*", "$presence:chat:lobby"));
  EXPECT_TRUE(MatchesStreamGlob("$*", "$state:board:1"));
}

TEST(StreamGlob, StarQuestionMarkAndSets) {
  EXPECT_TRUE(MatchesStreamGlob("chat:*", "chat:lobby"));
  EXPECT_TRUE(MatchesStreamGlob("chat:*", "chat:"));
  EXPECT_FALSE(MatchesStreamGlob("chat:*", "chats:lobby"));
  // No FNM_PATHNAME / FNM_PERIOD: `*` crosses '/', '.' and ':'.
  EXPECT_TRUE(MatchesStreamGlob("*", "a/b.c:d"));
  EXPECT_TRUE(MatchesStreamGlob("*lobby", ".hidden/lobby"));
  EXPECT_TRUE(MatchesStreamGlob("room?", "room1"));
  EXPECT_FALSE(MatchesStreamGlob("room?", "room12"));
  EXPECT_TRUE(MatchesStreamGlob("room[0-9]", "room7"));
  EXPECT_FALSE(MatchesStreamGlob("room[!0-9]", "room7"));
  EXPECT_TRUE(MatchesStreamGlob("room[]]", "room]"));
  EXPECT_TRUE(MatchesStreamGlob("a\\*b", "a*b"));
  EXPECT_FALSE(MatchesStreamGlob("a\\*b", "axb"));
  EXPECT_TRUE(MatchesStreamGlob("caf\xc3\xa9:*", "caf\xc3\xa9:x"));
  // fnmatch stops at NUL: such a name matches only "".
  EXPECT_FALSE(MatchesStreamGlob("a*", std::string("a\0b", 3)));
}

TEST(StreamGlob, RejectsWhatFnmatchWouldReadAsSomethingElse) {
  for (const std::string& bad :
       {std::string("chat:[abc"), std::string("["), std::string("[!"),
        std::string("[]"), std::string("x\\"), std::string("a\0", 2),
        std::string(kMaxStreamGlobBytes + 1, 'a')}) {
    EXPECT_EQ(ValidateStreamGlob(bad).code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  for (const std::string& good :
       {std::string("chat:\\[abc"), std::string("[]]"), std::string("[\\]]"),
        std::string("x\\\\"), std::string(kMaxStreamGlobBytes, 'a')}) {
    EXPECT_TRUE(ValidateStreamGlob(good).ok()) << good;
  }
}

}  // namespace
}  // namespace cable
