// The command pipeline without a socket or a service: order, one call in
// flight, follow-ups first, periodic ticks coalesced, the queue bound.

#include "cable/gateway/command_pipeline.h"

#include <gtest/gtest.h>

namespace cable::gateway {
namespace {

TEST(CommandPipeline, OneCallInFlightInTheOrderSent) {
  CommandPipeline pipeline(10);
  ASSERT_TRUE(pipeline.push({"subscribe", "a", ""}));
  ASSERT_TRUE(pipeline.push({"message", "a", "x"}));
  auto first = pipeline.next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->command, "subscribe");
  EXPECT_TRUE(pipeline.in_flight());
  // The message never overtakes the subscribe in flight.
  EXPECT_FALSE(pipeline.next().has_value());
  pipeline.done();
  auto second = pipeline.next();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->command, "message");
  EXPECT_EQ(second->data, "x");
  pipeline.done();
  EXPECT_FALSE(pipeline.next().has_value());
  EXPECT_FALSE(pipeline.in_flight());
}

TEST(CommandPipeline, FollowUpsRunBeforeWhatTheClientSentNext) {
  CommandPipeline pipeline(10);
  pipeline.push({"join", "a", ""});
  pipeline.push({"message", "a", "x"});
  ASSERT_EQ(pipeline.next()->command, "join");
  // The join's answer asks for a sync: it goes before the message.
  pipeline.push_front({"sync", "a", ""});
  pipeline.done();
  EXPECT_EQ(pipeline.next()->command, "sync");
  pipeline.done();
  EXPECT_EQ(pipeline.next()->command, "message");
}

TEST(CommandPipeline, PeriodicTicksCoalesceWhileOneWaits) {
  CommandPipeline pipeline(10);
  pipeline.push({"message", "a", "slow"});
  ASSERT_TRUE(pipeline.next().has_value());  // in flight, slow service
  EXPECT_TRUE(pipeline.push_periodic("a", "tick"));
  EXPECT_FALSE(pipeline.push_periodic("a", "tick"));  // coalesced
  EXPECT_TRUE(pipeline.push_periodic("a", "other"));
  EXPECT_TRUE(pipeline.push_periodic("b", "tick"));
  EXPECT_EQ(pipeline.size(), 3u);
  pipeline.done();
  auto tick = pipeline.next();
  EXPECT_EQ(tick->command, "periodic");
  EXPECT_EQ(tick->identifier, "a");
  EXPECT_EQ(tick->data, "tick");
  // Once it left the queue, the next tick queues again.
  EXPECT_TRUE(pipeline.push_periodic("a", "tick"));
}

TEST(CommandPipeline, BoundsTheClientsCommandsButNeverRefusesATick) {
  CommandPipeline pipeline(2);
  ASSERT_TRUE(pipeline.push({"message", "a", "1"}));
  ASSERT_TRUE(pipeline.push({"message", "a", "2"}));
  EXPECT_FALSE(pipeline.push({"message", "a", "3"}));
  EXPECT_TRUE(pipeline.push_periodic("a", "tick"));
  EXPECT_EQ(pipeline.size(), 3u);
  // (A waiting tick does take room from the client's commands.)
  ASSERT_TRUE(pipeline.next().has_value());
  EXPECT_FALSE(pipeline.push({"message", "a", "4"}));
  pipeline.done();
  ASSERT_TRUE(pipeline.next().has_value());
  EXPECT_TRUE(pipeline.push({"message", "a", "4"}));
}

TEST(CommandPipeline, ClearKeepsTheCallInFlight) {
  CommandPipeline pipeline(10);
  pipeline.push({"subscribe", "a", ""});
  pipeline.push({"message", "a", "x"});
  ASSERT_TRUE(pipeline.next().has_value());
  pipeline.clear();
  EXPECT_TRUE(pipeline.empty());
  EXPECT_TRUE(pipeline.in_flight());  // its answer still comes
  pipeline.done();
  EXPECT_FALSE(pipeline.next().has_value());
}

TEST(CommandPipeline, KnowsWhichCommandsOpenAndClose) {
  EXPECT_TRUE(Opens("subscribe"));
  EXPECT_TRUE(Opens("join"));
  EXPECT_FALSE(Opens("message"));
  EXPECT_TRUE(Closes("unsubscribe"));
  EXPECT_TRUE(Closes("leave"));
  EXPECT_TRUE(IsClientCommand("sync"));
  EXPECT_FALSE(IsClientCommand("periodic"));  // the gateway's own
}

}  // namespace
}  // namespace cable::gateway
