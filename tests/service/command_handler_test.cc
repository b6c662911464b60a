#include "cable/service/command_handler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "cable/command_kind.h"
#include "cable/in_memory_pubsub.h"
#include "cable/internal/v1/cable.pb.h"
#include "cable/protocol.h"
#include "cable/service/channel.h"
#include "cable/service/registry.h"
#include "tests/service/test_util.h"

namespace cable::service {
namespace {

using ::cable::service::testing::StreamRecorder;
using ::nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

using Log = std::vector<std::string>;

struct Room {
  std::string id;
  std::string broadcasting_id() const { return "Room:" + id; }
};

// A channel exercising the framework; what it does depends on its "mode"
// param. Hooks append to a log shared with the test.
class TestChannel final : public Channel {
 public:
  explicit TestChannel(std::shared_ptr<Log> log) : log_(std::move(log)) {}

  void subscribed() override {
    const std::string mode = params().value("mode", "");
    log_->push_back("subscribed " + identifier());
    if (mode == "reject") {
      stream_from("doomed");
      transmit("before reject");
      reject();
      return;
    }
    if (mode == "throw") throw std::runtime_error("boom in subscribed");
    stream_from("room:" + params().value("room", ""));
    stream_for(Room{"1"});
    transmit({{"hello", connection().sid()}});
    istate()["joined"] = "yes";
  }
  void unsubscribed() override {
    log_->push_back("unsubscribed " + identifier() +
                    " streams=" + std::to_string(streams().size()) +
                    " istate=" + (istate().count("k") ? istate().at("k") : ""));
    if (params().value("mode", "") == "throw_unsub") {
      throw std::runtime_error("boom in unsubscribed");
    }
  }

  void echo(const json& data) { transmit(data); }
  void boom(const json&) { throw std::runtime_error("action exploded"); }
  void move(const json& data) {
    stop_stream_from(data.at("from").get<std::string>());
    stream_from(data.at("to").get<std::string>());
  }
  void stop(const json&) {
    stop_all_streams();
    stream_from("fresh");
  }
  void remember(const json& data) {
    istate()["k"] = data.at("v").get<std::string>();
    connection().cstate()["c"] = "seen";
  }
  void shout(const json& data) { broadcast_to_target(Room{"1"}, data); }
  void tick() { transmit("tick"); }
  // Bytes that are not UTF-8, which no answer can carry.
  void raw(const json&) { stream_from("room:\xFF"); }

 private:
  std::shared_ptr<Log> log_;
};

class TestConnection final : public Connection {
 public:
  explicit TestConnection(std::shared_ptr<Log> log) : log_(std::move(log)) {}
  void connect() override {
    auto user = env().query_param("user");
    if (!user) {
      reject_unauthorized_connection();
      return;
    }
    if (*user == "throw") throw std::runtime_error("connect exploded");
    if (*user == "bytes") {
      set_identifier("current_user", "\xC3");
      return;
    }
    set_identifier("current_user", *user);
    cstate()["since"] = "now";
  }
  void disconnect() override {
    log_->push_back("disconnect " + identifiers().at("current_user"));
  }

 private:
  std::shared_ptr<Log> log_;
};

class CommandHandlerTest : public ::testing::Test {
 protected:
  CommandHandlerTest() {
    app_.set_connection(
            [log = log_] { return std::make_unique<TestConnection>(log); })
        .identified_by({"current_user"});
    app_.Add<TestChannel>(
            "TestChannel",
            [log = log_] { return std::make_unique<TestChannel>(log); })
        .action("echo", &TestChannel::echo)
        .action("boom", &TestChannel::boom)
        .action("move", &TestChannel::move)
        .action("stop", &TestChannel::stop)
        .action("remember", &TestChannel::remember)
        .action("shout", &TestChannel::shout)
        .action("raw", &TestChannel::raw)
        .periodically("echo", std::chrono::seconds(1))
        .periodically("tick", &TestChannel::tick,
                      std::chrono::milliseconds(50));
  }

