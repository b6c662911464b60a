#include "cable/service/demo/default_application.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "cable/command_kind.h"
#include "cable/in_memory_pubsub.h"
#include "cable/internal/v1/cable.pb.h"
#include "cable/protocol.h"
#include "cable/service/command_handler.h"
#include "cable/service/jwt_authenticator.h"
#include "cable/service/signed_stream_verifier.h"
#include "tests/service/test_util.h"
#include "tests/support/test_jwt.h"

namespace cable::service {
namespace {

using ::cable::service::testing::StatusIs;
using ::cable::service::testing::StreamRecorder;
using ::cable::testing::JwtAlgorithm;
using ::cable::testing::MintJwt;
using ::cable::testing::UnixTimeIn;
using ::nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kJwtSecret[] = "jwt-secret";
constexpr char kStreamsSecret[] = "streams-secret";

TEST(JwtTest, ValidTokenGivesSubject) {
  const std::string token =
      MintJwt(kJwtSecret, "user-1", UnixTimeIn(std::chrono::hours(1)));
  EXPECT_EQ(VerifyJwtSubject(token, kJwtSecret).value_or(""), "user-1");
  EXPECT_EQ(VerifyJwtSubject(MintJwt(kJwtSecret, "u", std::nullopt), kJwtSecret)
                .value_or(""),
            "u");
}

TEST(JwtTest, InvalidTokensAreUnauthenticated) {
  const auto hour = std::chrono::hours(1);
  const std::string good = MintJwt(kJwtSecret, "user-1", UnixTimeIn(hour));
  std::string tampered = good;
  tampered[tampered.find('.') + 2] ^= 1;  // change the payload
  const std::vector<std::string> bad = {
      "",
      "garbage",
      tampered,
      good.substr(0, good.rfind('.')),                      // no signature
      MintJwt("other-secret", "user-1", UnixTimeIn(hour)),  // wrong key
      MintJwt(kJwtSecret, "user-1", UnixTimeIn(-hour)),     // expired
      MintJwt(kJwtSecret, "", UnixTimeIn(hour)),            // no sub
      MintJwt(kJwtSecret, "user-1", UnixTimeIn(hour), JwtAlgorithm::kNone),
      MintJwt(kJwtSecret, "user-1", UnixTimeIn(hour), JwtAlgorithm::kHs512),
  };
  for (const auto& token : bad) {
    EXPECT_THAT(VerifyJwtSubject(token, kJwtSecret),
                StatusIs(absl::StatusCode::kUnauthenticated))
        << token;
  }
  EXPECT_THAT(VerifyJwtSubject(good, ""),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(JwtTest, ExpiryIsCheckedAgainstTheGivenClock) {
  const std::int64_t exp = UnixTimeIn(std::chrono::hours(1));
  const std::string token = MintJwt(kJwtSecret, "u", exp);
  const auto at = [](long t) {
    return std::chrono::system_clock::time_point(std::chrono::seconds(t));
  };
  EXPECT_TRUE(VerifyJwtSubject(token, kJwtSecret, at(exp - 1)).ok());
  EXPECT_THAT(
      VerifyJwtSubject(token, kJwtSecret, at(exp)),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));
}

TEST(JwtTest, ExpiryFarInTheFutureIsClampedNotOverflowed) {
  // 19,700,000,010 s (year 2594) in nanoseconds does not fit system_clock;
  // found by the jwt fuzzer (tests/fuzz/regressions/jwt).
  const std::string token = MintJwt(kJwtSecret, "u", 19700000010L);
  absl::StatusOr<JwtClaims> claims = VerifyJwt(token, kJwtSecret);
  ASSERT_TRUE(claims.ok()) << claims.status();
  ASSERT_TRUE(claims->expires_at.has_value());
  EXPECT_GT(*claims->expires_at, std::chrono::system_clock::now() +
                                     std::chrono::hours(24 * 365 * 200));
}

class DefaultApplicationTest : public ::testing::Test {
 protected:
  explicit DefaultApplicationTest(std::string jwt_secret = kJwtSecret)
      : app_(MakeDefaultApplication({.streams_secret = kStreamsSecret,
                                     .jwt_secret = std::move(jwt_secret)})),
        handler_(*app_, pubsub_) {}

  internal::v1::ConnectResponse Connect(const std::string& url,
                                        const std::string& authorization = "") {
    internal::v1::ConnectRequest request;
    request.set_sid("sid-1");
    request.mutable_env()->set_url(url);
    if (!authorization.empty()) {
      (*request.mutable_env()->mutable_headers())["authorization"] =
          authorization;
    }
    return handler_.Connect(request);
  }

  internal::v1::CommandRequest Request(const std::string& command,
                                       const std::string& identifier,
                                       const std::string& data = "",
                                       const std::string& user = "ann") {
    internal::v1::CommandRequest request;
    request.set_kind(protocol::CommandKindNamed(command).value_or(
        internal::v1::COMMAND_KIND_UNSPECIFIED));
    request.set_identifier(identifier);
    request.set_data(data);
    request.set_sid("sid-1");
    if (!user.empty()) (*request.mutable_identifiers())["current_user"] = user;
    return request;
  }

  InMemoryPubSub pubsub_;
  std::unique_ptr<Application> app_;
  CommandHandler handler_;
};

TEST_F(DefaultApplicationTest, RegistersShippedChannels) {
  EXPECT_THAT(
      app_->ChannelNames(),
      ElementsAre("ChatChannel", "PresenceChannel", "Turbo::StreamsChannel"));
  EXPECT_THAT(app_->connection_class().declared_identifiers(),
              ElementsAre("current_user"));
}

TEST_F(DefaultApplicationTest, JwtFromQueryParameter) {
  const std::string token =
      MintJwt(kJwtSecret, "user-7", UnixTimeIn(std::chrono::hours(1)));
  internal::v1::ConnectResponse response = Connect("/cable?token=" + token);
  EXPECT_EQ(response.status(), internal::v1::STATUS_SUCCESS)
      << response.error_msg();
  EXPECT_EQ(response.identifiers().at("current_user"), "user-7");
  EXPECT_THAT(response.transmissions(),
              ElementsAre(protocol::WelcomeFrame("sid-1")));
}

TEST_F(DefaultApplicationTest, JwtFromBearerHeader) {
  const std::string token =
      MintJwt(kJwtSecret, "user-8", UnixTimeIn(std::chrono::hours(1)));
  internal::v1::ConnectResponse response = Connect("/cable", "Bearer " + token);
  EXPECT_EQ(response.status(), internal::v1::STATUS_SUCCESS)
      << response.error_msg();
  EXPECT_EQ(response.identifiers().at("current_user"), "user-8");
}

TEST_F(DefaultApplicationTest, BadJwtIsUnauthorized) {
  const auto hour = std::chrono::hours(1);
  std::string tampered = MintJwt(kJwtSecret, "user-7", UnixTimeIn(hour));
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  for (const std::string& url :
       {std::string("/cable"), std::string("/cable?token="),
        std::string("/cable?user=mallory"), "/cable?token=" + tampered,
        "/cable?token=" + MintJwt(kJwtSecret, "user-7", UnixTimeIn(-hour))}) {
    internal::v1::ConnectResponse response = Connect(url);
    EXPECT_EQ(response.status(), internal::v1::STATUS_FAILURE) << url;
    EXPECT_THAT(response.identifiers(), IsEmpty());
    EXPECT_THAT(response.transmissions(),
                ElementsAre(protocol::DisconnectFrame("unauthorized", false)));
    EXPECT_EQ(response.disconnect().reason(), "unauthorized");
    EXPECT_FALSE(response.disconnect().reconnect());
  }
  EXPECT_EQ(Connect("/cable", "Basic abc").status(),
            internal::v1::STATUS_FAILURE);
}

class AnonymousApplicationTest : public DefaultApplicationTest {
 protected:
  AnonymousApplicationTest() : DefaultApplicationTest("") {}
};

TEST_F(AnonymousApplicationTest, AcceptsEveryoneAndTakesUserParam) {
  internal::v1::ConnectResponse response = Connect("/cable?user=ann%20lee");
  EXPECT_EQ(response.status(), internal::v1::STATUS_SUCCESS);
  EXPECT_EQ(response.identifiers().at("current_user"), "ann lee");
  response = Connect("/cable");
  EXPECT_EQ(response.status(), internal::v1::STATUS_SUCCESS);
  EXPECT_THAT(response.identifiers(), IsEmpty());
}

TEST_F(DefaultApplicationTest, ChatSpeakBroadcastsToTheRoom) {
  const std::string id = R"({"channel":"ChatChannel","room":"lobby"})";
  internal::v1::CommandResponse response =
      handler_.Command(Request("subscribe", id));
  EXPECT_EQ(response.status(), internal::v1::STATUS_SUCCESS)
      << response.error_msg();
  EXPECT_THAT(response.streams(), ElementsAre("chat:lobby"));
  EXPECT_THAT(response.transmissions(),
              ElementsAre(protocol::ConfirmFrame(id)));

  StreamRecorder recorder(pubsub_, "chat:lobby");
  response = handler_.Command(
      Request("message", id, R"({"action":"speak","message":"hi"})"));
  EXPECT_EQ(response.status(), internal::v1::STATUS_SUCCESS)
      << response.error_msg();
  EXPECT_THAT(response.transmissions(), IsEmpty());
  response = handler_.Command(
      Request("message", id, R"({"action":"speak","message":{"x":[1]}})", ""));
  EXPECT_EQ(response.status(), internal::v1::STATUS_SUCCESS)
      << response.error_msg();
  EXPECT_THAT(recorder.json_messages(),
              ElementsAre(json({{"message", "hi"}, {"user", "ann"}}),
                          json({{"message", {{"x", {1}}}}})));
}

TEST_F(DefaultApplicationTest, ChatNeedsARoom) {
  for (const std::string id : {R"({"channel":"ChatChannel"})",
                               R"({"channel":"ChatChannel","room":""})",
                               R"({"channel":"ChatChannel","room":3})"}) {
    internal::v1::CommandResponse response =
        handler_.Command(Request("subscribe", id));
    EXPECT_EQ(response.status(), internal::v1::STATUS_FAILURE) << id;
    EXPECT_THAT(response.transmissions(),
                ElementsAre(protocol::RejectFrame(id)));
    EXPECT_THAT(response.streams(), IsEmpty());
  }
}

TEST_F(DefaultApplicationTest, TurboStreamsChannelVerifiesSignedNames) {
  SignedStreamVerifier verifier(kStreamsSecret);
  const std::string good =
      json({{"channel", "Turbo::StreamsChannel"},
            {"signed_stream_name", verifier.Sign("gid://app/Post/1")}})
          .dump();
  internal::v1::CommandResponse response =
      handler_.Command(Request("subscribe", good));
  EXPECT_EQ(response.status(), internal::v1::STATUS_SUCCESS)
      << response.error_msg();
  EXPECT_THAT(response.streams(), ElementsAre("gid://app/Post/1"));

  std::string tampered_name = verifier.Sign("gid://app/Post/1");
  tampered_name.back() = tampered_name.back() == '0' ? '1' : '0';
  for (const json& params :
       {json({{"signed_stream_name", tampered_name}}),
        json({{"signed_stream_name",
               SignedStreamVerifier("wrong").Sign("gid://app/Post/1")}}),
        json({{"signed_stream_name", 5}}), json::object()}) {
    json identifier = params;
    identifier["channel"] = "Turbo::StreamsChannel";
    response = handler_.Command(Request("subscribe", identifier.dump()));
    EXPECT_EQ(response.status(), internal::v1::STATUS_FAILURE) << identifier;
    EXPECT_THAT(response.streams(), IsEmpty());
    EXPECT_TRUE(response.subscription_removed());
  }
}

TEST_F(DefaultApplicationTest, PresenceJoinLeaveAndPing) {
  StreamRecorder recorder(pubsub_, "presence:lobby");
  const std::string id = R"({"channel":"PresenceChannel","room":"lobby"})";
  internal::v1::CommandResponse response =
      handler_.Command(Request("subscribe", id));
  EXPECT_EQ(response.status(), internal::v1::STATUS_SUCCESS)
      << response.error_msg();
  EXPECT_THAT(response.streams(), ElementsAre("presence:lobby"));
  ASSERT_EQ(response.timers_size(), 1);
  EXPECT_EQ(response.timers(0).action(), "ping");
  EXPECT_EQ(response.timers(0).interval_ms(), 3000u);

  response = handler_.Command(Request("periodic", id, "ping"));
  EXPECT_EQ(response.status(), internal::v1::STATUS_SUCCESS)
      << response.error_msg();
  EXPECT_THAT(response.transmissions(),
              ElementsAre(protocol::DataFrame(id, "\"ping\"")));
  // The timer's action is not a client action.
  response = handler_.Command(Request("message", id, R"({"action":"ping"})"));
  EXPECT_EQ(response.status(), internal::v1::STATUS_ERROR);

  // Disconnect of an anonymous connection: "who" falls back to the sid.
  internal::v1::DisconnectRequest disconnect;
  disconnect.set_sid("sid-2");
  disconnect.add_subscriptions()->set_identifier(id);
  EXPECT_EQ(handler_.Disconnect(disconnect).status(),
            internal::v1::STATUS_SUCCESS);
  EXPECT_THAT(recorder.json_messages(),
              ElementsAre(json({{"event", "join"}, {"who", "ann"}}),
                          json({{"event", "leave"}, {"who", "sid-2"}})));
}

}  // namespace
}  // namespace cable::service
