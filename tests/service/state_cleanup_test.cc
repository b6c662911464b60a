// The stateful channels' guard-cleanup loop on a ManualClock: a dead
// worker's (gateway's) guard counts go at the first pass after its
// heartbeat expired, found by moving the clock instead of waiting.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "cable/in_memory_pubsub.h"
#include "cable/service/clock.h"
#include "cable/service/in_memory_state_store.h"
#include "cable/service/state_channels.h"

namespace cable::service {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class StateCleanupLoopTest : public ::testing::Test {
 protected:
  static constexpr absl::Duration kInterval = absl::Seconds(2);
  static constexpr absl::Duration kHeartbeatEvery = absl::Seconds(1);
  static constexpr absl::Duration kHeartbeatTimeout = absl::Seconds(5);

  StateCleanupLoopTest() {
    channels_.OnCleanup(
        "game",
        [this](const std::string& name, Txn&,
               const std::set<std::string>& alive) -> absl::Status {
          absl::MutexLock lock(&mu_);
          cleaned_.push_back(name);
          alive_seen_.push_back(alive);
          return absl::OkStatus();
        });
  }

  // Moves the clock by `d`, ending the loop's wait, and returns once the
  // loop has made its pass and waits again.
  void PassOneInterval() {
    const std::size_t waits = clock_.waits_started();
    clock_.Advance(kInterval);
    clock_.AwaitWaitsStarted(waits + 1);
  }

  std::vector<std::string> Cleaned() {
    absl::MutexLock lock(&mu_);
    return cleaned_;
  }

  std::vector<std::string> GuardWorkers() {
    std::vector<std::string> workers;
    for (const Guard& g : store_.Guards().value_or(std::vector<Guard>{})) {
      workers.push_back(g.worker);
    }
    return workers;
  }

  ManualClock clock_;
  InMemoryStateStore store_{absl::Seconds(10), clock_};
  InMemoryPubSub pubsub_;
  absl::Mutex mu_;
  std::vector<std::string> cleaned_ ABSL_GUARDED_BY(mu_);
  std::vector<std::set<std::string>> alive_seen_ ABSL_GUARDED_BY(mu_);
  StateChannels channels_{
      store_, pubsub_,
      StateChannelsOptions{.lock_timeout = absl::Seconds(1),
                           .heartbeat_timeout = kHeartbeatTimeout,
                           .cleanup_interval = kInterval,
                           .clock = &clock_}};
};

TEST_F(StateCleanupLoopTest, ADeadWorkersGuardsGoAtTheFirstPassAfterExpiry) {
  ASSERT_TRUE(channels_.CreateChannel("game", nlohmann::json::object()).ok());
  auto guard = [](nlohmann::json&) -> absl::StatusOr<Change> {
    return Change{.events = {}, .guard = 1};
  };
  ASSERT_TRUE(channels_.LockState("game", guard, "w1").ok());
  ASSERT_TRUE(channels_.LockState("game", guard, "w2").ok());
  // Both alive until heartbeat interval + timeout from now (6 s).
  ASSERT_TRUE(channels_.Heartbeat("w1", kHeartbeatEvery).ok());
  ASSERT_TRUE(channels_.Heartbeat("w2", kHeartbeatEvery).ok());
  // The loop's first wait.
  clock_.AwaitWaitsStarted(1);

  // 2 s, 4 s: w1 stopped sending but has not expired yet; w2 keeps
  // sending.
  for (int pass = 0; pass < 2; ++pass) {
    PassOneInterval();
    ASSERT_TRUE(channels_.Heartbeat("w2", kHeartbeatEvery).ok());
    EXPECT_THAT(Cleaned(), IsEmpty()) << pass;
    EXPECT_THAT(GuardWorkers(), ElementsAre("w1", "w2"));
  }
  // 6 s: w1's heartbeat expired; this pass removes its guard count.
  PassOneInterval();
  EXPECT_THAT(Cleaned(), ElementsAre("game"));
  {
    absl::MutexLock lock(&mu_);
    ASSERT_EQ(alive_seen_.size(), 1u);
    EXPECT_THAT(alive_seen_[0], ElementsAre("w2"));
  }
  EXPECT_THAT(GuardWorkers(), ElementsAre("w2"));
  // Once is enough.
  PassOneInterval();
  EXPECT_THAT(Cleaned(), ElementsAre("game"));
}

}  // namespace
}  // namespace cable::service
