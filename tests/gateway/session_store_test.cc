// The session stores of session restore (cable/gateway/session_store.h):
// in memory on a manual clock (TTL, latest save wins, the sweep), and in
// JetStream against a real nats-server (shared by two "gateways", the
// latest save wins, the TTL as the stream's MaxAge, a server without
// JetStream).

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "cable/control_bus.h"
#include "cable/gateway/in_memory_session_store.h"
#include "cable/gateway/jetstream_session_store.h"
#include "cable/jetstream_client.h"
#include "tests/gateway/manual_clock.h"
#include "tests/support/nats_server.h"

namespace cable::gateway {
namespace {

using ::cable::testing::NatsServer;
using ::cable::testing::SharedJetStreamServer;
using std::chrono::milliseconds;

constexpr char kSid[] = "gw1.0123456789abcdef01234567";
constexpr char kOtherSid[] = "gw1.abcdefabcdefabcdefabcdef";

// Load, waited for (bounded).
absl::StatusOr<std::optional<SessionSnapshot>> LoadNow(SessionStore& store,
                                                       const std::string& sid) {
  auto result =
      std::make_shared<absl::StatusOr<std::optional<SessionSnapshot>>>(
          absl::DeadlineExceededError("no answer within 20 s"));
  auto done = std::make_shared<absl::Notification>();
  store.Load(sid,
             [result, done](absl::StatusOr<std::optional<SessionSnapshot>> r) {
               *result = std::move(r);
               done->Notify();
             });
  done->WaitForNotificationWithTimeout(absl::Seconds(20));
  return *result;
}

SessionSnapshot Found(SessionStore& store, const std::string& sid) {
  auto r = LoadNow(store, sid);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok() || !r->has_value()) return {"<none>"};
  return **r;
}

bool Missing(SessionStore& store, const std::string& sid) {
  auto r = LoadNow(store, sid);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() && !r->has_value();
}

// What a client's ?sid= must look like before anything looks it up.
TEST(SessionId, OnlyWellFormedIdsAreLookedUp) {
  EXPECT_TRUE(control::ValidSessionId(
      control::SessionId("5957fc905237bbb5", "7afc7bb80ac62e8a045f194b")));
  EXPECT_TRUE(control::ValidSessionId("gw.with.dots.0123456789abcdef01234567"));
  EXPECT_FALSE(control::ValidSessionId(""));
  EXPECT_FALSE(control::ValidSessionId(".0123456789abcdef01234567"));
  EXPECT_FALSE(control::ValidSessionId("0123456789abcdef01234567"));
  EXPECT_FALSE(control::ValidSessionId("gw.0123456789ABCDEF01234567"));
  EXPECT_FALSE(control::ValidSessionId("gw.0123456789abcdef0123456"));
  EXPECT_FALSE(control::ValidSessionId("g w.0123456789abcdef01234567"));
  EXPECT_FALSE(control::ValidSessionId("g>\n.0123456789abcdef01234567"));
  EXPECT_FALSE(control::ValidSessionId(std::string(300, 'g') +
                                       ".0123456789abcdef01234567"));
}

TEST(InMemorySessionStore, KeepsTheLatestSaveForTheTtl) {
  ManualClock clock;
  InMemorySessionStore store(milliseconds(1000), clock);
  EXPECT_TRUE(Missing(store, kSid));
  store.Save(kSid, {"a"});
  store.Save(kSid, {"a", "b"});
  store.Save(kOtherSid, {});
  EXPECT_EQ(Found(store, kSid), (SessionSnapshot{"a", "b"}));
  EXPECT_EQ(Found(store, kOtherSid), SessionSnapshot{});
  EXPECT_EQ(store.ttl(), milliseconds(1000));

  // A save restarts the TTL: kSid saved again at 600 ms lives to 1600 ms.
  clock.Advance(milliseconds(600));
  store.Save(kSid, {"c"});
  clock.Advance(milliseconds(400));  // 1000 ms: kOtherSid's TTL is over
  EXPECT_TRUE(Missing(store, kOtherSid));
  EXPECT_EQ(Found(store, kSid), SessionSnapshot{"c"});
  clock.Advance(milliseconds(599));
  EXPECT_EQ(Found(store, kSid), SessionSnapshot{"c"});
  clock.Advance(milliseconds(1));
  EXPECT_TRUE(Missing(store, kSid));
}

TEST(InMemorySessionStore, SweepForgetsWhatExpired) {
  ManualClock clock;
  InMemorySessionStore store(milliseconds(1000), clock);
  for (int i = 0; i < 100; ++i) {
    store.Save(absl::StrCat("gw.", i), {absl::StrCat("room", i)});
    clock.Advance(milliseconds(10));
  }
  store.Save("gw.0", {"again"});  // at 1000 ms: kept to 2000 ms
  EXPECT_EQ(store.size(), 100u);
  clock.Advance(milliseconds(1));  // 1001 ms: gw.1 (saved at 10) lives on
  store.Sweep();
  EXPECT_EQ(store.size(), 100u) << "gw.0 was saved again";
  clock.Advance(milliseconds(500));  // 1501 ms: gw.1..gw.50 are gone
  store.Sweep();
  EXPECT_EQ(store.size(), 50u);
  clock.Advance(milliseconds(1000));  // 2501 ms: all gone
  store.Sweep();
  EXPECT_EQ(store.size(), 0u);
  EXPECT_TRUE(Missing(store, "gw.0"));
}

// --- JetStream -------------------------------------------------------------

std::unique_ptr<JetStreamClient> Connect(const std::string& url,
                                         const std::string& name) {
  JetStreamClient::Options options;
  options.url = url;
  options.name = name;
  options.request_timeout = absl::Seconds(5);
  auto client = JetStreamClient::Connect(options);
  if (!client.ok()) {
    ADD_FAILURE() << client.status();
    std::abort();
  }
  return *std::move(client);
}

// Each test its own stream and subjects on the shared server.
JetStreamSessionStoreOptions Fresh(milliseconds ttl = milliseconds(60000)) {
  static std::atomic<int> next{0};
  const int n = next++;
  JetStreamSessionStoreOptions options;
  options.ttl = ttl;
  options.stream_name = absl::StrCat("T", n, "_SESSIONS");
  options.subject_prefix = absl::StrCat("t", n, ".sess");
  options.memory_storage = true;
  return options;
}

std::unique_ptr<JetStreamSessionStore> MustCreate(
    const JetStreamSessionStoreOptions& options, const std::string& name) {
  auto store = JetStreamSessionStore::Create(
      Connect(SharedJetStreamServer().url(), name), options);
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) std::abort();
  return *std::move(store);
}

