#include "cable/service/connection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/service/test_util.h"

namespace cable::service {
namespace {

using ::cable::service::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;

TEST(ConnectionEnvTest, QueryParamDecodesAndFindsFirst) {
  ConnectionEnv env;
  env.url = "/cable?token=a%2Bb%3D&user=ann+lee&user=bob&flag&x=1#frag";
  EXPECT_THAT(env.query_param("token"), Optional(std::string("a+b=")));
  EXPECT_THAT(env.query_param("user"), Optional(std::string("ann lee")));
  EXPECT_THAT(env.query_param("flag"), Optional(std::string("")));
  EXPECT_THAT(env.query_param("x"), Optional(std::string("1")));
  EXPECT_EQ(env.query_param("missing"), std::nullopt);
}

TEST(ConnectionEnvTest, NoQueryAndMalformedEscapes) {
  ConnectionEnv env;
  env.url = "/cable";
  EXPECT_EQ(env.query_param("token"), std::nullopt);
  env.url = "/cable?t=%zz%4";
  EXPECT_THAT(env.query_param("t"), Optional(std::string("%zz%4")));
}

TEST(ConnectionEnvTest, QueryParamNotUtf8IsAbsent) {
  ConnectionEnv env;
  env.url = "/cable?user=%FF&name=caf%C3%A9";
  EXPECT_EQ(env.query_param("user"), std::nullopt);
  EXPECT_THAT(env.query_param("name"), Optional(std::string("caf\xC3\xA9")));
}

TEST(ConnectionEnvTest, HeadersAreCaseInsensitive) {
  ConnectionEnv env;
  env.headers["authorization"] = "Bearer x";
  env.cookies["session"] = "s1";
  EXPECT_THAT(env.header("Authorization"), Optional(std::string("Bearer x")));
  EXPECT_EQ(env.header("cookie"), std::nullopt);
  EXPECT_THAT(env.cookie("session"), Optional(std::string("s1")));
}

TEST(ConnectionClassTest, DeclaredIdentifiersReadBack) {
  ConnectionClass connection_class;
  connection_class.identified_by({"current_user", "account"})
      .identified_by({"current_user"});
  EXPECT_THAT(connection_class.declared_identifiers(),
              ElementsAre("current_user", "account"));

  ConnectionState state;
  state.sid = "sid-1";
  state.identifiers = {{"current_user", "ann"}, {"undeclared", "x"}};
  std::unique_ptr<Connection> connection =
      connection_class.Create(std::move(state));
  EXPECT_EQ(connection->sid(), "sid-1");
  EXPECT_EQ(connection->identifier("current_user").value_or(""), "ann");
  EXPECT_THAT(connection->identifier("account"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("not set")));
  EXPECT_THAT(connection->identifier("undeclared"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not declared with identified_by")));
  // Undeclared identifiers still travel.
  EXPECT_EQ(connection->identifiers().at("undeclared"), "x");
}

class CountingConnection final : public Connection {
 public:
  void connect() override {
    set_identifier("current_user", "me");
    cstate()["n"] = "1";
    reject_unauthorized_connection();
  }
};

TEST(ConnectionClassTest, FactoryBuildsSubclass) {
  ConnectionClass connection_class(
      [] { return std::make_unique<CountingConnection>(); });
  auto connection = connection_class.Create({});
  EXPECT_FALSE(connection->is_rejected());
  connection->connect();
  EXPECT_TRUE(connection->is_rejected());
  EXPECT_EQ(connection->identifiers().at("current_user"), "me");
  EXPECT_EQ(connection->cstate().at("n"), "1");
  EXPECT_NE(dynamic_cast<CountingConnection*>(connection.get()), nullptr);
}

}  // namespace
}  // namespace cable::service
