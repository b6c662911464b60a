#include "cable/gateway/rate_limiter.h"

#include <gtest/gtest.h>

namespace cable::gateway {
namespace {

using Verdict = CommandRateLimiter::Verdict;
using std::chrono::milliseconds;

TEST(CommandRateLimiter, AllowsTheBurstThenTheRate) {
  const auto t0 = CommandRateLimiter::Clock::time_point{};
  CommandRateLimiter limiter(10, 5, t0);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(limiter.Admit(t0), Verdict::kAllow);
  EXPECT_EQ(limiter.Admit(t0), Verdict::kRefuse);
  // 10 a second: one more every 100 ms.
  EXPECT_EQ(limiter.Admit(t0 + milliseconds(99)), Verdict::kRefuse);
  // 210 ms after the burst: 2.1 tokens, so two more, then a refusal.
  EXPECT_EQ(limiter.Admit(t0 + milliseconds(210)), Verdict::kAllow);
  EXPECT_EQ(limiter.Admit(t0 + milliseconds(210)), Verdict::kAllow);
  EXPECT_EQ(limiter.Admit(t0 + milliseconds(210)), Verdict::kRefuse);
  // A quiet second refills the bucket, never past the burst.
  const auto later = t0 + std::chrono::seconds(10);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(limiter.Admit(later), Verdict::kAllow);
  EXPECT_EQ(limiter.Admit(later), Verdict::kRefuse);
}

TEST(CommandRateLimiter, PersistingOverTheLimitIsCut) {
  const auto t0 = CommandRateLimiter::Clock::time_point{};
  CommandRateLimiter limiter(1, 3, t0);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.Admit(t0), Verdict::kAllow);
  EXPECT_EQ(limiter.Admit(t0), Verdict::kRefuse);
  EXPECT_EQ(limiter.Admit(t0), Verdict::kRefuse);
  EXPECT_EQ(limiter.Admit(t0), Verdict::kCut);
}

TEST(CommandRateLimiter, AnAllowedCommandForgivesEarlierRefusals) {
  const auto t0 = CommandRateLimiter::Clock::time_point{};
  CommandRateLimiter limiter(1, 2, t0);
  EXPECT_EQ(limiter.Admit(t0), Verdict::kAllow);
  EXPECT_EQ(limiter.Admit(t0), Verdict::kAllow);
  EXPECT_EQ(limiter.Admit(t0), Verdict::kRefuse);
  EXPECT_EQ(limiter.Admit(t0 + std::chrono::seconds(1)), Verdict::kAllow);
  EXPECT_EQ(limiter.Admit(t0 + std::chrono::seconds(1)), Verdict::kRefuse);
}

TEST(CommandRateLimiter, ZeroRateIsUnlimited) {
  const auto t0 = CommandRateLimiter::Clock::time_point{};
  CommandRateLimiter limiter(0, 1, t0);
  for (int i = 0; i < 10000; ++i) ASSERT_EQ(limiter.Admit(t0), Verdict::kAllow);
}

}  // namespace
}  // namespace cable::gateway
