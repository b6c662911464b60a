#include "cable/protocol.h"

#include <gtest/gtest.h>

#include "cable/in_memory_pubsub.h"

namespace cable {
namespace {

using protocol::ParseClientCommand;

TEST(ParseClientCommand, ReadsTheActionCableCommands) {
  auto c = ParseClientCommand(
      R"({"command":"message","identifier":"{\"channel\":\"C\"}","data":"{\"action\":\"a\"}"})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->command, "message");
  EXPECT_EQ(c->identifier, R"({"channel":"C"})");
  EXPECT_EQ(c->data, R"({"action":"a"})");
}

TEST(ParseClientCommand, AcceptsDataAsAnObject) {
  auto c = ParseClientCommand(
      R"({"command":"message","identifier":"i","data":{"action":"a"}})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->data, R"({"action":"a"})");
}

TEST(ParseClientCommand, RejectsMalformedFrames) {
  for (const char* bad :
       {"", "{", "[]", "42", R"({"identifier":"i"})", R"({"command":1})",
        R"({"command":"subscribe","identifier":5})",
        R"({"command":"message","identifier":"i","data":[1]})"}) {
    EXPECT_FALSE(ParseClientCommand(bad).ok()) << bad;
  }
}

TEST(Frames, MatchActionCable) {
  EXPECT_EQ(protocol::WelcomeFrame("abc"), R"({"type":"welcome","sid":"abc"})");
  EXPECT_EQ(protocol::PingFrame(1732271234),
            R"({"type":"ping","message":1732271234})");
  EXPECT_EQ(
      protocol::ConfirmFrame(R"({"channel":"C"})"),
      R"({"identifier":"{\"channel\":\"C\"}","type":"confirm_subscription"})");
  EXPECT_EQ(protocol::RejectFrame("x"),
            R"({"identifier":"x","type":"reject_subscription"})");
  EXPECT_EQ(
      protocol::DisconnectFrame("unauthorized", false),
      R"({"type":"disconnect","reason":"unauthorized","reconnect":false})");
  EXPECT_EQ(protocol::DataFrame("i", "[1,2]"),
            R"({"identifier":"i","message":[1,2]})");
}

TEST(ParseClientCommand, ReadsTheExtendedProtocolsHistoryRequest) {
  // What @anycable/core sends when it resubscribes after a reconnect.
  auto c = ParseClientCommand(
      R"({"command":"subscribe","identifier":"{\"channel\":\"C\"}",)"
      R"("history":{"since":1733300000,"streams":{"chat:a":{"epoch":"x1",)"
      R"("offset":41},"chat:b":{"epoch":"y2","offset":0}}}})");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(c->history.has_value());
  EXPECT_EQ(c->history->since, 1733300000);
  ASSERT_EQ(c->history->streams.size(), 2u);
  EXPECT_EQ(c->history->streams[0].stream, "chat:a");
  EXPECT_EQ(c->history->streams[0].epoch, "x1");
  EXPECT_EQ(c->history->streams[0].offset, 41u);
  EXPECT_EQ(c->history->streams[1].offset, 0u);

  // `since: false` (the client's "no time") and no streams.
  auto bare = ParseClientCommand(
      R"({"command":"history","identifier":"i","history":{"since":false}})");
  ASSERT_TRUE(bare.ok()) << bare.status();
  ASSERT_TRUE(bare->history.has_value());
  EXPECT_FALSE(bare->history->since.has_value());
  EXPECT_TRUE(bare->history->streams.empty());

  // No history: none.
  auto plain =
      ParseClientCommand(R"({"command":"subscribe","identifier":"i"})");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->history.has_value());
}

TEST(ParseClientCommand, RejectsAMalformedHistoryRequest) {
  for (
      const char* frame : {
          R"({"command":"history","identifier":"i","history":3})",
          R"({"command":"history","identifier":"i","history":{"since":"x"}})",
          R"({"command":"history","identifier":"i","history":{"streams":[]}})",
          R"({"command":"history","identifier":"i","history":{"streams":{"s":{"epoch":1,"offset":2}}}})",
          R"({"command":"history","identifier":"i","history":{"streams":{"s":{"epoch":"e","offset":-2}}}})",
          R"({"command":"history","identifier":"i","history":{"streams":{"s":{"epoch":"e"}}}})",
      }) {
    EXPECT_EQ(ParseClientCommand(frame).status().code(),
              absl::StatusCode::kInvalidArgument)
        << frame;
  }
}

TEST(Frames, ExtendedProtocolFrames) {
  EXPECT_EQ(
      protocol::PositionedDataFrame("{\"c\":1}", R"({"n":5})", "chat:a", "ep",
                                    7),
      R"({"identifier":"{\"c\":1}","message":{"n":5},"stream_id":"chat:a","epoch":"ep","offset":7})");
  EXPECT_EQ(protocol::ConfirmHistoryFrame("i"),
            R"({"identifier":"i","type":"confirm_history"})");
  EXPECT_EQ(protocol::RejectHistoryFrame("i"),
            R"({"identifier":"i","type":"reject_history"})");
}

TEST(MessageJson, KeepsValidJsonAndQuotesTheRest) {
  EXPECT_EQ(protocol::MessageJson(R"({"a":1})"), R"({"a":1})");
  EXPECT_EQ(protocol::MessageJson("42"), "42");
  EXPECT_EQ(protocol::MessageJson("hi"), R"("hi")");
  EXPECT_EQ(protocol::MessageJson(""), R"("")");
  EXPECT_EQ(protocol::MessageJson("{\"a\":"), R"("{\"a\":")");
  // Invalid UTF-8 is replaced, never produces invalid JSON.
  EXPECT_EQ(protocol::MessageJson("\xff"), "\"\xEF\xBF\xBD\"");
}

TEST(InMemoryPubSub, DeliversToEachSubscriberOfTheStream) {
  InMemoryPubSub pubsub;
  std::vector<std::string> got;
  auto a = SubscribeAndWait(
      pubsub, "s", [&](absl::string_view stream, absl::string_view m) {
        got.push_back(std::string(stream) + ":" + std::string(m));
      });
  ASSERT_TRUE(a.ok());
  auto b = SubscribeAndWait(pubsub, "t",
                            [&](absl::string_view, absl::string_view m) {
                              got.push_back("t-only:" + std::string(m));
                            });
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE(pubsub.Broadcast("s", "1").ok());
  pubsub.Unsubscribe(*a);
  ASSERT_TRUE(pubsub.Broadcast("s", "2").ok());
  ASSERT_TRUE(pubsub.Broadcast("t", "3").ok());
  EXPECT_EQ(got, (std::vector<std::string>{"s:1", "t-only:3"}));
  EXPECT_FALSE(SubscribeAndWait(pubsub, "s", nullptr).ok());
}

TEST(InMemoryPubSub, IsLiveAndFlushedBeforeTheCallsReturn) {
  InMemoryPubSub pubsub;
  std::vector<std::string> events;
  const PubSubSubscriptionId id = pubsub.Subscribe(
      "s", [](absl::string_view, absl::string_view) {},
      [&](absl::Status s) { events.push_back("live:" + s.ToString()); });
  events.push_back("returned");
  pubsub.Flush(
      [&](absl::Status s) { events.push_back("flushed:" + s.ToString()); });
  EXPECT_EQ(events,
            (std::vector<std::string>{"live:OK", "returned", "flushed:OK"}));
  EXPECT_EQ(pubsub.subscriber_count("s"), 1u);
  pubsub.Unsubscribe(id);
  EXPECT_EQ(pubsub.subscriber_count("s"), 0u);
  EXPECT_TRUE(FlushAndWait(pubsub).ok());
}

}  // namespace
}  // namespace cable
