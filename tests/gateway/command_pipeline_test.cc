// The command pipeline without a socket or a service: order, one call in
// flight, follow-ups first, periodic ticks coalesced, the queue bound.

#include "cable/gateway/command_pipeline.h"

#include <gtest/gtest.h>

namespace cable::gateway {
namespace {

TEST(CommandPipeline, OneCallInFlightInTheOrderSent) {
  CommandPipeline pipeline(10);
  ASSERT_TRUE(pipeline.Push({internal::v1::COMMAND_KIND_SUBSCRIBE, "a", ""}));
  ASSERT_TRUE(pipeline.Push({internal::v1::COMMAND_KIND_MESSAGE, "a", "x"}));
  auto first = pipeline.Next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->kind, internal::v1::COMMAND_KIND_SUBSCRIBE);
  EXPECT_TRUE(pipeline.in_flight());
  // The message never overtakes the subscribe in flight.
  EXPECT_FALSE(pipeline.Next().has_value());
  pipeline.Done();
  auto second = pipeline.Next();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->kind, internal::v1::COMMAND_KIND_MESSAGE);
  EXPECT_EQ(second->data, "x");
  pipeline.Done();
  EXPECT_FALSE(pipeline.Next().has_value());
  EXPECT_FALSE(pipeline.in_flight());
}

TEST(CommandPipeline, FollowUpsRunBeforeWhatTheClientSentNext) {
  CommandPipeline pipeline(10);
  pipeline.Push({internal::v1::COMMAND_KIND_JOIN, "a", ""});
  pipeline.Push({internal::v1::COMMAND_KIND_MESSAGE, "a", "x"});
  ASSERT_EQ(pipeline.Next()->kind, internal::v1::COMMAND_KIND_JOIN);
  // The join's answer asks for a sync: it goes before the message.
  pipeline.push_front({internal::v1::COMMAND_KIND_SYNC, "a", ""});
  pipeline.Done();
  EXPECT_EQ(pipeline.Next()->kind, internal::v1::COMMAND_KIND_SYNC);
  pipeline.Done();
  EXPECT_EQ(pipeline.Next()->kind, internal::v1::COMMAND_KIND_MESSAGE);
}

TEST(CommandPipeline, PeriodicTicksCoalesceWhileOneWaits) {
  CommandPipeline pipeline(10);
  pipeline.Push({internal::v1::COMMAND_KIND_MESSAGE, "a", "slow"});
  ASSERT_TRUE(pipeline.Next().has_value());  // in flight, slow service
  EXPECT_TRUE(pipeline.PushPeriodic("a", "tick"));
  EXPECT_FALSE(pipeline.PushPeriodic("a", "tick"));  // coalesced
  EXPECT_TRUE(pipeline.PushPeriodic("a", "other"));
  EXPECT_TRUE(pipeline.PushPeriodic("b", "tick"));
  EXPECT_EQ(pipeline.size(), 3u);
  pipeline.Done();
  auto tick = pipeline.Next();
  EXPECT_EQ(tick->kind, internal::v1::COMMAND_KIND_PERIODIC);
  EXPECT_EQ(tick->identifier, "a");
  EXPECT_EQ(tick->data, "tick");
  // Once it left the queue, the next tick queues again.
  EXPECT_TRUE(pipeline.PushPeriodic("a", "tick"));
}

TEST(CommandPipeline, BoundsTheClientsCommandsButNeverRefusesATick) {
  CommandPipeline pipeline(2);
  ASSERT_TRUE(pipeline.Push({internal::v1::COMMAND_KIND_MESSAGE, "a", "1"}));
  ASSERT_TRUE(pipeline.Push({internal::v1::COMMAND_KIND_MESSAGE, "a", "2"}));
  EXPECT_FALSE(pipeline.Push({internal::v1::COMMAND_KIND_MESSAGE, "a", "3"}));
  EXPECT_TRUE(pipeline.PushPeriodic("a", "tick"));
  EXPECT_EQ(pipeline.size(), 3u);
  // (A waiting tick does take room from the client's commands.)
  ASSERT_TRUE(pipeline.Next().has_value());
  EXPECT_FALSE(pipeline.Push({internal::v1::COMMAND_KIND_MESSAGE, "a", "4"}));
  pipeline.Done();
  ASSERT_TRUE(pipeline.Next().has_value());
  EXPECT_TRUE(pipeline.Push({internal::v1::COMMAND_KIND_MESSAGE, "a", "4"}));
}

TEST(CommandPipeline, ClearKeepsTheCallInFlight) {
  CommandPipeline pipeline(10);
  pipeline.Push({internal::v1::COMMAND_KIND_SUBSCRIBE, "a", ""});
  pipeline.Push({internal::v1::COMMAND_KIND_MESSAGE, "a", "x"});
  ASSERT_TRUE(pipeline.Next().has_value());
  pipeline.clear();
  EXPECT_TRUE(pipeline.empty());
  EXPECT_TRUE(pipeline.in_flight());  // its answer still comes
  pipeline.Done();
  EXPECT_FALSE(pipeline.Next().has_value());
}

TEST(CommandPipeline, KnowsWhichCommandsOpenAndClose) {
  EXPECT_TRUE(Opens(internal::v1::COMMAND_KIND_SUBSCRIBE));
  EXPECT_TRUE(Opens(internal::v1::COMMAND_KIND_JOIN));
  EXPECT_FALSE(Opens(internal::v1::COMMAND_KIND_MESSAGE));
  EXPECT_TRUE(Closes(internal::v1::COMMAND_KIND_UNSUBSCRIBE));
  EXPECT_TRUE(Closes(internal::v1::COMMAND_KIND_LEAVE));
  EXPECT_EQ(Undoing(internal::v1::COMMAND_KIND_JOIN),
            internal::v1::COMMAND_KIND_LEAVE);
  EXPECT_EQ(Undoing(internal::v1::COMMAND_KIND_SUBSCRIBE),
            internal::v1::COMMAND_KIND_UNSUBSCRIBE);
}

TEST(CommandKind, ClientNamesMapToKindsAndBack) {
  for (const char* name : {"subscribe", "unsubscribe", "message", "join",
                           "leave", "request", "sync"}) {
    const auto kind = protocol::ClientCommandKind(name);
    ASSERT_TRUE(kind.has_value()) << name;
    EXPECT_STREQ(protocol::CommandName(*kind), name);
  }
  // The gateway's own, never a client's.
  EXPECT_FALSE(protocol::ClientCommandKind("periodic").has_value());
  EXPECT_EQ(protocol::CommandKindNamed("periodic"),
            internal::v1::COMMAND_KIND_PERIODIC);
  EXPECT_FALSE(protocol::ClientCommandKind("Subscribe").has_value());
  EXPECT_FALSE(protocol::ClientCommandKind("").has_value());
  EXPECT_STREQ(
      protocol::CommandName(static_cast<internal::v1::CommandKind>(99)),
      "unknown");
}

}  // namespace
}  // namespace cable::gateway
