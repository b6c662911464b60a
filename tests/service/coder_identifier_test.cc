#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cable/coder.h"
#include "cable/service/broadcasting.h"
#include "cable/service/identifier.h"
#include "tests/service/test_util.h"

namespace cable::service {
namespace {

using ::cable::service::testing::StatusIs;
using ::testing::HasSubstr;

TEST(JsonCoderTest, RoundTrips) {
  JsonCoder coder;
  const nlohmann::json value = {
      {"text", "héllo \"quoted\""}, {"n", 42}, {"list", {1, 2.5, nullptr}}};
  const std::string encoded = coder.encode(value);
  absl::StatusOr<nlohmann::json> decoded = coder.decode(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, value);
  EXPECT_EQ(coder.encode("ping"), "\"ping\"");
}

TEST(JsonCoderTest, InvalidInputIsAnError) {
  JsonCoder coder;
  EXPECT_THAT(coder.decode("{not json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("JSON")));
  EXPECT_THAT(coder.decode(""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("JSON")));
}

TEST(ChannelIdentifierTest, ParsesChannelAndParamsInAnyKeyOrder) {
  auto a = ParseChannelIdentifier(R"({"channel":"ChatChannel","room":"x"})");
  auto b = ParseChannelIdentifier(R"({"room":"x","channel":"ChatChannel"})");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->channel, "ChatChannel");
  EXPECT_EQ(a->params, nlohmann::json({{"room", "x"}}));
  EXPECT_EQ(a->params, b->params);
}

TEST(ChannelIdentifierTest, MalformedIdentifiersAreClearErrors) {
  EXPECT_THAT(ParseChannelIdentifier("nope"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not valid JSON")));
  EXPECT_THAT(ParseChannelIdentifier(R"(["ChatChannel"])"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a JSON object")));
  EXPECT_THAT(
      ParseChannelIdentifier(R"({"room":"x"})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"channel\"")));
  EXPECT_THAT(
      ParseChannelIdentifier(R"({"channel":7})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"channel\"")));
}

struct Post {
  int id;
  std::string broadcasting_id() const { return "Post:" + std::to_string(id); }
};

TEST(BroadcastingTest, NamesStreamsForModels) {
  EXPECT_EQ(StreamNameOf(Post{7}), "Post:7");
  EXPECT_EQ(StreamNameOf("posts"), "posts");
  EXPECT_EQ(StreamNameOf(std::string("posts")), "posts");
  EXPECT_EQ(BroadcastingFor("ChatChannel", Post{7}), "ChatChannel:Post:7");
  static_assert(Broadcastable<Post>);
  static_assert(!Broadcastable<int>);
  static_assert(!Streamable<int>);
}

}  // namespace
}  // namespace cable::service