  internal::v1::CommandRequest Request(const std::string& command,
                                       const std::string& identifier,
                                       const std::string& data = "") {
    internal::v1::CommandRequest request;
    request.set_kind(protocol::CommandKindNamed(command).value_or(
        internal::v1::COMMAND_KIND_UNSPECIFIED));
    request.set_identifier(identifier);
    request.set_data(data);
    request.set_sid("sid-1");
    (*request.mutable_identifiers())["current_user"] = "ann";
    return request;
  }

  std::shared_ptr<Log> log_ = std::make_shared<Log>();
  Application app_;
  InMemoryPubSub pubsub_;
  CommandHandler handler_{app_, pubsub_};
  const std::string id_ = R"({"channel":"TestChannel","room":"a"})";
};

TEST_F(CommandHandlerTest, ConnectAccepted) {
  internal::v1::ConnectRequest request;
  request.set_sid("sid-9");
  request.mutable_env()->set_url("/cable?user=ann");
  internal::v1::ConnectResponse response = handler_.Connect(request);
  EXPECT_EQ(response.status(), internal::v1::STATUS_SUCCESS);
  EXPECT_EQ(response.identifiers().at("current_user"), "ann");
  EXPECT_EQ(response.cstate().at("since"), "now");
  EXPECT_THAT(response.transmissions(),
              ElementsAre(protocol::WelcomeFrame("sid-9")));
  EXPECT_FALSE(response.has_disconnect());
}

TEST_F(CommandHandlerTest, ConnectRejected) {
  internal::v1::ConnectRequest request;
  request.mutable_env()->set_url("/cable");
  internal::v1::ConnectResponse response = handler_.Connect(request);
  EXPECT_EQ(response.status(), internal::v1::STATUS_FAILURE);
  EXPECT_THAT(response.identifiers(), IsEmpty());
  EXPECT_THAT(response.transmissions(),
              ElementsAre(protocol::DisconnectFrame("unauthorized", false)));
  EXPECT_EQ(response.disconnect().reason(), "unauthorized");
  EXPECT_FALSE(response.disconnect().reconnect());
}

TEST_F(CommandHandlerTest, ConnectHookThrowingIsAnErrorNotACrash) {
  internal::v1::ConnectRequest request;
  request.mutable_env()->set_url("/cable?user=throw");
  internal::v1::ConnectResponse response = handler_.Connect(request);
  EXPECT_EQ(response.status(), internal::v1::STATUS_ERROR);
  EXPECT_THAT(response.error_msg(), HasSubstr("connect exploded"));
  EXPECT_TRUE(response.has_disconnect());
}

TEST_F(CommandHandlerTest, ConnectProducingNonUtf8IsAnError) {
  internal::v1::ConnectRequest request;
  request.mutable_env()->set_url("/cable?user=bytes");
  internal::v1::ConnectResponse response = handler_.Connect(request);
  EXPECT_EQ(response.status(), internal::v1::STATUS_ERROR);
  EXPECT_THAT(response.error_msg(), HasSubstr("not UTF-8"));
  EXPECT_THAT(response.identifiers(), IsEmpty());
  EXPECT_EQ(response.disconnect().reason(), "server_error");
  // The answer can make the trip to the gateway.
  internal::v1::ConnectResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(response.SerializeAsString()));

  // A query value that is not UTF-8 once decoded is absent: rejected.
  request.mutable_env()->set_url("/cable?user=%FF");
  EXPECT_EQ(handler_.Connect(request).status(), internal::v1::STATUS_FAILURE);
}

TEST_F(CommandHandlerTest, ActionProducingNonUtf8IsAnError) {
  internal::v1::CommandResponse response =
      handler_.Command(Request("message", id_, R"({"action":"raw"})"));
  EXPECT_EQ(response.status(), internal::v1::STATUS_ERROR);
  EXPECT_THAT(response.error_msg(), HasSubstr("stream that is not UTF-8"));
  EXPECT_THAT(response.streams(), IsEmpty());
  internal::v1::CommandResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(response.SerializeAsString()));
}

