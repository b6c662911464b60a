#pragma once
// The fixture of the StateChannels tests (state_channels_test.cc and the
// state_channels_*_test.cc beside it): the C++ API of stateful channels
// (StateChannels, Txn, the handler registry) and StateCommandHandler, run
// against both stores: the in-memory one and NatsStateStore on a real
// nats-server with JetStream (one server for the process, a fresh prefix,
// so fresh buckets, per test). Updates are recorded from a real
// InMemoryPubSub, which delivers on the publisher's thread: they are all
// there when LockState returns. The suite is instantiated once, in
// state_channels_test.cc.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "cable/command_kind.h"
#include "cable/in_memory_pubsub.h"
#include "cable/internal/v1/cable.pb.h"
#include "cable/protocol.h"
#include "cable/service/in_memory_state_store.h"
#include "cable/service/nats_state_store.h"
#include "cable/service/state_channels.h"
#include "cable/service/state_command_handler.h"
#include "tests/service/test_util.h"
#include "tests/support/nats_server.h"

namespace cable::service::state_channels_testing {

using ::cable::service::testing::StatusIs;
using ::cable::service::testing::StreamRecorder;
using ::nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// Long enough that no test ever waits for a lease to run out: a lock left
// behind makes the next LockState fail after kLockTimeout instead.
constexpr absl::Duration kLease = absl::Seconds(60);
constexpr absl::Duration kLockTimeout = absl::Seconds(2);
// Bound of every wait for another thread.
constexpr absl::Duration kWait = absl::Seconds(10);

struct StoreFactory {
  std::string name;
  std::function<std::unique_ptr<StateStore>()> make;
};

inline void PrintTo(const StoreFactory& factory, std::ostream* os) {
  *os << factory.name;
}

inline std::unique_ptr<StateStore> MakeInMemoryStore() {
  return std::make_unique<InMemoryStateStore>(kLease);
}

inline std::unique_ptr<StateStore> MakeNatsStore() {
  static std::atomic<int> next{0};
  NatsStateStoreOptions options;
  options.prefix = absl::StrCat("sc", next++);
  options.lock_lease = kLease;
  options.memory_storage = true;
  absl::StatusOr<std::unique_ptr<NatsStateStore>> store =
      NatsStateStore::Connect(::cable::testing::SharedJetStreamServer().url(),
                              options);
  if (!store.ok()) {
    std::fprintf(stderr, "NatsStateStore: %s\n",
                 store.status().ToString().c_str());
    std::abort();
  }
  return *std::move(store);
}

MATCHER_P3(IsGuard, channel, worker, count, "") {
  return arg.channel == channel && arg.worker == worker && arg.count == count;
}

inline json Parse(const std::string& text) { return json::parse(text); }

class StateChannelsTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  StateChannelsTest()
      : store_(GetParam().make()),
        channels_(std::make_unique<StateChannels>(
            *store_, pubsub_,
            StateChannelsOptions{.lock_timeout = kLockTimeout,
                                 .heartbeat_timeout = absl::Seconds(5),
                                 .cleanup_interval = absl::ZeroDuration()})) {}

  StateChannels& channels() { return *channels_; }
  StateStore& store() { return *store_; }

  void Create(const std::string& name, const json& state,
              ChannelOptions options = {}) {
    absl::StatusOr<bool> created =
        channels().CreateChannel(name, state, std::move(options));
    ASSERT_TRUE(created.ok()) << created.status();
    ASSERT_TRUE(*created) << name;
  }

  std::unique_ptr<StreamRecorder> Record(const std::string& name) {
    return std::make_unique<StreamRecorder>(pubsub_,
                                            protocol::StateStream(name));
  }

  ChannelRecord MustGet(const std::string& name) {
    absl::StatusOr<ChannelRecord> record = store().Get(name);
    EXPECT_TRUE(record.ok()) << record.status();
    return record.value_or(ChannelRecord{});
  }

  json StateOf(const std::string& name) { return Parse(MustGet(name).state); }

  std::vector<Guard> Guards() {
    absl::StatusOr<std::vector<Guard>> guards = store().Guards();
    EXPECT_TRUE(guards.ok()) << guards.status();
    return guards.value_or(std::vector<Guard>{});
  }

  // Whether another owner can take `name`'s lock right now (released again
  // at once).
  bool Lockable(const std::string& name) {
    const absl::Status locked =
        store().Lock("probe", {name}, absl::Milliseconds(100));
    store().Unlock("probe", {name});
    return locked.ok();
  }

  InMemoryPubSub pubsub_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<StateChannels> channels_;
};

}  // namespace cable::service::state_channels_testing