TEST(JetStreamSessionStore, SharedByGatewaysLatestSaveWins) {
  const auto options = Fresh();
  auto gateway1 = MustCreate(options, "gw1");
  auto gateway2 = MustCreate(options, "gw2");
  EXPECT_TRUE(Missing(*gateway2, kSid));
  gateway1->Save(kSid, {"a"});
  gateway1->Save(kSid, {R"({"channel":"ChatChannel","room":"x y"})", "b"});
  gateway1->Save(kOtherSid, {});
  // Written in the order saved: a lookup on gateway1 after its saves sees
  // them (answered from its queue, or after they were written).
  EXPECT_EQ(
      Found(*gateway1, kSid),
      (SessionSnapshot{R"({"channel":"ChatChannel","room":"x y"})", "b"}));
  // Another gateway sees them once written: wait (bounded) for that.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    auto r = LoadNow(*gateway2, kOtherSid);
    if (r.ok() && r->has_value()) break;
  }
  EXPECT_EQ(Found(*gateway2, kOtherSid), SessionSnapshot{});
  EXPECT_EQ(
      Found(*gateway2, kSid),
      (SessionSnapshot{R"({"channel":"ChatChannel","room":"x y"})", "b"}));
  // The other gateway's later save replaces it everywhere.
  gateway2->Save(kSid, {"c"});
  EXPECT_EQ(Found(*gateway2, kSid), SessionSnapshot{"c"});
  while (absl::Now() < deadline) {
    auto r = LoadNow(*gateway1, kSid);
    if (r.ok() && r->has_value() && **r == SessionSnapshot{"c"}) break;
  }
  EXPECT_EQ(Found(*gateway1, kSid), SessionSnapshot{"c"});
  EXPECT_EQ(
      gateway1->Subject(kSid),
      absl::StrCat(options.subject_prefix, ".gw1_2E0123456789abcdef01234567"));
}

TEST(JetStreamSessionStore, TtlIsTheStreamsMaxAge) {
  const auto options = Fresh(milliseconds(1000));
  auto store = MustCreate(options, "ttl");
  jsStreamInfo* info = nullptr;
  jsErrCode error = static_cast<jsErrCode>(0);
  auto client = Connect(SharedJetStreamServer().url(), "info");
  ASSERT_EQ(js_GetStreamInfo(&info, client->js(), options.stream_name.c_str(),
                             nullptr, &error),
            NATS_OK);
  EXPECT_EQ(info->Config->MaxAge, absl::ToInt64Nanoseconds(absl::Seconds(1)));
  EXPECT_EQ(info->Config->MaxMsgsPerSubject, 1);
  jsStreamInfo_Destroy(info);

  store->Save(kSid, {"a"});
  EXPECT_EQ(Found(*store, kSid), SessionSnapshot{"a"});
  // Gone once the TTL is over (a lookup checks the message's age, and the
  // server drops it soon after): wait for it, bounded.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  bool gone = false;
  while (!gone && absl::Now() < deadline) gone = Missing(*store, kSid);
  EXPECT_TRUE(gone);
}

TEST(JetStreamSessionStore, NoJetStreamIsFailedPrecondition) {
  NatsServer::Options plain;
  plain.monitoring_port = 0;
  auto server = NatsServer::Start(plain);
  ASSERT_TRUE(server.ok()) << server.status();
  auto store =
      JetStreamSessionStore::Create(Connect(server->url(), "plain"), Fresh());
  EXPECT_TRUE(absl::IsFailedPrecondition(store.status())) << store.status();
  // MakeSessionStore turns restore off there, and with a TTL of 0.
  auto made = MakeSessionStore(server->url(), "plain", {}, milliseconds(60000));
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_EQ(*made, nullptr);
  auto off = MakeSessionStore("", "off", {}, milliseconds(0));
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(*off, nullptr);
}

}  // namespace
}  // namespace cable::gateway
