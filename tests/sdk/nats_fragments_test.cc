// FragmentWriter and FragmentAssembler, sans I/O: no server, time passed in.

#include "cable/nats_fragments.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace cable {
namespace {

// The smallest max payload that takes fragments: parts of kChunk bytes.
constexpr std::size_t kMaxPayload = 2 * kFragmentHeaderRoom;
constexpr std::size_t kChunk = kMaxPayload - kFragmentHeaderRoom;
const absl::Time kT0 = absl::FromUnixSeconds(1000);

// `n` parts' worth of `c`, then `extra` bytes of `d`.
std::string Text(char c, std::size_t n, char d = 0, std::size_t extra = 0) {
  return std::string(n * kChunk, c) + std::string(extra, d);
}

FragmentHeader HeaderOf(const FragmentedMessage& m, std::size_t i) {
  std::optional<FragmentHeader> h = ParseFragmentHeader(
      m.id, absl::StrCat(i), absl::StrCat(m.count), absl::StrCat(m.size));
  EXPECT_TRUE(h.has_value());
  return h.value_or(FragmentHeader{});
}

FragmentAssembler::Limits Limits(std::size_t max_message = 10 * kChunk,
                                 std::size_t max_bytes = 20 * kChunk) {
  FragmentAssembler::Limits l;
  l.max_message_bytes = max_message;
  l.max_bytes = max_bytes;
  l.timeout = absl::Seconds(10);
  return l;
}

TEST(FragmentWriter, SplitsIntoPartsThatFitWithTheirHeaders) {
  FragmentWriter writer(0xABCDEF);
  const std::string message = Text('a', 1) + Text('b', 1) + "cc";
  auto m = writer.Split(message, kMaxPayload);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->id, "0000000000abcdef.1");
  EXPECT_EQ(m->count, 3u);
  EXPECT_EQ(m->size, message.size());
  EXPECT_EQ(m->parts,
            (std::vector<absl::string_view>{Text('a', 1), Text('b', 1), "cc"}));
  // Each message gets the next sequence.
  auto next = writer.Split("abcd", kMaxPayload);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->id, "0000000000abcdef.2");
  EXPECT_EQ(next->count, 1u);
}