TEST_F(CommandHandlerTest, SubscribeConfirmsThenTransmitsAndStartsStreams) {
  internal::v1::CommandResponse response =
      handler_.Command(Request("subscribe", id_));
  EXPECT_EQ(response.status(), internal::v1::STATUS_SUCCESS)
      << response.error_msg();
  EXPECT_THAT(response.streams(), ElementsAre("room:a", "TestChannel:Room:1"));
  ASSERT_EQ(response.transmissions_size(), 2);
  EXPECT_EQ(response.transmissions(0), protocol::ConfirmFrame(id_));
  EXPECT_EQ(json::parse(response.transmissions(1)),
            json({{"identifier", id_}, {"message", {{"hello", "sid-1"}}}}));
  EXPECT_TRUE(response.istate_set());
  EXPECT_EQ(response.istate().at("joined"), "yes");
  EXPECT_FALSE(response.subscription_removed());
  EXPECT_FALSE(response.stop_all_streams());
}

TEST_F(CommandHandlerTest, SubscribeReturnsTimers) {
  internal::v1::CommandResponse response =
      handler_.Command(Request("subscribe", id_));
  EXPECT_TRUE(response.timers_set());
  ASSERT_EQ(response.timers_size(), 2);
  EXPECT_EQ(response.timers(0).action(), "echo");
  EXPECT_EQ(response.timers(0).interval_ms(), 1000u);
  EXPECT_EQ(response.timers(1).action(), "tick");
  EXPECT_EQ(response.timers(1).interval_ms(), 50u);
}

TEST_F(CommandHandlerTest, IdentifierIsEchoedExactlyWhateverTheKeyOrder) {
  const std::string id = R"({ "room" : "a", "channel":"TestChannel" })";
  internal::v1::CommandResponse response =
      handler_.Command(Request("subscribe", id));
  EXPECT_EQ(response.status(), internal::v1::STATUS_SUCCESS);
  EXPECT_EQ(response.transmissions(0), protocol::ConfirmFrame(id));
  EXPECT_THAT(response.streams(), ElementsAre("room:a", "TestChannel:Room:1"));
}

TEST_F(CommandHandlerTest, RejectTearsStreamsDown) {
  const std::string id = R"({"channel":"TestChannel","mode":"reject"})";
  internal::v1::CommandResponse response =
      handler_.Command(Request("subscribe", id));
  EXPECT_EQ(response.status(), internal::v1::STATUS_FAILURE);
  EXPECT_THAT(response.streams(), IsEmpty());
  EXPECT_TRUE(response.stop_all_streams());
  EXPECT_TRUE(response.subscription_removed());
  EXPECT_THAT(response.transmissions(), ElementsAre(protocol::RejectFrame(id)));
  EXPECT_FALSE(response.timers_set());
  // Rails does not run unsubscribed for a rejected subscription.
  EXPECT_THAT(*log_, ElementsAre("subscribed " + id));
}

TEST_F(CommandHandlerTest, SubscribedThrowingIsAnErrorWithReject) {
  const std::string id = R"({"channel":"TestChannel","mode":"throw"})";
  internal::v1::CommandResponse response =
      handler_.Command(Request("subscribe", id));
  EXPECT_EQ(response.status(), internal::v1::STATUS_ERROR);
  EXPECT_THAT(response.error_msg(), HasSubstr("boom in subscribed"));
  EXPECT_THAT(response.transmissions(), ElementsAre(protocol::RejectFrame(id)));
  EXPECT_TRUE(response.subscription_removed());
  EXPECT_THAT(response.streams(), IsEmpty());
}

