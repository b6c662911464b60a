#pragma once
// The StateStore contract suite's fixture, shared by the state_store_*
// tests: the same tests run against every implementation, the in-memory
// store and NatsStateStore on a real nats-server with JetStream (one
// server for the process, a fresh prefix, so fresh buckets, per test).
// The tests of the stores' own timing run on a ManualClock where the time
// is the store's (see UseManualClock).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cable/service/clock.h"
#include "cable/service/in_memory_state_store.h"
#include "cable/service/nats_state_store.h"
#include "cable/service/state_store.h"
#include "tests/service/test_util.h"
#include "tests/support/nats_server.h"

namespace cable::service::state_store_testing {

using ::cable::service::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Stores ("replicas") over one shared backing state.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual StateStore& Replica(int i) = 0;
};

class InMemoryBackend final : public Backend {
 public:
  InMemoryBackend(absl::Duration lease, Clock& clock) : store_(lease, clock) {}
  // One process: every replica is the same store.
  StateStore& Replica(int) override { return store_; }

 private:
  InMemoryStateStore store_;
};

class NatsBackend final : public Backend {
 public:
  NatsBackend(absl::Duration lease, NatsStateStoreOptions base = {}) {
    static std::atomic<int> next{0};
    options_ = std::move(base);
    options_.prefix = absl::StrCat("t", next++);
    options_.lock_lease = lease;
  }
  NatsBackend(absl::Duration lease, Clock* clock) : NatsBackend(lease) {
    options_.clock = clock;
  }
  StateStore& Replica(int i) override {
    absl::MutexLock lock(&mu_);
    while (static_cast<int>(replicas_.size()) <= i) {
      NatsStateStoreOptions options = options_;
      options.name = absl::StrCat("replica-", replicas_.size());
      // Only replica 0 ever "crashes".
      if (!replicas_.empty()) options.crash_at = nullptr;
      absl::StatusOr<std::unique_ptr<NatsStateStore>> store =
          NatsStateStore::Connect(
              ::cable::testing::SharedJetStreamServer().url(), options);
      if (!store.ok()) {
        ADD_FAILURE() << store.status();
        std::abort();
      }
      replicas_.push_back(*std::move(store));
    }
    return *replicas_[i];
  }

 private:
  NatsStateStoreOptions options_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<NatsStateStore>> replicas_ ABSL_GUARDED_BY(mu_);
};

struct BackendFactory {
  std::string name;
  // `clock`: null for the real clock.
  std::function<std::unique_ptr<Backend>(absl::Duration lease, Clock* clock)>
      make;
  // Lock leases and event times are the server's (real time), not the
  // store's Clock.
  bool server_keeps_time = false;
};

inline void PrintTo(const BackendFactory& factory, std::ostream* os) {
  *os << factory.name;
}

inline ChannelSpec Spec(std::string name, std::string state = "{}",
                        std::string type = "", bool keep_events = true) {
  return ChannelSpec{std::move(name), std::move(state), std::move(type),
                     keep_events};
}

inline ChannelWrite Write(std::string name, std::uint64_t expected_revision,
                          std::optional<std::string> state = std::nullopt,
                          std::vector<std::string> events = {}) {
  ChannelWrite w;
  w.name = std::move(name);
  w.expected_revision = expected_revision;
  w.state = std::move(state);
  w.events = std::move(events);
  return w;
}

inline ChannelWrite GuardWrite(std::string name,
                               std::uint64_t expected_revision,
                               std::string worker, std::int64_t delta,
                               std::vector<std::string> clear = {}) {
  ChannelWrite w = Write(std::move(name), expected_revision);
  w.worker = std::move(worker);
  w.guard_delta = delta;
  w.clear_guards_of = std::move(clear);
  return w;
}

inline std::vector<std::uint64_t> Ids(const std::vector<StoredEvent>& events) {
  std::vector<std::uint64_t> ids;
  for (const StoredEvent& e : events) ids.push_back(e.id);
  return ids;
}

inline std::vector<std::uint64_t> Range(std::uint64_t from, std::uint64_t to) {
  std::vector<std::uint64_t> ids;
  for (std::uint64_t i = from; i <= to; ++i) ids.push_back(i);
  return ids;
}

inline std::string Owner() {
  static std::atomic<int> next{0};
  return absl::StrCat("owner-", next++);
}

// Waits until the real clock has passed `t`: for times a server keeps
// (NatsStateStore's lease and event timestamps). This waits for time, not
// for another thread; the stores' own time runs on a ManualClock instead.
inline void WaitUntilPast(absl::Time t) {
  while (absl::Now() <= t) absl::SleepFor(absl::Milliseconds(5));
}

MATCHER_P3(IsGuard, channel, worker, count, "") {
  return arg.channel == channel && arg.worker == worker && arg.count == count;
}

class StateStoreTest : public ::testing::TestWithParam<BackendFactory> {
 protected:
  // Before the first store() call.
  void UseLease(absl::Duration lease) { lease_ = lease; }
  // Before the first store() call: the stores run on a ManualClock, and
  // Now/Pass/PassUntil/WhilePassing move it instead of waiting.
  void UseManualClock() { clock_ = std::make_unique<ManualClock>(absl::Now()); }
  bool ServerKeepsTime() const { return GetParam().server_keeps_time; }

