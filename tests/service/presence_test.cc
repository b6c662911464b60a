// Presence over both PresenceStores (in memory, and JetStream on a real
// nats-server): the events a join, leave or detach publishes, a member per
// id, the ttl after a close and the sweep of dead gateways, on a manual
// clock.
#include "cable/service/presence.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "cable/in_memory_pubsub.h"
#include "cable/protocol.h"
#include "cable/service/clock.h"
#include "cable/service/jetstream_presence_store.h"
#include "cable/service/presence_store.h"
#include "tests/support/nats_server.h"

namespace cable::service {
namespace {

using ::nlohmann::json;
using ::testing::ElementsAre;

enum class Backend { kMemory, kJetStream };

std::unique_ptr<PresenceStore> MakeStore(Backend backend) {
  if (backend == Backend::kMemory) {
    return std::make_unique<InMemoryPresenceStore>();
  }
  // A prefix of its own per test: the server is shared.
  absl::BitGen gen;
  JetStreamPresenceStoreOptions options;
  options.prefix = absl::StrCat("p", absl::Uniform<std::uint32_t>(gen));
  options.memory_storage = true;
  auto store = JetStreamPresenceStore::Connect(
      ::cable::testing::SharedJetStreamServer().url(), options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

class PresenceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    store_ = MakeStore(GetParam());
    ASSERT_NE(store_, nullptr);
    PresenceOptions options;
    options.ttl = absl::Seconds(15);
    options.sweep_interval = absl::ZeroDuration();  // Sweep() by hand
    options.gateway_grace = absl::Seconds(10);
    options.clock = &clock_;
    presence_ = std::make_unique<Presence>(
        *store_, pubsub_,
        [this]() -> absl::StatusOr<std::vector<std::string>> {
          absl::MutexLock lock(&mu_);
          return alive_;
        },
        options);
    pubsub_.Subscribe(
        protocol::PresenceStream("room"),
        [this](absl::string_view, absl::string_view message) {
          absl::MutexLock lock(&mu_);
          events_.push_back(json::parse(message));
        },
        [](absl::Status) {});
  }

  // The events published since the last call.
  std::vector<json> Events() {
    absl::MutexLock lock(&mu_);
    return std::exchange(events_, {});
  }
  std::vector<std::string> Ids() {
    absl::StatusOr<std::vector<PresenceMember>> members =
        presence_->Members("room");
    EXPECT_TRUE(members.ok()) << members.status();
    std::vector<std::string> out;
    if (!members.ok()) return out;
    for (const PresenceMember& m : *members) out.push_back(m.id);
    return out;
  }
  void SetAlive(std::vector<std::string> gateways) {
    absl::MutexLock lock(&mu_);
    alive_ = std::move(gateways);
  }

  ManualClock clock_;
  InMemoryPubSub pubsub_;
  std::unique_ptr<PresenceStore> store_;
  std::unique_ptr<Presence> presence_;
  absl::Mutex mu_;
  std::vector<json> events_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> alive_ ABSL_GUARDED_BY(mu_) = {"gw1", "gw2"};
};

json JoinEvent(const std::string& id, const json& info) {
  return {{"type", "join"}, {"id", id}, {"info", info}};
}
json LeaveEvent(const std::string& id) {
  return {{"type", "leave"}, {"id", id}};
}

TEST_P(PresenceTest, AMemberPerIdWithEventsForTheFirstAndLastConnection) {
  ASSERT_TRUE(
      presence_->Join("room", "gw1.a", R"({"id":"u1","info":{"n":1}})").ok());
  EXPECT_THAT(Events(), ElementsAre(JoinEvent("u1", {{"n", 1}})));
  // The same id from another connection (another gateway): no event.
  ASSERT_TRUE(
      presence_->Join("room", "gw2.b", R"({"id":"u1","info":{"n":2}})").ok());
  EXPECT_THAT(Events(), ElementsAre());
  // Numbers are ids too; no info is null.
  ASSERT_TRUE(presence_->Join("room", "gw1.c", R"({"id":7})").ok());
  EXPECT_THAT(Events(), ElementsAre(JoinEvent("7", nullptr)));
  EXPECT_THAT(Ids(), ElementsAre("7", "u1"));
  // The id's latest join gives its info.
  EXPECT_EQ(json::parse(presence_->Members("room")->at(1).info),
            json({{"n", 2}}));
  auto stats = presence_->Stats("room").value();
  EXPECT_EQ(stats.num_clients, 3u);
  EXPECT_EQ(stats.num_users, 2u);

  ASSERT_TRUE(presence_->Leave("room", "gw1.a").ok());
  EXPECT_THAT(Events(), ElementsAre());  // gw2.b is still u1
  ASSERT_TRUE(presence_->Leave("room", "gw2.b").ok());
  EXPECT_THAT(Events(), ElementsAre(LeaveEvent("u1")));
  ASSERT_TRUE(presence_->Leave("room", "gw2.b").ok());  // twice: nothing
  ASSERT_TRUE(presence_->Leave("room", "gw1.c").ok());
  EXPECT_THAT(Events(), ElementsAre(LeaveEvent("7")));
  EXPECT_THAT(Ids(), ElementsAre());
  EXPECT_THAT(store_->Streams().value(), ElementsAre());
}

TEST_P(PresenceTest, AClosedConnectionStaysForTheTtlThenTheSweepEndsIt) {
  ASSERT_TRUE(presence_->Join("room", "gw1.a", R"({"id":"u1"})").ok());
  Events();
  ASSERT_TRUE(presence_->Detach("room", "gw1.a").ok());
  EXPECT_THAT(Events(), ElementsAre());
  EXPECT_THAT(Ids(), ElementsAre("u1"));
  // Back within the ttl (a new connection): no flapping.
  clock_.Advance(absl::Seconds(10));
  ASSERT_TRUE(presence_->Join("room", "gw1.b", R"({"id":"u1"})").ok());
  EXPECT_THAT(Events(), ElementsAre());
  // The live connection took over the closed one's presence.
  EXPECT_EQ(presence_->Stats("room").value().num_clients, 1u);
  clock_.Advance(absl::Seconds(6));
  EXPECT_EQ(presence_->Sweep().value(), 0);
  ASSERT_TRUE(presence_->Detach("room", "gw1.b").ok());
  clock_.Advance(absl::Seconds(14));
  EXPECT_EQ(presence_->Sweep().value(), 0);
  clock_.Advance(absl::Seconds(2));
  // Expired: reads leave it out at once, the sweep tells the subscribers.
  EXPECT_THAT(Ids(), ElementsAre());
  EXPECT_EQ(presence_->Sweep().value(), 1);
  EXPECT_THAT(Events(), ElementsAre(LeaveEvent("u1")));

  // Back on a new connection, then an explicit leave: the member leaves at
  // once, not when the closed connection's ttl runs out.
  ASSERT_TRUE(presence_->Join("room", "gw1.c", R"({"id":"u2"})").ok());
  ASSERT_TRUE(presence_->Detach("room", "gw1.c").ok());
  ASSERT_TRUE(presence_->Join("room", "gw1.d", R"({"id":"u2"})").ok());
  ASSERT_TRUE(presence_->Leave("room", "gw1.d").ok());
  EXPECT_THAT(Events(),
              ElementsAre(JoinEvent("u2", nullptr), LeaveEvent("u2")));
}

TEST_P(PresenceTest, ADeadGatewaysMembersLeaveAfterTheGrace) {
  ASSERT_TRUE(presence_->Join("room", "gw1.a", R"({"id":"u1"})").ok());
  ASSERT_TRUE(presence_->Join("room", "gw2.b", R"({"id":"u2"})").ok());
  Events();
  SetAlive({"gw2"});
  // Too young to judge: its gateway may not have heartbeated yet.
  EXPECT_EQ(presence_->Sweep().value(), 0);
  clock_.Advance(absl::Seconds(11));
  EXPECT_EQ(presence_->Sweep().value(), 1);
  EXPECT_THAT(Events(), ElementsAre(LeaveEvent("u1")));
  EXPECT_THAT(Ids(), ElementsAre("u2"));
  // A second sweep (another replica's) finds nothing left to do.
  EXPECT_EQ(presence_->Sweep().value(), 0);
  EXPECT_THAT(Events(), ElementsAre());
}

TEST_P(PresenceTest, BadPresenceIsRefusedWithAReason) {
  for (const char* bad : {R"("u1")", R"({"id":""})", R"({"info":1})",
                          R"({"id":true})", "not json"}) {
    absl::Status s = presence_->Join("room", "gw1.a", bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  const std::string big =
      absl::StrCat(R"({"id":"u","info":")", std::string(5000, 'x'), R"("})");
  EXPECT_EQ(presence_->Join("room", "gw1.a", big).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Events(), ElementsAre());
  EXPECT_EQ(
      Presence::InfoMessage({{"a", R"({"x":1})"}}),
      R"({"records":[{"id":"a","info":{"x":1}}],"total":1,"type":"info"})");
}

INSTANTIATE_TEST_SUITE_P(Stores, PresenceTest,
                         ::testing::Values(Backend::kMemory,
                                           Backend::kJetStream),
                         [](const auto& info) {
                           return info.param == Backend::kMemory ? "Memory"
                                                                 : "JetStream";
                         });

TEST(PresenceSetCodec, RoundTripsAndRefusesGarbage) {
  std::vector<PresenceSession> set = {
      {"gw.a", "u1", R"({"n":1})", absl::FromUnixMillis(5), std::nullopt},
      {"gw.b", "u2", "null", absl::FromUnixMillis(6), absl::FromUnixMillis(9)}};
  EXPECT_EQ(DecodePresenceSet(EncodePresenceSet(set)).value(), set);
  EXPECT_TRUE(DecodePresenceSet("").value().empty());
  EXPECT_EQ(DecodePresenceSet("{}").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodePresenceSet(R"([{"sid":1}])").status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace cable::service