TEST_F(CommandHandlerTest, MalformedIdentifiersOnSubscribe) {
  for (const std::string id : {"not json", R"(["TestChannel"])",
                               R"({"room":"a"})", R"({"channel":null})"}) {
    internal::v1::CommandResponse response =
        handler_.Command(Request("subscribe", id));
    EXPECT_EQ(response.status(), internal::v1::STATUS_ERROR) << id;
    EXPECT_THAT(response.error_msg(), HasSubstr("identifier")) << id;
    EXPECT_THAT(response.transmissions(),
                ElementsAre(protocol::RejectFrame(id)));
    EXPECT_TRUE(response.subscription_removed());
  }
}

TEST_F(CommandHandlerTest, UnknownChannelIsRejected) {
  const std::string id = R"({"channel":"Nope"})";
  internal::v1::CommandResponse response =
      handler_.Command(Request("subscribe", id));
  EXPECT_EQ(response.status(), internal::v1::STATUS_FAILURE);
  EXPECT_THAT(response.error_msg(), HasSubstr("unknown channel \"Nope\""));
  EXPECT_THAT(response.transmissions(), ElementsAre(protocol::RejectFrame(id)));

  response = handler_.Command(Request("message", id, R"({"action":"echo"})"));
  EXPECT_EQ(response.status(), internal::v1::STATUS_ERROR);
  EXPECT_THAT(response.error_msg(), HasSubstr("unknown channel"));
  EXPECT_THAT(response.transmissions(), IsEmpty());
}

TEST_F(CommandHandlerTest, UnknownCommandIsAnError) {
  internal::v1::CommandResponse response =
      handler_.Command(Request("explode", id_));
  EXPECT_EQ(response.status(), internal::v1::STATUS_ERROR);
  EXPECT_THAT(response.error_msg(), HasSubstr("unknown command"));
}

TEST_F(CommandHandlerTest, MessageRunsRegisteredAction) {
  internal::v1::CommandResponse response = handler_.Command(
      Request("message", id_, R"({"action":"echo","text":"hi"})"));
  EXPECT_EQ(response.status(), internal::v1::STATUS_SUCCESS)
      << response.error_msg();
  ASSERT_EQ(response.transmissions_size(), 1);
  EXPECT_EQ(json::parse(response.transmissions(0)),
            json({{"identifier", id_},
                  {"message", {{"action", "echo"}, {"text", "hi"}}}}));
  EXPECT_FALSE(response.istate_set());
  EXPECT_FALSE(response.cstate_set());
  EXPECT_FALSE(response.subscription_removed());
}

TEST_F(CommandHandlerTest, ActionAllowList) {
  for (const std::string action :
       {"nope", "stream_from", "subscribed", "unsubscribed", "reject",
        "transmit", "stop_all_streams", "perform", "tick", "receive"}) {
    internal::v1::CommandResponse response = handler_.Command(
        Request("message", id_, json({{"action", action}}).dump()));
    EXPECT_EQ(response.status(), internal::v1::STATUS_ERROR) << action;
    EXPECT_THAT(response.error_msg(),
                HasSubstr("unknown action \"" + action + "\""));
    EXPECT_THAT(response.transmissions(), IsEmpty());
    EXPECT_FALSE(response.subscription_removed());
    EXPECT_FALSE(response.has_disconnect());
  }
  EXPECT_THAT(*log_, IsEmpty());
}

TEST_F(CommandHandlerTest, FrameworkNamesCannotBeRegistered) {
  Application app;
  auto builder = app.Add<TestChannel>(
      "X", [] { return std::make_unique<TestChannel>(nullptr); });
  EXPECT_THROW(builder.action("subscribed", &TestChannel::echo),
               std::invalid_argument);
  EXPECT_THROW(builder.action("stream_from", &TestChannel::echo),
               std::invalid_argument);
  EXPECT_THROW(builder.periodically("missing", std::chrono::seconds(1)),
               std::invalid_argument);
  builder.action("echo", &TestChannel::echo);
  EXPECT_THROW(builder.action("echo", &TestChannel::echo),
               std::invalid_argument);
  EXPECT_THROW(builder.periodically("echo", std::chrono::milliseconds(0)),
               std::invalid_argument);
  EXPECT_THROW(app.Add<TestChannel>(
                   "X", [] { return std::make_unique<TestChannel>(nullptr); }),
               std::invalid_argument);
}

