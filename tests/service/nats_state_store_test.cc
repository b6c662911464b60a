// NatsStateStore alone, on a real nats-server: Connect, and the recovery
// of commits whose writer died (NatsStateStoreOptions::crash_at). The
// recovering replica waits for the server's lease, in real time.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/service/state_store_fixture.h"

namespace cable::service::state_store_testing {
namespace {

TEST(NatsStateStoreTest, ConnectChecksOptionsAndKeepsExistingBuckets) {
  NatsStateStoreOptions options;
  options.prefix = "bad.prefix";
  EXPECT_THAT(NatsStateStore::Connect(
                  ::cable::testing::SharedJetStreamServer().url(), options),
              StatusIs(absl::StatusCode::kInvalidArgument));
  static int run = 0;
  options.prefix = absl::StrCat("connect_test", run++);
  options.lock_lease = absl::Milliseconds(10);
  EXPECT_THAT(NatsStateStore::Connect(
                  ::cable::testing::SharedJetStreamServer().url(), options),
              StatusIs(absl::StatusCode::kInvalidArgument));

  options.lock_lease = absl::Seconds(3);
  absl::StatusOr<std::unique_ptr<NatsStateStore>> first =
      NatsStateStore::Connect(::cable::testing::SharedJetStreamServer().url(),
                              options);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ((*first)->lease(), absl::Seconds(3));
  // The server's default max payload is 1 MB.
  EXPECT_GT((*first)->chunk_bytes(), 1000000u);
  EXPECT_LT((*first)->chunk_bytes(), 1u << 20);
  ASSERT_TRUE((*first)->Create(Spec("kept")).value_or(false));
  // Another replica finds everything in place, the lease included.
  options.lock_lease = absl::Seconds(7);
  absl::StatusOr<std::unique_ptr<NatsStateStore>> second =
      NatsStateStore::Connect(::cable::testing::SharedJetStreamServer().url(),
                              options);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ((*second)->lease(), absl::Seconds(3));
  EXPECT_EQ((*second)->Get("kept").value_or(ChannelRecord{}).revision, 1u);
}

TEST(NatsStateStoreTest, ConnectFailsWithoutAServer) {
  // A port that was just free: nothing listens there.
  ::cable::testing::NatsServer::Options options;
  options.monitoring_port = 0;
  absl::StatusOr<::cable::testing::NatsServer> server =
      ::cable::testing::NatsServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string url = server->url();
  ASSERT_TRUE(server->Stop().ok());
  NatsStateStoreOptions store_options;
  store_options.request_timeout = absl::Seconds(1);
  EXPECT_THAT(NatsStateStore::Connect(url, store_options),
              StatusIs(absl::StatusCode::kUnavailable));
}

// Recovery of a commit whose writer died.

class NatsStateStoreRecoveryTest : public ::testing::Test {
 protected:
  // Replica 0 "dies" at `stage` of its commits; replica 1 is healthy.
  void Start(const std::string& stage) {
    NatsStateStoreOptions options;
    options.crash_at = [stage](absl::string_view at) { return at == stage; };
    crashing_ = std::make_unique<NatsBackend>(kLease, options);
  }

  // A multi-channel commit from replica 0 that stops at the stage, then a
  // Lock of `lock_with` from replica 1 once the lease ran out.
  void CrashThenRecover(const std::vector<std::string>& lock_with,
                        const std::string& new_state = "2") {
    StateStore& dying = crashing_->Replica(0);
    ASSERT_TRUE(dying.Create(Spec("a", "1")).value_or(false));
    ASSERT_TRUE(dying.Create(Spec("b", "1")).value_or(false));
    const std::string owner = Owner();
    ASSERT_TRUE(dying.Lock(owner, {"a", "b"}, absl::Seconds(5)).ok());
    ChannelWrite a = Write("a", 1, new_state, {"\"a\""});
    a.worker = "w";
    a.guard_delta = 2;
    absl::StatusOr<std::vector<CommitResult>> r =
        dying.Commit(owner, {a, Write("b", 1, new_state, {"\"b\""})});
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kAborted));
    // Replica 1 (a fresh connection) locks after the lease ran out.
    healthy_store_ = &crashing_->Replica(1);
    const std::string next = Owner();
    ASSERT_TRUE(healthy_store_->Lock(next, lock_with, absl::Seconds(10)).ok());
    healthy_store_->Unlock(next, lock_with);
  }