TEST(FragmentWriter, RefusesAMaxPayloadWithoutRoomForHeaders) {
  FragmentWriter writer(1);
  EXPECT_EQ(writer.Split("x", 2 * kFragmentHeaderRoom - 1).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(ParseFragmentHeader, RejectsMalformedValues) {
  EXPECT_TRUE(ParseFragmentHeader("0000000000000001.1", "0", "1", "5"));
  EXPECT_FALSE(ParseFragmentHeader("1.1", "0", "1", "5"));  // short nonce
  EXPECT_FALSE(ParseFragmentHeader("000000000000000g.1", "0", "1", "5"));
  EXPECT_FALSE(ParseFragmentHeader("0000000000000001-1", "0", "1", "5"));
  EXPECT_FALSE(ParseFragmentHeader("0000000000000001.x", "0", "1", "5"));
  EXPECT_FALSE(ParseFragmentHeader("0000000000000001.1", "1", "1", "5"));
  EXPECT_FALSE(ParseFragmentHeader("0000000000000001.1", "0", "0", "5"));
  EXPECT_FALSE(ParseFragmentHeader("0000000000000001.1", "-1", "2", "5"));
  EXPECT_FALSE(ParseFragmentHeader("0000000000000001.1", "0", "1", ""));
  EXPECT_FALSE(ParseFragmentHeader("0000000000000001.1", "0", "1",
                                   "99999999999999999999"));
}

TEST(FragmentAssembler, ReassemblesWhatTheWriterSplit) {
  FragmentWriter writer(7);
  FragmentAssembler assembler(Limits(), "test");
  const std::string message = Text('x', 2) + "the quick brown fox";
  auto m = writer.Split(message, kMaxPayload);
  ASSERT_TRUE(m.ok());
  std::optional<std::string> whole;
  for (std::size_t i = 0; i < m->parts.size(); ++i) {
    EXPECT_FALSE(whole.has_value());
    whole = assembler.Add(1, HeaderOf(*m, i), m->parts[i], kT0, "s");
    if (i + 1 < m->parts.size()) {
      EXPECT_EQ(assembler.stats().pending, 1u);
      EXPECT_EQ(assembler.stats().pending_bytes, message.size());
    }
  }
  EXPECT_EQ(whole, message);
  EXPECT_EQ(assembler.stats().completed, 1u);
  EXPECT_EQ(assembler.stats().pending, 0u);
  EXPECT_EQ(assembler.stats().pending_bytes, 0u);
  EXPECT_EQ(assembler.next_expiry(), absl::InfiniteFuture());
}

TEST(FragmentAssembler, KeepsPublishersAndSourcesApart) {
  FragmentWriter a(0xA);
  FragmentWriter b(0xB);
  FragmentAssembler assembler(Limits(), "test");
  const std::string sa = Text('a', 1, 'A', 5);
  const std::string sb = Text('b', 1, 'B', 7);
  auto ma = a.Split(sa, kMaxPayload);
  auto mb = b.Split(sb, kMaxPayload);
  ASSERT_TRUE(ma.ok() && mb.ok());
  std::vector<std::string> got;
  auto add = [&](std::uint64_t source, const FragmentedMessage& m,
                 std::size_t i) {
    if (auto whole =
            assembler.Add(source, HeaderOf(m, i), m.parts[i], kT0, "s")) {
      got.push_back(absl::StrCat(source, ":", *whole));
    }
  };
  add(1, *ma, 0);
  add(1, *mb, 0);
  add(2, *ma, 0);  // another subscription receives the same message
  add(1, *ma, 1);
  add(1, *mb, 1);
  add(2, *ma, 1);
  EXPECT_EQ(got, (std::vector<std::string>{"1:" + sa, "1:" + sb, "2:" + sa}));
  EXPECT_EQ(assembler.stats().dropped, 0u);
}

TEST(FragmentAssembler, DropsAMessageWhoseFragmentsWereLost) {
  FragmentWriter writer(1);
  FragmentAssembler assembler(Limits(), "test");
  // Parts are views into the messages: keep them.
  const std::string one = Text('1', 2, '!', 1);  // 3 parts
  const std::string two = Text('2', 1, '?', 1);  // 2 parts
  auto first = writer.Split(one, kMaxPayload);
  auto second = writer.Split(two, kMaxPayload);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_FALSE(
      assembler.Add(1, HeaderOf(*first, 0), first->parts[0], kT0, "s"));
  // The next message starts: the first is incomplete and dropped.
  EXPECT_FALSE(
      assembler.Add(1, HeaderOf(*second, 0), second->parts[0], kT0, "s"));
  EXPECT_EQ(assembler.stats().dropped, 1u);
  EXPECT_EQ(assembler.Add(1, HeaderOf(*second, 1), second->parts[1], kT0, "s"),
            two);
  // The rest of a message whose start never came is skipped silently.
  EXPECT_FALSE(
      assembler.Add(1, HeaderOf(*first, 2), first->parts[2], kT0, "s"));
  EXPECT_EQ(assembler.stats().dropped, 1u);
  EXPECT_EQ(assembler.stats().pending, 0u);
}

TEST(FragmentAssembler, DropsFragmentsThatDoNotAddUp) {
  FragmentAssembler assembler(Limits(), "test");
  FragmentHeader h{
      .nonce = 1, .sequence = 1, .index = 0, .count = 2, .size = 5};
  EXPECT_FALSE(assembler.Add(1, h, "abc", kT0, "s"));
  h.index = 1;
  EXPECT_FALSE(assembler.Add(1, h, "def", kT0, "s"));  // 6 bytes, not 5
  EXPECT_EQ(assembler.stats().dropped, 1u);
  EXPECT_EQ(assembler.stats().pending_bytes, 0u);
  assembler.AddMalformed("s");
  EXPECT_EQ(assembler.stats().dropped, 2u);
}

TEST(FragmentAssembler, EnforcesTheSizeLimits) {
  FragmentAssembler assembler(Limits(100, 150), "test");
  // Over max_message_bytes: dropped at the first fragment.
  FragmentHeader big{
      .nonce = 1, .sequence = 1, .index = 0, .count = 2, .size = 101};
  EXPECT_FALSE(assembler.Add(1, big, "x", kT0, "s"));
  EXPECT_EQ(assembler.stats().dropped, 1u);
  EXPECT_EQ(assembler.stats().pending, 0u);
  // 100 + 60 > max_bytes (150): the second does not fit next to the first.
  FragmentHeader a{
      .nonce = 1, .sequence = 2, .index = 0, .count = 2, .size = 100};
  FragmentHeader b{
      .nonce = 2, .sequence = 1, .index = 0, .count = 2, .size = 60};
  EXPECT_FALSE(assembler.Add(1, a, "x", kT0, "s"));
  EXPECT_FALSE(assembler.Add(1, b, "y", kT0, "s"));
  EXPECT_EQ(assembler.stats().dropped, 2u);
  EXPECT_EQ(assembler.stats().pending, 1u);
  EXPECT_EQ(assembler.stats().pending_bytes, 100u);
  // Forgetting the source frees its reservation, without counting a drop.
  assembler.Forget(1);
  EXPECT_EQ(assembler.stats().pending, 0u);
  EXPECT_EQ(assembler.stats().pending_bytes, 0u);
  EXPECT_EQ(assembler.stats().dropped, 2u);
  EXPECT_TRUE(!assembler.Add(1, b, "y", kT0, "s"));
  EXPECT_EQ(assembler.stats().pending, 1u);
}

TEST(FragmentAssembler, ExpiresMessagesWithoutProgressByTheTimeGiven) {
  FragmentAssembler assembler(Limits(), "test");
  FragmentHeader slow{
      .nonce = 1, .sequence = 1, .index = 0, .count = 3, .size = 3};
  FragmentHeader busy{
      .nonce = 2, .sequence = 1, .index = 0, .count = 3, .size = 3};
  EXPECT_FALSE(assembler.Add(1, slow, "a", kT0, "s"));
  EXPECT_FALSE(assembler.Add(1, busy, "a", kT0, "s"));
  EXPECT_EQ(assembler.next_expiry(), kT0 + absl::Seconds(10));
  busy.index = 1;
  EXPECT_FALSE(assembler.Add(1, busy, "b", kT0 + absl::Seconds(6), "s"));
  EXPECT_EQ(assembler.Expire(kT0 + absl::Seconds(9)), 0u);
  EXPECT_EQ(assembler.Expire(kT0 + absl::Seconds(10)), 1u);  // slow
  EXPECT_EQ(assembler.stats().dropped, 1u);
  EXPECT_EQ(assembler.next_expiry(), kT0 + absl::Seconds(16));
  busy.index = 2;
  EXPECT_EQ(assembler.Add(1, busy, "c", kT0 + absl::Seconds(15), "s"), "abc");
  EXPECT_EQ(assembler.Expire(kT0 + absl::Hours(1)), 0u);
}

}  // namespace
}  // namespace cable