TEST_F(CommandHandlerTest, MalformedMessageData) {
  for (const std::string data : {"not json", "[1]", R"({"action":5})"}) {
    internal::v1::CommandResponse response =
        handler_.Command(Request("message", id_, data));
    EXPECT_EQ(response.status(), internal::v1::STATUS_ERROR) << data;
    EXPECT_THAT(response.error_msg(), HasSubstr("message")) << data;
  }
}

TEST_F(CommandHandlerTest, ActionThrowingIsAnErrorNotACrash) {
  internal::v1::CommandResponse response =
      handler_.Command(Request("message", id_, R"({"action":"boom"})"));
  EXPECT_EQ(response.status(), internal::v1::STATUS_ERROR);
  EXPECT_THAT(response.error_msg(), HasSubstr("action exploded"));
  EXPECT_FALSE(response.subscription_removed());
}

TEST_F(CommandHandlerTest, ActionChangesStreams) {
  internal::v1::CommandRequest request =
      Request("message", id_, R"({"action":"move","from":"a","to":"b"})");
  request.add_streams("a");
  request.add_streams("c");
  internal::v1::CommandResponse response = handler_.Command(request);
  EXPECT_EQ(response.status(), internal::v1::STATUS_SUCCESS)
      << response.error_msg();
  EXPECT_THAT(response.streams(), ElementsAre("b"));
  EXPECT_THAT(response.stopped_streams(), ElementsAre("a"));
  EXPECT_FALSE(response.stop_all_streams());

  request = Request("message", id_, R"({"action":"stop"})");
  request.add_streams("a");
  response = handler_.Command(request);
  EXPECT_TRUE(response.stop_all_streams());
  EXPECT_THAT(response.streams(), ElementsAre("fresh"));
  EXPECT_THAT(response.stopped_streams(), IsEmpty());
}

TEST_F(CommandHandlerTest, StateRoundTrips) {
  internal::v1::CommandRequest request =
      Request("message", id_, R"({"action":"remember","v":"42"})");
  (*request.mutable_istate())["joined"] = "yes";
  (*request.mutable_cstate())["since"] = "then";
  internal::v1::CommandResponse response = handler_.Command(request);
  EXPECT_EQ(response.status(), internal::v1::STATUS_SUCCESS)
      << response.error_msg();
  EXPECT_TRUE(response.istate_set());
  EXPECT_EQ(response.istate().at("joined"), "yes");
  EXPECT_EQ(response.istate().at("k"), "42");
  EXPECT_TRUE(response.cstate_set());
  EXPECT_EQ(response.cstate().at("since"), "then");
  EXPECT_EQ(response.cstate().at("c"), "seen");
}

TEST_F(CommandHandlerTest, BroadcastToTargetUsesChannelNamespace) {
  StreamRecorder recorder(pubsub_, "TestChannel:Room:1");
  internal::v1::CommandResponse response =
      handler_.Command(Request("message", id_, R"({"action":"shout","n":1})"));
  EXPECT_EQ(response.status(), internal::v1::STATUS_SUCCESS)
      << response.error_msg();
  EXPECT_THAT(recorder.json_messages(),
              ElementsAre(json({{"action", "shout"}, {"n", 1}})));
}

