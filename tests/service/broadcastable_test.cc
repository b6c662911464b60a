#include "cable/service/broadcastable.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cable/in_memory_pubsub.h"
#include "tests/service/test_util.h"

namespace cable::service {
namespace {

using ::cable::service::testing::StatusIs;
using ::cable::service::testing::StreamRecorder;
using ::nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Post {
  int id;
  std::string broadcasting_id() const { return "Post:" + std::to_string(id); }
};

TEST(BroadcasterTest, ActionPayloads) {
  InMemoryPubSub pubsub;
  StreamRecorder recorder(pubsub, "posts");
  Broadcaster broadcaster(pubsub);
  ASSERT_TRUE(
      broadcaster.broadcast_append_to("posts", "list", "<li>1</li>").ok());
  ASSERT_TRUE(
      broadcaster.broadcast_replace_to(std::string("posts"), "post_1", "<p/>")
          .ok());
  ASSERT_TRUE(broadcaster.broadcast_remove_to("posts", "post_1").ok());
  ASSERT_TRUE(broadcaster.broadcast_to("posts", {{"any", "thing"}}).ok());
  EXPECT_THAT(recorder.json_messages(),
              ElementsAre(json({{"action", "append"},
                                {"target", "list"},
                                {"content", "<li>1</li>"}}),
                          json({{"action", "replace"},
                                {"target", "post_1"},
                                {"content", "<p/>"}}),
                          json({{"action", "remove"}, {"target", "post_1"}}),
                          json({{"any", "thing"}})));
}

TEST(BroadcasterTest, ModelsStreamToTheirBroadcastingId) {
  InMemoryPubSub pubsub;
  StreamRecorder recorder(pubsub, "Post:7");
  Broadcaster broadcaster(pubsub);
  ASSERT_TRUE(broadcaster.broadcast_append_to(Post{7}, "comments", "c").ok());
  ASSERT_TRUE(broadcaster.broadcast_to(Post{7}, 1).ok());
  EXPECT_THAT(
      recorder.messages(),
      ElementsAre(R"({"action":"append","content":"c","target":"comments"})",
                  "1"));
}

TEST(BroadcasterTest, EmptyStreamIsRejected) {
  InMemoryPubSub pubsub;
  Broadcaster broadcaster(pubsub);
  EXPECT_THAT(broadcaster.broadcast_to("", 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
}

}  // namespace
}  // namespace cable::service