  void ExpectCommitted(const std::string& new_state = "2") {
    for (const char* name : {"a", "b"}) {
      absl::StatusOr<ChannelRecord> r = healthy_store_->Get(name);
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_TRUE(r->state == new_state) << name;
      EXPECT_EQ(r->revision, 2u) << name;
      EXPECT_EQ(r->last_event_id, 1u) << name;
      EXPECT_EQ(healthy_store_->Events(name, 0, std::nullopt)
                    .value_or(std::vector<StoredEvent>{})
                    .size(),
                1u)
          << name;
    }
    EXPECT_THAT(healthy_store_->Guards().value_or(std::vector<Guard>{}),
                ElementsAre(IsGuard("a", "w", 2)));
  }

  static constexpr absl::Duration kLease = absl::Milliseconds(400);
  std::unique_ptr<NatsBackend> crashing_;
  StateStore* healthy_store_ = nullptr;
};

TEST_F(NatsStateStoreRecoveryTest, CrashBeforeTheIntentLeavesNothing) {
  Start("intent");
  CrashThenRecover({"b"});
  for (const char* name : {"a", "b"}) {
    absl::StatusOr<ChannelRecord> r = healthy_store_->Get(name);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->state, "1") << name;
    EXPECT_EQ(r->revision, 1u) << name;
  }
  EXPECT_THAT(healthy_store_->Guards().value_or(std::vector<Guard>{}),
              IsEmpty());
  // The dead commit's events were published: orphans that the next
  // commits replace.
  const std::string owner = Owner();
  ASSERT_TRUE(healthy_store_->Lock(owner, {"a", "b"}, absl::Seconds(5)).ok());
  absl::StatusOr<std::vector<CommitResult>> r = healthy_store_->Commit(
      owner, {Write("a", 1, std::nullopt, {"\"new a\""}),
              Write("b", 1, std::nullopt, {"\"new b\""})});
  ASSERT_TRUE(r.ok()) << r.status();
  healthy_store_->Unlock(owner, {"a", "b"});
  for (const char* name : {"a", "b"}) {
    const std::vector<StoredEvent> events =
        healthy_store_->Events(name, 0, std::nullopt)
            .value_or(std::vector<StoredEvent>{});
    ASSERT_EQ(events.size(), 1u) << name;
    EXPECT_EQ(events[0].data, absl::StrCat("\"new ", name, "\"")) << name;
  }
}

TEST_F(NatsStateStoreRecoveryTest, CrashAfterTheIntentIsRolledForward) {
  Start("guards");
  CrashThenRecover({"b"});
  ExpectCommitted();
}

TEST_F(NatsStateStoreRecoveryTest, CrashBetweenHeadsIsRolledForward) {
  Start("head 1");
  CrashThenRecover({"a"});
  ExpectCommitted();
}

TEST_F(NatsStateStoreRecoveryTest, LargeIntentIsRolledForward) {
  // Two states just under a chunk each: the intent holding both heads is
  // itself chunked.
  Start("head 0");
  const std::string state = BigJson(900 * 1024, 7);
  CrashThenRecover({"b"}, state);
  ExpectCommitted(state);
}

TEST_F(NatsStateStoreRecoveryTest, CrashBeforeCleanupIsHarmless) {
  Start("cleanup");
  CrashThenRecover({"a", "b"});
  ExpectCommitted();
  // The next commit on both channels is not confused by the leftovers.
  const std::string owner = Owner();
  ASSERT_TRUE(healthy_store_->Lock(owner, {"a", "b"}, absl::Seconds(5)).ok());
  EXPECT_TRUE(
      healthy_store_->Commit(owner, {Write("a", 2, "3"), Write("b", 2, "3")})
          .ok());
  healthy_store_->Unlock(owner, {"a", "b"});
}

}  // namespace
}  // namespace cable::service::state_store_testing
