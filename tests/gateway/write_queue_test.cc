// The outbound queue without a socket: budgets, gathering, partial writes.

#include "cable/gateway/write_queue.h"

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>

namespace cable::gateway {
namespace {

SharedFrame F(std::string bytes) {
  return std::make_shared<const std::string>(std::move(bytes));
}

std::string Gathered(const WriteQueue& queue) {
  std::array<absl::string_view, 8> pieces;
  const std::size_t n = queue.Gather(pieces);
  std::string out;
  for (std::size_t i = 0; i < n; ++i)
    out.append(pieces[i].data(), pieces[i].size());
  return out;
}

TEST(WriteQueue, BroadcastsAndRepliesHaveTheirOwnBudgets) {
  WriteQueue queue({.max_frames = 100, .max_bytes = 10, .max_reply_bytes = 20});
  EXPECT_TRUE(queue.Push(F("123456"), false));
  EXPECT_FALSE(queue.Push(F("123456"), false));  // 12 > 10
  // Replies do not count as the client being slow.
  EXPECT_TRUE(queue.Push(F("0123456789"), true));
  EXPECT_TRUE(queue.Push(F("0123456789"), true));
  EXPECT_FALSE(queue.Push(F("x"), true));
  EXPECT_EQ(queue.queued_bytes(), 6u);
  EXPECT_EQ(queue.reply_bytes(), 20u);
}

TEST(WriteQueue, OneFrameMayTakeAnEmptyQueuePastItsBound) {
  WriteQueue queue({.max_frames = 100, .max_bytes = 4, .max_reply_bytes = 4});
  EXPECT_TRUE(queue.Push(F("a multi-megabyte state"), true));
  EXPECT_FALSE(queue.Push(F("b"), true));
}

TEST(WriteQueue, BoundsTheNumberOfFrames) {
  WriteQueue queue({.max_frames = 2, .max_bytes = 100, .max_reply_bytes = 100});
  EXPECT_TRUE(queue.Push(F("a"), false));
  EXPECT_TRUE(queue.Push(F("b"), true));
  EXPECT_FALSE(queue.Push(F("c"), true));
  queue.PushUnbounded("close");  // whatever the bounds
  EXPECT_EQ(queue.size(), 3u);
}

TEST(WriteQueue, PartialWritesResumeMidFrame) {
  WriteQueue queue(
      {.max_frames = 10, .max_bytes = 100, .max_reply_bytes = 100});
  queue.Push(F("hello"), false);
  queue.Push(F("world"), true);
  EXPECT_EQ(Gathered(queue), "helloworld");
  EXPECT_EQ(queue.Consume(3), 0u);
  EXPECT_EQ(Gathered(queue), "loworld");
  EXPECT_EQ(queue.Consume(4), 1u);  // "lo" + "wo"
  EXPECT_EQ(Gathered(queue), "rld");
  EXPECT_EQ(queue.queued_bytes(), 0u);
  EXPECT_EQ(queue.Consume(3), 1u);
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.reply_bytes(), 0u);
}

TEST(WriteQueue, GathersAtMostWhatItIsGiven) {
  WriteQueue queue(
      {.max_frames = 10, .max_bytes = 100, .max_reply_bytes = 100});
  for (char c : std::string("abcdef")) queue.Push(F(std::string(1, c)), false);
  std::array<absl::string_view, 4> pieces;
  EXPECT_EQ(queue.Gather(pieces), 4u);
  EXPECT_EQ(pieces[3], "d");
}

TEST(WriteQueue, DroppingKeepsAPartlyWrittenFrame) {
  WriteQueue queue(
      {.max_frames = 10, .max_bytes = 100, .max_reply_bytes = 100});
  queue.Push(F("hello"), false);
  queue.Push(F("world"), false);
  queue.Consume(2);
  queue.DropUnwritten();
  // The rest of "hello" must follow, or the stream breaks.
  EXPECT_EQ(Gathered(queue), "llo");
  EXPECT_EQ(queue.queued_bytes(), 5u);
  queue.Consume(3);
  queue.Push(F("x"), false);
  queue.DropUnwritten();
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.queued_bytes(), 0u);
}

}  // namespace
}  // namespace cable::gateway
