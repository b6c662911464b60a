// The history policy (parsing, matching) and the pub/sub envelope of
// positioned messages (sdk/include/cable/history.h).

#include "cable/history.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>

namespace cable {
namespace {

using namespace std::string_literals;

HistoryPolicy MustParse(std::size_t limit, absl::Duration ttl,
                        absl::string_view overrides) {
  absl::StatusOr<HistoryPolicy> policy =
      ParseHistoryPolicy(limit, ttl, overrides);
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *std::move(policy) : HistoryPolicy{};
}

void ExpectLimits(const HistoryPolicy& policy, absl::string_view stream,
                  std::size_t limit, absl::Duration ttl) {
  const HistoryLimits got = policy.For(stream);
  EXPECT_EQ(got.limit, limit) << stream;
  if (limit > 0) {
    EXPECT_EQ(got.ttl, ttl) << stream;
  }
}

TEST(HistoryPolicy, OverridesByPatternElseTheDefaults) {
  const HistoryPolicy policy = MustParse(
      100, absl::Minutes(5), "chat:*=1000/1h;ticker:*=0;logs:*=50/30s");
  ExpectLimits(policy, "chat:1", 1000, absl::Hours(1));
  ExpectLimits(policy, "chat:", 1000, absl::Hours(1));
  ExpectLimits(policy, "ticker:AAPL", 0, {});
  ExpectLimits(policy, "logs:web", 50, absl::Seconds(30));
  ExpectLimits(policy, "other", 100, absl::Minutes(5));
  ExpectLimits(policy, "", 100, absl::Minutes(5));
  ExpectLimits(policy, "xchat:1", 100, absl::Minutes(5));
  ASSERT_EQ(policy.overrides.size(), 3u);
  EXPECT_EQ(policy.overrides[0].pattern, "chat:*");
}

TEST(HistoryPolicy, EntryOfNumbersTheDefaultsThenTheOverrides) {
  const HistoryPolicy policy =
      MustParse(100, absl::Minutes(5), "chat:*=1000/1h;ticker:*=0");
  EXPECT_EQ(policy.EntryOf("other"), std::optional<std::size_t>(0));
  EXPECT_EQ(policy.EntryOf("chat:1"), std::optional<std::size_t>(1));
  EXPECT_EQ(policy.EntryOf("ticker:AAPL"), std::optional<std::size_t>(2));
  EXPECT_EQ(policy.EntryOf("$state:x"), std::nullopt);
  EXPECT_EQ(policy.EntryLimits(0).limit, 100u);
  EXPECT_EQ(policy.EntryLimits(1).ttl, absl::Hours(1));
  EXPECT_EQ(policy.EntryLimits(2).limit, 0u);
  EXPECT_EQ(policy.EntryLimits(3).limit, 0u);
}

TEST(HistoryPolicy, ALimitAloneKeepsTheDefaultTtl) {
  const HistoryPolicy policy = MustParse(0, absl::Minutes(2), "chat:*=10");
  ExpectLimits(policy, "chat:1", 10, absl::Minutes(2));
  ExpectLimits(policy, "other", 0, {});
}

TEST(HistoryPolicy, FirstMatchWins) {
  ExpectLimits(MustParse(0, absl::Minutes(1), "chat:vip:*=5000;chat:*=10"),
               "chat:vip:1", 5000, absl::Minutes(1));
  ExpectLimits(MustParse(0, absl::Minutes(1), "chat:*=10;chat:vip:*=5000"),
               "chat:vip:1", 10, absl::Minutes(1));
  ExpectLimits(MustParse(7, absl::Minutes(1), "*=0;chat:*=10"), "chat:1", 0,
               {});
}

TEST(HistoryPolicy, InternalStreamsNeverKeepHistory) {
  const HistoryPolicy policy = MustParse(100, absl::Minutes(5), "*=10");
  ExpectLimits(policy, "$state:chat:1", 0, {});
  ExpectLimits(policy, "$", 0, {});
  ExpectLimits(policy, "a$", 10, absl::Minutes(5));
  ExpectLimits(MustParse(100, absl::Minutes(5), ""), "$state:x", 0, {});
}

TEST(HistoryPolicy, EmptyPolicyKeepsNothing) {
  const HistoryPolicy policy = MustParse(0, absl::ZeroDuration(), "");
  ExpectLimits(policy, "chat:1", 0, {});
  EXPECT_TRUE(policy.overrides.empty());
  EXPECT_EQ(HistoryPolicy{}.For("chat:1").limit, 0u);
}

TEST(HistoryPolicy, WhitespaceAndEmptyItemsAreIgnored) {
  const HistoryPolicy policy =
      MustParse(0, absl::Minutes(1), " chat:* = 10 / 1m ;; logs:*=5;\n");
  ExpectLimits(policy, "chat:1", 10, absl::Minutes(1));
  ExpectLimits(policy, "logs:1", 5, absl::Minutes(1));
  EXPECT_EQ(policy.overrides.size(), 2u);
}

TEST(HistoryPolicy, PatternsMayHoldEquals) {
  const HistoryPolicy policy = MustParse(0, absl::Minutes(1), "a=b*=5");
  ASSERT_EQ(policy.overrides.size(), 1u);
  EXPECT_EQ(policy.overrides[0].pattern, "a=b*");
  ExpectLimits(policy, "a=bc", 5, absl::Minutes(1));
}

TEST(HistoryPolicy, ZeroLimitsNeedNoTtl) {
  MustParse(0, absl::ZeroDuration(), "ticker:*=0");
  MustParse(0, absl::ZeroDuration(), "chat:*=10/1m");
  MustParse(0, absl::InfiniteDuration(), "");
}

TEST(HistoryPolicy, BadDefaultsAreRejected) {
  for (absl::Duration ttl :
       {absl::ZeroDuration(), absl::Seconds(-1), absl::InfiniteDuration()}) {
    absl::Status status = ParseHistoryPolicy(100, ttl, "").status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << ttl;
    EXPECT_NE(status.message().find("ttl"), absl::string_view::npos) << status;
  }
}

TEST(HistoryPolicy, BadOverridesAreRejectedNamingTheItem) {
  for (const std::string& bad : {
           "chat:*"s,
           "=5"s,
           " = 5"s,
           "chat:*="s,
           "chat:*=-1"s,
           "chat:*=+1"s,
           "chat:*=1x"s,
           "chat:*=1 0"s,
           "chat:*=0x10"s,
           "chat:*=99999999999999999999999"s,
           "chat:*=10/"s,
           "chat:*=10/abc"s,
           "chat:*=10/1"s,
           "chat:*=10/0s"s,
           "chat:*=10/-1s"s,
           "chat:*=10/inf"s,
           "chat:*=/1m"s,
           "$state:*=10"s,
           "chat:*=10;chat:*=20"s,
       }) {
    absl::Status status =
        ParseHistoryPolicy(100, absl::Minutes(1), bad).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(status.message().find("history override"),
              absl::string_view::npos)
        << status;
  }
  // N alone needs a default ttl to keep.
  absl::Status status =
      ParseHistoryPolicy(0, absl::ZeroDuration(), "chat:*=10").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("chat:*=10"), absl::string_view::npos)
      << status;
  EXPECT_NE(status.message().find("needs a ttl"), absl::string_view::npos)
      << status;
}

TEST(GlobMatch, StarMatchesAnyRunOfBytes) {
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("*", "anything at all"));
  EXPECT_TRUE(GlobMatch("**", "x"));
  EXPECT_TRUE(GlobMatch("", ""));
  EXPECT_FALSE(GlobMatch("", "a"));
  EXPECT_TRUE(GlobMatch("chat", "chat"));
  EXPECT_FALSE(GlobMatch("chat", "chat:1"));
  EXPECT_FALSE(GlobMatch("chat", "Chat"));
  EXPECT_TRUE(GlobMatch("chat:*", "chat:"));
  EXPECT_TRUE(GlobMatch("chat:*", "chat:1:2"));
  EXPECT_FALSE(GlobMatch("chat:*", "chat"));
  EXPECT_TRUE(GlobMatch("*:log", "web:log"));
  EXPECT_FALSE(GlobMatch("*:log", "web:logs"));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXbYc"));
  EXPECT_TRUE(GlobMatch("a*b*c", "abc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "acb"));
  EXPECT_TRUE(GlobMatch("a*ab", "aaab"));
  EXPECT_FALSE(GlobMatch("a*ab", "aaa"));
  EXPECT_TRUE(GlobMatch("?", "?"));  // only '*' is special
  EXPECT_FALSE(GlobMatch("?", "a"));
  EXPECT_TRUE(GlobMatch("a\0*"s, "a\0b"s));
}

TEST(GlobMatch, ManyStarsStayFast) {
  // Backtracking to the last star only: quadratic at worst, not
  // exponential.
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*a*b", std::string(20000, 'a')));
  EXPECT_TRUE(GlobMatch("*a*a*a*a*a*a*a*a*b", std::string(20000, 'a') + "b"));
}

// The envelope's marker and separator, for readable literals.
const std::string kFF = "\xFF";
const std::string kUS = "\x1F";

TEST(StreamMessage, HasTheDocumentedLayout) {
  EXPECT_EQ(EncodeStreamMessage({"Ep0ch", 7}, "hi"),
            kFF + "Ep0ch" + kUS + "7" + kUS + "hi");
}

TEST(StreamMessage, RoundTrips) {
  const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  for (const StreamPosition& pos :
       {StreamPosition{"Ab3x9QzZ", 1}, StreamPosition{"e", 42},
        StreamPosition{"abcdefgh", max}}) {
    for (const std::string& data :
         {""s, "{\"message\":\"hi\"}"s, "\x1F\xFF\x1F"s, "\0"s,
          std::string(100000, 'x')}) {
      const std::string message = EncodeStreamMessage(pos, data);
      EXPECT_EQ(static_cast<unsigned char>(message[0]), 0xFF);
      StreamPosition got;
      absl::string_view got_data;
      ASSERT_TRUE(DecodeStreamMessage(message, &got, &got_data));
      EXPECT_EQ(got, pos);
      EXPECT_EQ(got_data, data);
    }
  }
}

TEST(StreamMessage, PlainMessagesAreUntouched) {
  for (const std::string& plain :
       {""s, "hello"s, "{\"message\":1}"s, "é"s, kUS + "e" + kUS + "1" + kUS,
        "\xFE" + kUS + "e" + kUS + "1" + kUS + "x"}) {
    StreamPosition pos{"untouched", 99};
    absl::string_view data = "untouched";
    EXPECT_FALSE(DecodeStreamMessage(plain, &pos, &data)) << plain;
    EXPECT_EQ(pos, (StreamPosition{"untouched", 99}));
    EXPECT_EQ(data, "untouched");
  }
}

TEST(StreamMessage, MalformedEnvelopesAreRejected) {
  for (const std::string& bad : {
           kFF,
           kFF + kUS,
           kFF + kUS + "1" + kUS + "x",        // empty epoch
           kFF + "epoch",                      // no separator
           kFF + "epoch" + kUS,                // no offset
           kFF + "epoch" + kUS + "12",         // offset not terminated
           kFF + "epoch" + kUS + kUS + "x",    // empty offset
           kFF + "e" + kUS + "0" + kUS + "x",  // offsets start at 1
           kFF + "e" + kUS + "01" + kUS + "x",
           kFF + "e" + kUS + "+1" + kUS + "x",
           kFF + "e" + kUS + "-1" + kUS + "x",
           kFF + "e" + kUS + " 1" + kUS + "x",
           kFF + "e" + kUS + "1a" + kUS + "x",
           kFF + "e" + kUS + "18446744073709551616" + kUS + "x",  // 2^64
           kFF + "e" + kUS + "100000000000000000000000" + kUS + "x",
       }) {
    StreamPosition pos{"untouched", 99};
    absl::string_view data = "untouched";
    EXPECT_FALSE(DecodeStreamMessage(bad, &pos, &data)) << bad;
    EXPECT_EQ(pos, (StreamPosition{"untouched", 99}));
    EXPECT_EQ(data, "untouched");
  }
}

TEST(StreamMessage, RandomBytesNeverCrashAndDecodeOnlyCanonicalEnvelopes) {
  std::mt19937 rng(20240614);
  static const char kAlphabet[] = {'\xFF', '\x1F', '0', '1', '9', 'a',
                                   'Z',    '+',    '-', ' ', '\0'};
  int decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string message(rng() % 16, '\0');
    for (char& c : message) {
      c = rng() % 4 ? kAlphabet[rng() % sizeof kAlphabet]
                    : static_cast<char>(rng() % 256);
    }
    if (rng() % 2 && !message.empty()) message[0] = '\xFF';
    StreamPosition pos;
    absl::string_view data;
    if (DecodeStreamMessage(message, &pos, &data)) {
      ++decoded;
      EXPECT_EQ(EncodeStreamMessage(pos, data), message);
      EXPECT_GE(pos.offset, 1u);
      EXPECT_FALSE(pos.epoch.empty());
    }
  }
  EXPECT_GT(decoded, 0);
}

}  // namespace
}  // namespace cable
