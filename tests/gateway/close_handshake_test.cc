// The close handshake's order of events, on a controlled clock.

#include "cable/gateway/close_handshake.h"

#include <gtest/gtest.h>

#include "tests/gateway/manual_clock.h"

namespace cable::gateway {
namespace {

using std::chrono::milliseconds;

TEST(CloseHandshake, WeCloseFirstThenTheClientAnswers) {
  CloseHandshake handshake;
  EXPECT_FALSE(handshake.sent());  // ours is written; theirs not yet
  EXPECT_TRUE(handshake.was_sent());
  EXPECT_TRUE(handshake.received());  // now the socket closes
}

TEST(CloseHandshake, TheClientClosesFirstThenOursIsWritten) {
  CloseHandshake handshake;
  EXPECT_FALSE(handshake.received());
  EXPECT_TRUE(handshake.sent());
  // Only once: a later write finishing changes nothing.
  EXPECT_FALSE(handshake.sent());
}

TEST(CloseHandshake, IsOverdueAfterTheLimit) {
  ManualClock clock;
  CloseHandshake handshake;
  handshake.begin(clock.now());
  clock.Advance(milliseconds(2000));
  EXPECT_FALSE(handshake.overdue(clock.now(), milliseconds(2000)));
  clock.Advance(milliseconds(1));
  EXPECT_TRUE(handshake.overdue(clock.now(), milliseconds(2000)));
}

}  // namespace
}  // namespace cable::gateway