  StateStore& store(int replica = 0) {
    if (!backend_) backend_ = GetParam().make(lease_, clock_.get());
    return backend_->Replica(replica);
  }

  // The stores' time.
  absl::Time Now() { return clock_ ? clock_->Now() : absl::Now(); }
  // Lets `d` pass: the manual clock moves; real time (a server's clock,
  // which is what such a test then measures) is waited for.
  void Pass(absl::Duration d) {
    if (clock_) {
      clock_->Advance(d);
    } else {
      absl::SleepFor(d);
    }
  }
  // Until the stores' time is past `t`.
  void PassUntil(absl::Time t) {
    if (!clock_) return WaitUntilPast(t);
    const absl::Time now = clock_->Now();
    if (now <= t) clock_->Advance(t - now + absl::Nanoseconds(1));
  }
  // A moment: distinct times on the manual clock; real time moves anyway.
  void Tick() {
    if (clock_) clock_->Advance(absl::Milliseconds(1));
  }
  // Runs `f`, a call that waits on the stores' clock, while `d` passes:
  // on the manual clock, once `f` waits, the clock moves by `d`.
  template <typename F>
  auto WhilePassing(absl::Duration d, F f) -> decltype(f()) {
    if (!clock_) return f();
    std::optional<decltype(f())> result;
    std::thread waiter([&] { result.emplace(f()); });
    clock_->AwaitWaiters(1);
    clock_->Advance(d);
    waiter.join();
    return *std::move(result);
  }

  void Create(const ChannelSpec& spec) {
    absl::StatusOr<bool> created = store().Create(spec);
    ASSERT_TRUE(created.ok()) << created.status();
    ASSERT_TRUE(*created);
  }

  // Lock, commit, unlock with a fresh owner.
  absl::StatusOr<std::vector<CommitResult>> Apply(
      std::vector<ChannelWrite> writes, int replica = 0) {
    const std::string owner = Owner();
    std::vector<std::string> names;
    for (const ChannelWrite& w : writes) names.push_back(w.name);
    StateStore& s = store(replica);
    if (absl::Status locked = s.Lock(owner, names, absl::Seconds(10));
        !locked.ok()) {
      return locked;
    }
    absl::StatusOr<std::vector<CommitResult>> result = s.Commit(owner, writes);
    s.Unlock(owner, names);
    return result;
  }

  ChannelRecord MustGet(absl::string_view name, int replica = 0) {
    absl::StatusOr<ChannelRecord> record = store(replica).Get(name);
    EXPECT_TRUE(record.ok()) << record.status();
    return record.value_or(ChannelRecord{});
  }

  std::vector<StoredEvent> MustEvents(absl::string_view name,
                                      std::uint64_t after,
                                      std::optional<std::uint64_t> limit) {
    absl::StatusOr<std::vector<StoredEvent>> events =
        store().Events(name, after, limit);
    EXPECT_TRUE(events.ok()) << events.status();
    return events.value_or(std::vector<StoredEvent>{});
  }

  void AppendEvents(const std::string& name, int count) {
    // Events appended later are younger: distinct times on a manual clock.
    Tick();
    const ChannelRecord r = MustGet(name);
    std::vector<std::string> events;
    for (int i = 0; i < count; ++i) {
      events.push_back(absl::StrCat("{\"n\":", r.last_event_id + 1 + i, "}"));
    }
    absl::StatusOr<std::vector<CommitResult>> result =
        Apply({Write(name, r.revision, std::nullopt, events)});
    ASSERT_TRUE(result.ok()) << result.status();
  }

  void Report(const std::string& what, absl::Duration d) {
    std::printf("[   TIME   ] %s %s: %s\n", GetParam().name.c_str(),
                what.c_str(), absl::FormatDuration(d).c_str());
    RecordProperty(what, absl::FormatDuration(d));
  }

 private:
  absl::Duration lease_ = absl::Seconds(10);
  // Before backend_: outlives the stores.
  std::unique_ptr<ManualClock> clock_;
  std::unique_ptr<Backend> backend_;
};

// A JSON string of `size` bytes whose content is not periodic, so that
// chunks in the wrong order would show.
inline std::string BigJson(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s = "\"";
  while (s.size() < size - 1) s.push_back(static_cast<char>('a' + rng() % 26));
  s.push_back('"');
  return s;
}

// Both backends (INSTANTIATE_TEST_SUITE_P in state_store_test.cc).
inline std::vector<BackendFactory> AllBackends() {
  return {BackendFactory{"InMemory",
                         [](absl::Duration lease,
                            Clock* clock) -> std::unique_ptr<Backend> {
                           return std::make_unique<InMemoryBackend>(
                               lease, clock != nullptr ? *clock : RealClock());
                         },
                         false},
          BackendFactory{"Nats",
                         [](absl::Duration lease,
                            Clock* clock) -> std::unique_ptr<Backend> {
                           return std::make_unique<NatsBackend>(lease, clock);
                         },
                         true}};
}

}  // namespace cable::service::state_store_testing