TEST_F(CommandHandlerTest, PeriodicRunsOnlyRegisteredTimers) {
  internal::v1::CommandResponse response =
      handler_.Command(Request("periodic", id_, "tick"));
  EXPECT_EQ(response.status(), internal::v1::STATUS_SUCCESS)
      << response.error_msg();
  EXPECT_THAT(response.transmissions(),
              ElementsAre(protocol::DataFrame(id_, "\"tick\"")));

  // A wire action that is also a timer runs with empty data.
  response = handler_.Command(Request("periodic", id_, "echo"));
  EXPECT_EQ(response.status(), internal::v1::STATUS_SUCCESS);
  EXPECT_THAT(response.transmissions(),
              ElementsAre(protocol::DataFrame(id_, "{}")));

  // A registered action that is not a timer, and unknown names, do not run.
  for (const std::string action : {"shout", "boom", "nope", ""}) {
    response = handler_.Command(Request("periodic", id_, action));
    EXPECT_EQ(response.status(), internal::v1::STATUS_ERROR) << action;
    EXPECT_THAT(response.error_msg(), HasSubstr("no periodic timer"));
  }
}

TEST_F(CommandHandlerTest, UnsubscribeRunsUnsubscribed) {
  internal::v1::CommandRequest request = Request("unsubscribe", id_);
  request.add_streams("room:a");
  (*request.mutable_istate())["k"] = "v";
  internal::v1::CommandResponse response = handler_.Command(request);
  EXPECT_EQ(response.status(), internal::v1::STATUS_SUCCESS)
      << response.error_msg();
  EXPECT_TRUE(response.stop_all_streams());
  EXPECT_TRUE(response.subscription_removed());
  EXPECT_THAT(response.transmissions(), IsEmpty());
  EXPECT_THAT(*log_,
              ElementsAre("unsubscribed " + id_ + " streams=1 istate=v"));
}

TEST_F(CommandHandlerTest, DisconnectRunsUnsubscribedForEverySubscription) {
  internal::v1::DisconnectRequest request;
  request.set_sid("sid-1");
  (*request.mutable_identifiers())["current_user"] = "ann";
  const std::vector<std::string> ids = {
      R"({"channel":"TestChannel","room":"a"})",
      R"({"channel":"TestChannel","mode":"throw_unsub"})",
      R"({"channel":"Gone"})",
      R"({"channel":"TestChannel","room":"b"})",
  };
  for (const auto& id : ids) {
    internal::v1::SubscriptionSnapshot* sub = request.add_subscriptions();
    sub->set_identifier(id);
    sub->add_streams("s");
    (*sub->mutable_istate())["k"] = "v";
  }
  internal::v1::DisconnectResponse response = handler_.Disconnect(request);
  // The failing subscriptions are reported; the others still ran, and the
  // connection's disconnect hook ran last.
  EXPECT_EQ(response.status(), internal::v1::STATUS_ERROR);
  EXPECT_THAT(response.error_msg(), HasSubstr("boom in unsubscribed"));
  EXPECT_THAT(response.error_msg(), HasSubstr("unknown channel \"Gone\""));
  EXPECT_THAT(*log_,
              ElementsAre("unsubscribed " + ids[0] + " streams=1 istate=v",
                          "unsubscribed " + ids[1] + " streams=1 istate=v",
                          "unsubscribed " + ids[3] + " streams=1 istate=v",
                          "disconnect ann"));
}

TEST_F(CommandHandlerTest, DisconnectWithoutSubscriptionsSucceeds) {
  internal::v1::DisconnectRequest request;
  (*request.mutable_identifiers())["current_user"] = "bob";
  internal::v1::DisconnectResponse response = handler_.Disconnect(request);
  EXPECT_EQ(response.status(), internal::v1::STATUS_SUCCESS);
  EXPECT_THAT(*log_, ElementsAre("disconnect bob"));
}

TEST_F(CommandHandlerTest, SubscriptionsAreIndependent) {
  // Sanity check that the handler keeps no per-call state: interleave two
  // subscriptions' commands.
  const std::string other = R"({"channel":"TestChannel","room":"b"})";
  auto first = handler_.Command(Request("subscribe", id_));
  auto second = handler_.Command(Request("subscribe", other));
  EXPECT_THAT(first.streams(),
              UnorderedElementsAre("room:a", "TestChannel:Room:1"));
  EXPECT_THAT(second.streams(),
              UnorderedElementsAre("room:b", "TestChannel:Room:1"));
}

}  // namespace
}  // namespace cable::service
