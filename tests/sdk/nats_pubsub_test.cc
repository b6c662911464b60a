// NatsPubSub against a real nats-server on ephemeral ports. Waiting is done
// on conditions signalled by callbacks, each bounded by kWait (a failure
// bound, never what the test waits for).

#include "cable/nats_pubsub.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "cable/stream_subject.h"
#include "tests/support/nats_server.h"

namespace cable {
namespace {

using namespace std::string_literals;
using testing::NatsServer;

constexpr absl::Duration kWait = absl::Seconds(10);
constexpr std::chrono::milliseconds kWaitMs{10000};

// Collects what a subscription receives.
class Inbox {
 public:
  PubSubCallback callback() {
    return [this](absl::string_view stream, absl::string_view message) {
      const auto now = std::chrono::steady_clock::now();
      absl::MutexLock lock(&mu_);
      items_.emplace_back(std::string(stream), std::string(message));
      times_.push_back(now);
    };
  }

  // Waits until at least `n` messages arrived.
  bool AwaitCount(std::size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return items_.size() >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kWait);
  }

  // Waits until `message` arrived.
  bool AwaitMessage(const std::string& message) {
    absl::MutexLock lock(&mu_);
    auto seen = [this, &message]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      for (const auto& item : items_) {
        if (item.second == message) return true;
      }
      return false;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&seen), kWait);
  }

  std::vector<std::pair<std::string, std::string>> items() const {
    absl::MutexLock lock(&mu_);
    return items_;
  }

  std::vector<std::string> messages() const {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> out;
    for (const auto& [stream, message] : items_) out.push_back(message);
    return out;
  }

  // When each message arrived.
  std::vector<std::chrono::steady_clock::time_point> times() const {
    absl::MutexLock lock(&mu_);
    return times_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::pair<std::string, std::string>> items_ ABSL_GUARDED_BY(mu_);
  std::vector<std::chrono::steady_clock::time_point> times_
      ABSL_GUARDED_BY(mu_);
};

// Records connected() transitions reported through on_connection_change.
class ConnectionEvents {
 public:
  std::function<void(bool)> callback() {
    return [this](bool up) {
      absl::MutexLock lock(&mu_);
      events_.push_back(up);
    };
  }
  // Waits for an event equal to `up` at index >= `from`; returns its index
  // or -1.
  int Await(bool up, std::size_t from = 0) {
    absl::MutexLock lock(&mu_);
    int found = -1;
    auto seen = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      for (std::size_t i = from; i < events_.size(); ++i) {
        if (events_[i] == up) {
          found = static_cast<int>(i);
          return true;
        }
      }
      return false;
    };
    mu_.AwaitWithTimeout(absl::Condition(&seen), kWait);
    return found;
  }

 private:
  absl::Mutex mu_;
  std::vector<bool> events_ ABSL_GUARDED_BY(mu_);
};

NatsPubSubOptions FastOptions(const std::string& url, const std::string& name) {
  NatsPubSubOptions o;
  o.url = url;
  o.name = name;
  o.reconnect_wait = std::chrono::milliseconds(20);
  o.max_reconnect_wait = std::chrono::milliseconds(200);
  o.reconnect_jitter = std::chrono::milliseconds(10);
  o.connect_timeout = std::chrono::milliseconds(1000);
  return o;
}

// A port nothing listens on (bound and released; nobody else takes it in
// the test's lifetime in practice).
int UnusedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

class NatsPubSubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = NatsServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::make_unique<NatsServer>(std::move(*server));
  }

  std::unique_ptr<NatsPubSub> Connect(const std::string& name,
                                      ConnectionEvents* events = nullptr) {
    NatsPubSubOptions o = FastOptions(server_->url(), name);
    if (events != nullptr) o.on_connection_change = events->callback();
    auto ps = NatsPubSub::Connect(o);
    EXPECT_TRUE(ps.ok()) << ps.status();
    if (!ps.ok()) return nullptr;
    EXPECT_TRUE((*ps)->connected());
    return std::move(*ps);
  }

  std::unique_ptr<NatsServer> server_;
};

TEST_F(NatsPubSubTest, ServerHelperReportsPorts) {
  EXPECT_GT(server_->port(), 0);
  EXPECT_GT(server_->monitoring_port(), 0);
  EXPECT_NE(server_->port(), server_->monitoring_port());
  EXPECT_EQ(server_->url(), absl::StrCat("nats://127.0.0.1:", server_->port()));
}

TEST_F(NatsPubSubTest, DeliversOnceAcrossConnections) {
  Inbox inbox;
  auto sub = Connect("sub");
  auto pub = Connect("pub");
  ASSERT_TRUE(sub && pub);
  auto id = sub->subscribe("chat", inbox.callback());
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(sub->subscription_count(), 1u);
  ASSERT_TRUE(pub->broadcast("chat", "hello").ok());
  ASSERT_TRUE(pub->broadcast("other", "not for chat").ok());
  ASSERT_TRUE(pub->broadcast("chat", "end").ok());
  ASSERT_TRUE(inbox.AwaitCount(2));
  // "end" came after "hello" on the same stream: a duplicate of "hello"
  // would have come before it.
  using Item = std::pair<std::string, std::string>;
  EXPECT_EQ(inbox.items(),
            (std::vector<Item>{{"chat", "hello"}, {"chat", "end"}}));
}

TEST_F(NatsPubSubTest, ASubscriptionIsLiveWhenSubscribeReturns) {
  auto sub = Connect("sub");
  auto pub = Connect("pub");
  ASSERT_TRUE(sub && pub);
  // No warm-up: the first broadcast after subscribe returns must arrive.
  for (int i = 0; i < 20; ++i) {
    Inbox inbox;
    const std::string stream = absl::StrCat("live-", i);
    auto id = sub->subscribe(stream, inbox.callback());
    ASSERT_TRUE(id.ok()) << id.status();
    ASSERT_TRUE(pub->broadcast(stream, "first").ok());
    ASSERT_TRUE(inbox.AwaitCount(1)) << stream;
    sub->unsubscribe(*id);
  }
}

TEST_F(NatsPubSubTest, KeepsPublishOrderOfAThousandMessages) {
  Inbox inbox;
  auto sub = Connect("sub");
  auto pub = Connect("pub");
  ASSERT_TRUE(sub && pub);
  ASSERT_TRUE(sub->subscribe("ordered", inbox.callback()).ok());
  std::vector<std::string> sent;
  for (int i = 0; i < 1000; ++i) {
    sent.push_back(absl::StrCat("m", i));
    ASSERT_TRUE(pub->broadcast("ordered", sent.back()).ok());
  }
  ASSERT_TRUE(inbox.AwaitCount(1000));
  EXPECT_EQ(inbox.messages(), sent);
}

TEST_F(NatsPubSubTest, HostileStreamNamesRoundTripThroughTheServer) {
  const std::vector<std::string> names = {
      ""s,
      " "s,
      "a b"s,
      "."s,
      ".."s,
      ".a"s,
      "a."s,
      "a.b"s,
      "a"s,
      "A"s,
      "*"s,
      ">"s,
      "a.*"s,
      "a.>"s,
      "_"s,
      "_2E"s,
      "__"s,
      "😀"s,
      "é"s,
      "\0"s,
      "a\0b"s,
      "\t"s,
      "\r\n"s,
      "$JS"s,
      "-"s,
      "chat"s,
      "chat.room 1"s,
      "{\"channel\":\"ChatChannel\",\"room\":\"1\"}"s,
      std::string(338, '.'),  // the longest all-escaped name under the limit
  };
  auto sub = Connect("sub");
  auto pub = Connect("pub");
  ASSERT_TRUE(sub && pub);
  std::vector<std::unique_ptr<Inbox>> inboxes;
  for (const std::string& name : names) {
    inboxes.push_back(std::make_unique<Inbox>());
    auto id = sub->subscribe(name, inboxes.back()->callback());
    ASSERT_TRUE(id.ok()) << id.status();
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    ASSERT_TRUE(pub->broadcast(names[i], absl::StrCat("msg ", i)).ok());
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    ASSERT_TRUE(pub->broadcast(names[i], "end").ok());
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    ASSERT_TRUE(inboxes[i]->AwaitCount(2)) << i;
    using Item = std::pair<std::string, std::string>;
    EXPECT_EQ(inboxes[i]->items(),
              (std::vector<Item>{{names[i], absl::StrCat("msg ", i)},
                                 {names[i], "end"}}))
        << "stream #" << i;
  }
}

TEST_F(NatsPubSubTest, RejectsNamesOverTheLimit) {
  auto ps = Connect("ps");
  ASSERT_TRUE(ps);
  const std::string too_long(339, '.');
  Inbox inbox;
  EXPECT_EQ(ps->subscribe(too_long, inbox.callback()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ps->broadcast(too_long, "x").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ps->subscribe("ok", nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Over the server's max payload (1 MB by default): sent in fragments.
  EXPECT_TRUE(ps->broadcast("big", std::string(2 << 20, 'x')).ok());
  EXPECT_TRUE(ps->flush().ok());
  EXPECT_EQ(ps->subscription_count(), 0u);
}

TEST_F(NatsPubSubTest, UnsubscribeStopsDelivery) {
  std::atomic<bool> unsubscribed{false};
  std::atomic<int> after{0};
  Inbox counted;
  Inbox witness;  // a second subscription on the same stream
  std::atomic<bool> stop{false};
  PubSubCallback inner = counted.callback();
  auto sub = Connect("sub");
  auto pub = Connect("pub");
  ASSERT_TRUE(sub && pub);
  auto id = sub->subscribe("s", [&](absl::string_view s, absl::string_view m) {
    if (unsubscribed.load()) after.fetch_add(1);
    inner(s, m);
  });
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(sub->subscribe("s", witness.callback()).ok());

  std::thread publisher([&] {
    for (int i = 0; i < 20000 && !stop.load(); ++i) {
      if (!pub->broadcast("s", absl::StrCat(i)).ok()) break;
    }
  });
  const bool flowing = counted.AwaitCount(100);
  sub->unsubscribe(*id);
  unsubscribed.store(true);
  const std::size_t at_unsubscribe = counted.messages().size();
  stop.store(true);
  publisher.join();
  ASSERT_TRUE(flowing);
  ASSERT_TRUE(pub->broadcast("s", "sentinel").ok());
  // The witness gets the sentinel after everything published before it.
  ASSERT_TRUE(witness.AwaitMessage("sentinel"));
  EXPECT_EQ(after.load(), 0);
  EXPECT_EQ(counted.messages().size(), at_unsubscribe);
  EXPECT_EQ(sub->subscription_count(), 1u);
  sub->unsubscribe(*id);  // unknown by now: ignored
}

TEST_F(NatsPubSubTest, UnsubscribeWaitsForARunningCallback) {
  absl::Notification entered;
  absl::Notification release;
  absl::Mutex log_mu;
  std::vector<std::string> log;
  absl::Notification calling;
  auto sub = Connect("sub");
  auto pub = Connect("pub");
  ASSERT_TRUE(sub && pub);
  auto id = sub->subscribe("block", [&](absl::string_view, absl::string_view) {
    entered.Notify();
    release.WaitForNotificationWithTimeout(kWait);
    absl::MutexLock lock(&log_mu);
    log.push_back("callback returned");
  });
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(pub->broadcast("block", "x").ok());
  ASSERT_TRUE(entered.WaitForNotificationWithTimeout(kWait));
  std::thread unsubscriber([&] {
    calling.Notify();
    sub->unsubscribe(*id);
    absl::MutexLock lock(&log_mu);
    log.push_back("unsubscribe returned");
  });
  const bool called = calling.WaitForNotificationWithTimeout(kWait);
  release.Notify();
  unsubscriber.join();
  ASSERT_TRUE(called);
  absl::MutexLock lock(&log_mu);
  EXPECT_EQ(log, (std::vector<std::string>{"callback returned",
                                           "unsubscribe returned"}));
}

TEST_F(NatsPubSubTest, ACallbackCanUnsubscribeItself) {
  std::atomic<PubSubSubscriptionId> self_id{0};
  std::atomic<int> calls{0};
  absl::Notification id_known;
  absl::Notification unsubscribed;
  Inbox witness;
  auto sub = Connect("sub");
  auto pub = Connect("pub");
  ASSERT_TRUE(sub && pub);
  auto id = sub->subscribe("self", [&](absl::string_view, absl::string_view) {
    if (calls.fetch_add(1) != 0) return;
    id_known.WaitForNotificationWithTimeout(kWait);
    sub->unsubscribe(self_id.load());  // must not deadlock
    unsubscribed.Notify();
  });
  ASSERT_TRUE(id.ok());
  self_id.store(*id);
  id_known.Notify();
  ASSERT_TRUE(sub->subscribe("self", witness.callback()).ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(pub->broadcast("self", "x").ok());
  ASSERT_TRUE(unsubscribed.WaitForNotificationWithTimeout(kWait));
  // The two subscriptions may run on different delivery threads: wait for
  // the witness to get all ten, by which time the first subscription has
  // had every chance to be called again.
  ASSERT_TRUE(witness.AwaitCount(10));
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(sub->subscription_count(), 1u);
}

TEST_F(NatsPubSubTest, RawSubjects) {
  Inbox inbox;
  auto sub = Connect("sub");
  auto pub = Connect("pub");
  ASSERT_TRUE(sub && pub);
  auto id = sub->subscribe_subject("cable.internal.>", inbox.callback());
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(pub->publish_subject("cable.internal.a.b", "one").ok());
  ASSERT_TRUE(pub->publish_subject("cable.other", "no").ok());
  ASSERT_TRUE(pub->publish_subject("cable.internal.c", "two").ok());
  ASSERT_TRUE(inbox.AwaitCount(2));
  using Item = std::pair<std::string, std::string>;
  EXPECT_EQ(inbox.items(), (std::vector<Item>{{"cable.internal.a.b", "one"},
                                              {"cable.internal.c", "two"}}));
  EXPECT_EQ(pub->publish_subject("a.*", "x").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pub->publish_subject("a b", "x").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(sub->subscribe_subject("a..b", inbox.callback()).status().code(),
            absl::StatusCode::kInvalidArgument);
  sub->unsubscribe(*id);
  EXPECT_EQ(sub->subscription_count(), 0u);
}

TEST_F(NatsPubSubTest, ResumesDeliveryAfterTheServerRestarts) {
  Inbox inbox;
  Inbox never;
  Inbox fresh;
  ConnectionEvents sub_events;
  ConnectionEvents pub_events;
  auto sub = Connect("sub", &sub_events);
  auto pub = Connect("pub", &pub_events);
  ASSERT_TRUE(sub && pub);
  ASSERT_TRUE(sub->subscribe("durable", inbox.callback()).ok());
  ASSERT_TRUE(pub->broadcast("durable", "before").ok());
  ASSERT_TRUE(inbox.AwaitCount(1));

  ASSERT_TRUE(server_->Stop().ok());
  const int sub_down = sub_events.Await(false);
  ASSERT_GE(sub_down, 0);
  ASSERT_GE(pub_events.Await(false), 0);
  EXPECT_FALSE(sub->connected());
  EXPECT_FALSE(pub->connected());
  EXPECT_TRUE(sub->AwaitConnected(false, kWaitMs));

  // While down: no live subscription can be promised; nothing is left.
  auto down = sub->subscribe("while-down", never.callback());
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable)
      << down.status();
  EXPECT_EQ(sub->subscription_count(), 1u);
  // Broadcasts go to the reconnect buffer.
  EXPECT_TRUE(pub->broadcast("elsewhere", "during").ok());

  ASSERT_TRUE(server_->Restart().ok());
  ASSERT_GE(sub_events.Await(true, sub_down + 1), 0);
  ASSERT_TRUE(sub->AwaitConnected(true, kWaitMs));
  ASSERT_TRUE(pub->AwaitConnected(true, kWaitMs));
  // nats.c re-sent the subscription when it reconnected; make sure the
  // server processed it before publishing.
  ASSERT_TRUE(sub->Flush(kWaitMs).ok());
  ASSERT_TRUE(pub->broadcast("durable", "after").ok());
  ASSERT_TRUE(inbox.AwaitCount(2));
  EXPECT_EQ(inbox.messages(), (std::vector<std::string>{"before", "after"}));
  EXPECT_EQ(sub->subscription_count(), 1u);

  // And new subscriptions work again.
  ASSERT_TRUE(sub->subscribe("fresh", fresh.callback()).ok());
  ASSERT_TRUE(pub->broadcast("fresh", "hi").ok());
  ASSERT_TRUE(fresh.AwaitCount(1));
}

TEST_F(NatsPubSubTest, SurvivesAServerCrash) {
  Inbox inbox;
  auto sub = Connect("sub");
  auto pub = Connect("pub");
  ASSERT_TRUE(sub && pub);
  ASSERT_TRUE(sub->subscribe("crash", inbox.callback()).ok());
  ASSERT_TRUE(server_->Kill().ok());
  ASSERT_TRUE(sub->AwaitConnected(false, kWaitMs));
  ASSERT_TRUE(server_->Restart().ok());
  ASSERT_TRUE(sub->AwaitConnected(true, kWaitMs));
  ASSERT_TRUE(pub->AwaitConnected(true, kWaitMs));
  ASSERT_TRUE(sub->Flush(kWaitMs).ok());
  ASSERT_TRUE(pub->broadcast("crash", "after").ok());
  ASSERT_TRUE(inbox.AwaitCount(1));
}

TEST(NatsPubSubConnect, FailsFastWithoutRetryWhenNothingListens) {
  NatsPubSubOptions o =
      FastOptions(absl::StrCat("nats://127.0.0.1:", UnusedPort()), "no-retry");
  o.retry_on_failed_connect = false;
  auto ps = NatsPubSub::Connect(o);
  EXPECT_EQ(ps.status().code(), absl::StatusCode::kUnavailable) << ps.status();
}

TEST(NatsPubSubConnect, WithRetryConnectsOnceTheServerComesUp) {
  Inbox inbox;
  const int port = UnusedPort();
  ConnectionEvents events;
  NatsPubSubOptions o =
      FastOptions(absl::StrCat("nats://127.0.0.1:", port), "retry");
  o.on_connection_change = events.callback();
  auto ps = NatsPubSub::Connect(o);
  ASSERT_TRUE(ps.ok()) << ps.status();
  EXPECT_FALSE((*ps)->connected());
  EXPECT_EQ((*ps)->subscribe("early", inbox.callback()).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ((*ps)->subscription_count(), 0u);
  absl::Status early = (*ps)->broadcast("early", "x");
  EXPECT_TRUE(early.ok()) << early;

  NatsServer::Options so;
  so.port = port;
  auto server = NatsServer::Start(so);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GE(events.Await(true), 0);
  ASSERT_TRUE((*ps)->AwaitConnected(true, kWaitMs));
  ASSERT_TRUE((*ps)->subscribe("late", inbox.callback()).ok());
  ASSERT_TRUE((*ps)->broadcast("late", "hello").ok());
  ASSERT_TRUE(inbox.AwaitCount(1));
}

TEST(NatsPubSubConnect, NeverConnectedInstanceIsDestroyedCleanly) {
  NatsPubSubOptions o =
      FastOptions(absl::StrCat("nats://127.0.0.1:", UnusedPort()), "never");
  auto ps = NatsPubSub::Connect(o);
  ASSERT_TRUE(ps.ok()) << ps.status();
  EXPECT_FALSE((*ps)->connected());
  ps->reset();
}

TEST(NatsPubSubConnect, RejectsBadOptions) {
  NatsPubSubOptions o;
  o.url = " , ";
  EXPECT_EQ(NatsPubSub::Connect(o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = NatsPubSubOptions{};
  o.subject_prefix = "cable.*";
  EXPECT_EQ(NatsPubSub::Connect(o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = NatsPubSubOptions{};
  o.reconnect_wait = std::chrono::milliseconds(0);
  EXPECT_EQ(NatsPubSub::Connect(o).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(NatsPubSubConnect, AcceptsAServerList) {
  auto server = NatsServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  NatsPubSubOptions o = FastOptions(
      absl::StrCat("nats://127.0.0.1:", UnusedPort(), ", ", server->url()),
      "list");
  o.retry_on_failed_connect = false;
  auto ps = NatsPubSub::Connect(o);
  ASSERT_TRUE(ps.ok()) << ps.status();
  EXPECT_TRUE((*ps)->connected());
}

TEST(NatsServerHelper, JetStreamServerStartsWithAStoreDirectory) {
  NatsServer::Options so;
  so.jetstream = true;
  auto server = NatsServer::Start(so);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_FALSE(server->store_dir().empty());
  EXPECT_NE(server->log().find("JetStream"), std::string::npos);
  const int port = server->port();
  ASSERT_TRUE(server->Restart().ok());
  EXPECT_EQ(server->port(), port);
}

// ---------------------------------------------------------------------------
// Messages over the server's max payload (fragmentation).

// `size` deterministic pseudo-random bytes (every byte value, NULs
// included), different for each seed.
std::string Payload(std::size_t size, std::uint64_t seed) {
  std::string out(size, '\0');
  std::uint64_t x = 0x9E3779B97F4A7C15ull * (seed + 1);
  for (std::size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<char>(x >> 56);
  }
  return out;
}

// Compares large strings without printing them.
::testing::AssertionResult SameBytes(const std::string& got,
                                     const std::string& want) {
  if (got == want) return ::testing::AssertionSuccess();
  const auto mismatch =
      std::mismatch(got.begin(), got.end(), want.begin(), want.end());
  return ::testing::AssertionFailure()
         << "got " << got.size() << " bytes, want " << want.size()
         << "; first difference at offset " << (mismatch.first - got.begin());
}

double Millis(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// A nats-server whose max payload is `max_payload` (nats-server 2.9 has no
// flag for it: a configuration file, removed once the server read it).
absl::StatusOr<NatsServer> StartServerWithMaxPayload(int max_payload) {
  std::string dir =
      (std::filesystem::temp_directory_path() / "cable-nats-conf-XXXXXX")
          .string();
  if (mkdtemp(dir.data()) == nullptr) {
    return absl::InternalError("mkdtemp for the server configuration");
  }
  const std::string path = dir + "/server.conf";
  {
    std::ofstream conf(path);
    conf << "max_payload: " << max_payload << "\n";
  }
  NatsServer::Options options;
  options.extra_args = {"-c", path};
  auto server = NatsServer::Start(options);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return server;
}

// A plain nats.c connection, to look at the wire format and to send
// hand-made fragments (lost, interleaved, malformed ones).
class RawClient {
 public:
  explicit RawClient(const std::string& url) {
    status_ = natsConnection_ConnectTo(&nc_, url.c_str());
  }
  ~RawClient() {
    if (sub_ != nullptr) natsSubscription_Destroy(sub_);
    natsConnection_Destroy(nc_);
  }
  bool ok() const { return status_ == NATS_OK; }
  std::int64_t max_payload() const { return natsConnection_GetMaxPayload(nc_); }

  natsStatus Publish(
      const std::string& subject, absl::string_view data,
      const std::vector<std::pair<std::string, std::string>>& headers) {
    natsMsg* msg = nullptr;
    natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, data.data(),
                                  static_cast<int>(data.size()));
    for (const auto& [key, value] : headers) {
      if (s == NATS_OK) s = natsMsgHeader_Set(msg, key.c_str(), value.c_str());
    }
    if (s == NATS_OK) s = natsConnection_PublishMsg(nc_, msg);
    natsMsg_Destroy(msg);
    return s;
  }

  // One fragment as NatsPubSub sends it.
  natsStatus Fragment(const std::string& subject, std::uint64_t nonce,
                      std::uint64_t sequence, std::uint64_t index,
                      std::uint64_t count, std::uint64_t size,
                      absl::string_view data) {
    return Publish(
        subject, data,
        {{kFragmentIdHeader,
          absl::StrCat(absl::Hex(nonce, absl::kZeroPad16), ".", sequence)},
         {kFragmentIndexHeader, absl::StrCat(index)},
         {kFragmentCountHeader, absl::StrCat(count)},
         {kFragmentSizeHeader, absl::StrCat(size)}});
  }

  natsStatus Flush() { return natsConnection_FlushTimeout(nc_, 10000); }

  natsStatus SubscribeSync(const std::string& subject) {
    natsStatus s = natsConnection_SubscribeSync(&sub_, nc_, subject.c_str());
    return s == NATS_OK ? Flush() : s;
  }
  // The next message of the SubscribeSync subscription (nullptr after
  // kWait).
  std::unique_ptr<natsMsg, void (*)(natsMsg*)> Next() {
    natsMsg* msg = nullptr;
    (void)natsSubscription_NextMsg(&msg, sub_, 10000);
    return {msg, natsMsg_Destroy};
  }

 private:
  natsStatus status_ = NATS_ERR;
  natsConnection* nc_ = nullptr;
  natsSubscription* sub_ = nullptr;
};

std::string Header(natsMsg* msg, const char* key) {
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg, key, &value) != NATS_OK || value == nullptr) {
    return "<none>";
  }
  return value;
}

TEST_F(NatsPubSubTest, FourMegabytesRoundTripByteExact) {
  Inbox inbox;
  auto sub = Connect("sub");
  auto pub = Connect("pub");
  ASSERT_TRUE(sub && pub);
  ASSERT_TRUE(sub->subscribe("big", inbox.callback()).ok());
  constexpr int kRounds = 5;
  std::vector<std::string> sent;
  for (int i = 0; i < kRounds; ++i) sent.push_back(Payload(4 << 20, i));
  for (int i = 0; i < kRounds; ++i) {
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(pub->broadcast("big", sent[i]).ok());
    const auto published = std::chrono::steady_clock::now();
    ASSERT_TRUE(inbox.AwaitCount(i + 1));
    const auto received = inbox.times()[i];
    std::printf(
        "[   TIME   ] 4 MiB broadcast #%d: broadcast() %.1f ms, "
        "end to end %.1f ms\n",
        i + 1, Millis(published - start), Millis(received - start));
  }
  const auto messages = inbox.messages();
  ASSERT_EQ(messages.size(), sent.size());
  for (int i = 0; i < kRounds; ++i) {
    EXPECT_TRUE(SameBytes(messages[i], sent[i])) << "message " << i;
  }
  const auto stats = sub->reassembly_stats();
  EXPECT_EQ(stats.completed, static_cast<std::uint64_t>(kRounds));
  EXPECT_EQ(stats.dropped, 0u);
  EXPECT_EQ(stats.pending, 0u);
  EXPECT_EQ(stats.pending_bytes, 0u);
}

TEST_F(NatsPubSubTest, LargeAndSmallMessagesKeepPublishOrder) {
  Inbox inbox;
  auto sub = Connect("sub");
  auto pub = Connect("pub");
  ASSERT_TRUE(sub && pub);
  ASSERT_TRUE(sub->subscribe("mixed", inbox.callback()).ok());
  const std::vector<std::string> sent = {Payload(3 << 20, 1), "small",
                                         Payload(5 << 19, 2), "last"};
  for (const auto& message : sent) {
    ASSERT_TRUE(pub->broadcast("mixed", message).ok());
  }
  ASSERT_TRUE(inbox.AwaitCount(sent.size()));
  const auto messages = inbox.messages();
  ASSERT_EQ(messages.size(), sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) {
    EXPECT_TRUE(SameBytes(messages[i], sent[i])) << "message " << i;
  }
}

// Two publishers on one stream, each sending large and small messages at
// the same time from its own thread: every message arrives whole, and each
// publisher's messages in its order.
void ExpectConcurrentPublishersDeliverIntact(NatsPubSub& sub, NatsPubSub& a,
                                             NatsPubSub& b, std::size_t large) {
  Inbox inbox;
  ASSERT_TRUE(sub.subscribe("shared", inbox.callback()).ok());
  constexpr int kPerPublisher = 4;
  std::vector<std::vector<std::string>> sent(2);
  for (int p = 0; p < 2; ++p) {
    for (int i = 0; i < kPerPublisher; ++i) {
      sent[p].push_back(i % 2 == 0 ? Payload(large + i, 100 * p + i)
                                   : absl::StrCat("small ", p, " ", i));
    }
  }
  absl::Notification go;
  std::atomic<int> failures{0};
  auto publish = [&](NatsPubSub* ps, int p) {
    go.WaitForNotificationWithTimeout(kWait);
    for (const auto& message : sent[p]) {
      if (!ps->broadcast("shared", message).ok()) failures.fetch_add(1);
    }
  };
  std::thread ta(publish, &a, 0);
  std::thread tb(publish, &b, 1);
  go.Notify();
  ta.join();
  tb.join();
  ASSERT_EQ(failures.load(), 0);
  ASSERT_TRUE(inbox.AwaitCount(2 * kPerPublisher));
  const auto messages = inbox.messages();
  ASSERT_EQ(messages.size(), 2u * kPerPublisher);
  std::vector<std::size_t> next(2, 0);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    int from = -1;
    for (int p = 0; p < 2; ++p) {
      if (next[p] < sent[p].size() && messages[i] == sent[p][next[p]]) {
        from = p;
      }
    }
    ASSERT_GE(from, 0) << "message " << i << " (" << messages[i].size()
                       << " bytes) is not the next one of either publisher";
    ++next[from];
  }
  const auto stats = sub.reassembly_stats();
  EXPECT_EQ(stats.completed, static_cast<std::uint64_t>(kPerPublisher));
  EXPECT_EQ(stats.dropped, 0u);
  EXPECT_EQ(stats.pending, 0u);
}

TEST_F(NatsPubSubTest, TwoPublishersSendLargeMessagesConcurrently) {
  auto sub = Connect("sub");
  auto a = Connect("pub-a");
  auto b = Connect("pub-b");
  ASSERT_TRUE(sub && a && b);
  ExpectConcurrentPublishersDeliverIntact(*sub, *a, *b, (5 << 20) / 2);
}

TEST_F(NatsPubSubTest, WireFormatOfLargeAndSmallMessages) {
  auto pub = Connect("pub");
  ASSERT_TRUE(pub);
  RawClient raw(server_->url());
  ASSERT_TRUE(raw.ok());
  const std::int64_t max_payload = raw.max_payload();
  ASSERT_EQ(max_payload, 1 << 20);
  const std::string subject = StreamSubject(pub->subject_prefix(), "wire");
  ASSERT_EQ(raw.SubscribeSync(subject), NATS_OK);

  // Exactly max payload: one plain message, no headers.
  const std::string fits = Payload(max_payload, 7);
  const std::string large = Payload(5 << 19, 8);  // 2.5 MiB: 3 fragments
  ASSERT_TRUE(pub->broadcast("wire", fits).ok());
  ASSERT_TRUE(pub->broadcast("wire", large).ok());

  auto plain = raw.Next();
  ASSERT_NE(plain, nullptr);
  const char* value = nullptr;
  EXPECT_EQ(natsMsgHeader_Get(plain.get(), kFragmentIdHeader, &value),
            NATS_NOT_FOUND);
  EXPECT_TRUE(SameBytes(std::string(natsMsg_GetData(plain.get()),
                                    natsMsg_GetDataLength(plain.get())),
                        fits));

  std::string joined;
  std::string id;
  for (int i = 0; i < 3; ++i) {
    auto fragment = raw.Next();
    ASSERT_NE(fragment, nullptr) << "fragment " << i;
    if (i == 0) id = Header(fragment.get(), kFragmentIdHeader);
    EXPECT_EQ(Header(fragment.get(), kFragmentIdHeader), id);
    EXPECT_EQ(Header(fragment.get(), kFragmentIndexHeader), absl::StrCat(i));
    EXPECT_EQ(Header(fragment.get(), kFragmentCountHeader), "3");
    EXPECT_EQ(Header(fragment.get(), kFragmentSizeHeader),
              absl::StrCat(large.size()));
    EXPECT_LE(natsMsg_GetDataLength(fragment.get()),
              max_payload - static_cast<std::int64_t>(kFragmentHeaderRoom));
    joined.append(natsMsg_GetData(fragment.get()),
                  natsMsg_GetDataLength(fragment.get()));
  }
  EXPECT_EQ(id.size(), 16u + 1 + 1) << id;  // "<16 hex digits>.1"
  EXPECT_TRUE(SameBytes(joined, large));
}

TEST(NatsPubSubFragments, ManySmallFragmentsOnASmallMaxPayloadServer) {
  auto server = StartServerWithMaxPayload(1024);
  ASSERT_TRUE(server.ok()) << server.status();
  RawClient raw(server->url());
  ASSERT_TRUE(raw.ok());
  ASSERT_EQ(raw.max_payload(), 1024);
  auto sub = NatsPubSub::Connect(FastOptions(server->url(), "sub"));
  auto pub = NatsPubSub::Connect(FastOptions(server->url(), "pub"));
  ASSERT_TRUE(sub.ok() && pub.ok());

  // Sizes around the fragment size (1024 - kFragmentHeaderRoom = 768).
  constexpr std::size_t kChunk = 1024 - kFragmentHeaderRoom;
  const std::vector<std::size_t> sizes = {0,
                                          1,
                                          1023,
                                          1024,
                                          1025,
                                          2 * kChunk,
                                          2 * kChunk + 1,
                                          3 * kChunk - 1,
                                          100000,
                                          1 << 20,
                                          5,
                                          (4 << 20) + 3};
  Inbox inbox;
  ASSERT_TRUE((*sub)->subscribe("tiny", inbox.callback()).ok());
  std::vector<std::string> sent;
  std::uint64_t fragmented = 0;
  std::size_t fragments = 0;
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    sent.push_back(Payload(sizes[i], i));
    bytes += sizes[i];
    if (sizes[i] > 1024) {
      ++fragmented;
      fragments += (sizes[i] + kChunk - 1) / kChunk;
    }
  }
  const auto start = std::chrono::steady_clock::now();
  for (const auto& message : sent) {
    ASSERT_TRUE((*pub)->broadcast("tiny", message).ok());
  }
  ASSERT_TRUE(inbox.AwaitCount(sent.size()));
  std::printf(
      "[   TIME   ] %zu messages (%.1f MiB, %zu fragments of <= %zu "
      "bytes) through a 1 KiB max payload server: %.1f ms\n",
      sent.size(), static_cast<double>(bytes) / (1 << 20), fragments, kChunk,
      Millis(inbox.times().back() - start));
  const auto messages = inbox.messages();
  ASSERT_EQ(messages.size(), sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) {
    EXPECT_TRUE(SameBytes(messages[i], sent[i])) << "message " << i;
  }
  EXPECT_EQ((*sub)->reassembly_stats().completed, fragmented);

  // And concurrent publishers, whose thousands of fragments interleave.
  auto sub2 = NatsPubSub::Connect(FastOptions(server->url(), "sub2"));
  auto other = NatsPubSub::Connect(FastOptions(server->url(), "other"));
  ASSERT_TRUE(sub2.ok() && other.ok());
  ExpectConcurrentPublishersDeliverIntact(**sub2, **pub, **other, 300000);
}

TEST_F(NatsPubSubTest, RawSubjectsCarryLargeMessagesToo) {
  Inbox inbox;
  auto sub = Connect("sub");
  auto pub = Connect("pub");
  ASSERT_TRUE(sub && pub);
  ASSERT_TRUE(
      sub->subscribe_subject("cable.internal.>", inbox.callback()).ok());
  const std::string large = Payload(3 << 20, 3);
  ASSERT_TRUE(pub->publish_subject("cable.internal.a", large).ok());
  ASSERT_TRUE(pub->publish_subject("cable.internal.b", "small").ok());
  ASSERT_TRUE(pub->publish_subject("cable.internal.c", large).ok());
  ASSERT_TRUE(inbox.AwaitCount(3));
  const auto items = inbox.items();
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].first, "cable.internal.a");
  EXPECT_TRUE(SameBytes(items[0].second, large));
  EXPECT_EQ(items[1],
            (std::pair<std::string, std::string>{"cable.internal.b", "small"}));
  EXPECT_EQ(items[2].first, "cable.internal.c");
  EXPECT_TRUE(SameBytes(items[2].second, large));
}

TEST_F(NatsPubSubTest, RefusesMessagesOverMaxMessageBytes) {
  auto ps = Connect("ps");
  ASSERT_TRUE(ps);
  // The default limit: 64 MiB.
  const absl::Status over =
      ps->broadcast("huge", std::string((64 << 20) + 1, 'x'));
  EXPECT_EQ(over.code(), absl::StatusCode::kInvalidArgument) << over;
  EXPECT_NE(over.message().find("max_message_bytes"), std::string::npos)
      << over;
  EXPECT_EQ(
      ps->publish_subject("raw.huge", std::string((64 << 20) + 1, 'x')).code(),
      absl::StatusCode::kInvalidArgument);

  // A configured one.
  NatsPubSubOptions o = FastOptions(server_->url(), "limited");
  o.max_message_bytes = 3 << 20;
  auto limited = NatsPubSub::Connect(o);
  ASSERT_TRUE(limited.ok()) << limited.status();
  Inbox inbox;
  ASSERT_TRUE((*limited)->subscribe("s", inbox.callback()).ok());
  EXPECT_EQ((*limited)->broadcast("s", Payload((3 << 20) + 1, 1)).code(),
            absl::StatusCode::kInvalidArgument);
  const std::string fits = Payload(3 << 20, 2);
  ASSERT_TRUE((*limited)->broadcast("s", fits).ok());
  ASSERT_TRUE((*limited)->broadcast("s", "end").ok());
  ASSERT_TRUE(inbox.AwaitCount(2));
  const auto messages = inbox.messages();
  EXPECT_TRUE(SameBytes(messages[0], fits));
  EXPECT_EQ(messages[1], "end");

  o.max_message_bytes = 0;
  EXPECT_EQ(NatsPubSub::Connect(o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o.max_message_bytes = 2 << 20;
  o.max_reassembly_bytes = 1 << 20;
  EXPECT_EQ(NatsPubSub::Connect(o).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(NatsPubSubTest, RefusesALargeMessageTheReconnectBufferCannotHold) {
  NatsPubSubOptions o = FastOptions(server_->url(), "buffered");
  o.reconnect_buffer_bytes = 1 << 20;
  auto ps = NatsPubSub::Connect(o);
  ASSERT_TRUE(ps.ok()) << ps.status();
  ASSERT_TRUE(server_->Stop().ok());
  ASSERT_TRUE((*ps)->AwaitConnected(false, kWaitMs));
  const absl::Status s = (*ps)->broadcast("s", Payload(2 << 20, 1));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_TRUE((*ps)->broadcast("s", "small").ok());
}

// Hand-made fragments: what a subscriber does with lost, interleaved,
// malformed or oversized ones. Each case ends with a plain "end" from the
// same connection, which arrives after everything before it.
class NatsPubSubReassemblyTest : public NatsPubSubTest {
 protected:
  void SetUp() override {
    NatsPubSubTest::SetUp();
    raw_ = std::make_unique<RawClient>(server_->url());
    ASSERT_TRUE(raw_->ok());
  }

  std::unique_ptr<NatsPubSub> Subscriber(NatsPubSubOptions o) {
    auto ps = NatsPubSub::Connect(o);
    EXPECT_TRUE(ps.ok()) << ps.status();
    if (!ps.ok()) return nullptr;
    subject_ = StreamSubject((*ps)->subject_prefix(), "r");
    auto id = (*ps)->subscribe("r", inbox_.callback());
    EXPECT_TRUE(id.ok()) << id.status();
    id_ = id.value_or(0);
    return std::move(*ps);
  }

  natsStatus Fragment(std::uint64_t nonce, std::uint64_t sequence,
                      std::uint64_t index, std::uint64_t count,
                      std::uint64_t size, absl::string_view data) {
    return raw_->Fragment(subject_, nonce, sequence, index, count, size, data);
  }

  // Sends "end" and returns everything received up to it.
  std::vector<std::string> End() {
    EXPECT_EQ(raw_->Publish(subject_, "end", {}), NATS_OK);
    EXPECT_TRUE(inbox_.AwaitMessage("end"));
    return inbox_.messages();
  }

  std::unique_ptr<RawClient> raw_;
  std::string subject_;
  PubSubSubscriptionId id_ = 0;
  Inbox inbox_;
};

TEST_F(NatsPubSubReassemblyTest, InterleavedPublishers) {
  auto sub = Subscriber(FastOptions(server_->url(), "sub"));
  ASSERT_TRUE(sub);
  ASSERT_EQ(Fragment(0xA, 1, 0, 3, 9, "aaa"), NATS_OK);
  ASSERT_EQ(Fragment(0xB, 7, 0, 2, 6, "bbb"), NATS_OK);
  ASSERT_EQ(Fragment(0xA, 1, 1, 3, 9, "AAA"), NATS_OK);
  ASSERT_EQ(Fragment(0xB, 7, 1, 2, 6, "BBB"), NATS_OK);
  ASSERT_EQ(Fragment(0xA, 1, 2, 3, 9, "!!!"), NATS_OK);
  EXPECT_EQ(End(), (std::vector<std::string>{"bbbBBB", "aaaAAA!!!", "end"}));
  const auto stats = sub->reassembly_stats();
  EXPECT_EQ(stats.completed, 2u);
  EXPECT_EQ(stats.dropped, 0u);
  EXPECT_EQ(stats.pending, 0u);
}

TEST_F(NatsPubSubReassemblyTest, DropsAMessageWithLostFragments) {
  auto sub = Subscriber(FastOptions(server_->url(), "sub"));
  ASSERT_TRUE(sub);
  // Message 1 loses its last fragment; message 2 of the same publisher
  // starts: message 1 cannot complete any more.
  ASSERT_EQ(Fragment(0xA, 1, 0, 2, 6, "one"), NATS_OK);
  ASSERT_EQ(Fragment(0xA, 2, 0, 2, 6, "two"), NATS_OK);
  ASSERT_EQ(Fragment(0xA, 2, 1, 2, 6, "TWO"), NATS_OK);
  // Message 3 loses its middle fragment.
  ASSERT_EQ(Fragment(0xA, 3, 0, 3, 9, "thr"), NATS_OK);
  ASSERT_EQ(Fragment(0xA, 3, 2, 3, 9, "EE!"), NATS_OK);
  // A message whose start this subscription never saw.
  ASSERT_EQ(Fragment(0xC, 1, 1, 2, 6, "xyz"), NATS_OK);
  EXPECT_EQ(End(), (std::vector<std::string>{"twoTWO", "end"}));
  const auto stats = sub->reassembly_stats();
  EXPECT_EQ(stats.completed, 1u);
  EXPECT_EQ(stats.dropped, 2u);
  EXPECT_EQ(stats.pending, 0u);
  EXPECT_EQ(stats.pending_bytes, 0u);
}

TEST_F(NatsPubSubReassemblyTest, DropsMalformedFragments) {
  auto sub = Subscriber(FastOptions(server_->url(), "sub"));
  ASSERT_TRUE(sub);
  auto headers = [](std::string id, std::string index, std::string count,
                    std::string size) {
    return std::vector<std::pair<std::string, std::string>>{
        {kFragmentIdHeader, std::move(id)},
        {kFragmentIndexHeader, std::move(index)},
        {kFragmentCountHeader, std::move(count)},
        {kFragmentSizeHeader, std::move(size)}};
  };
  const std::string id = "00000000000000aa.1";
  const std::vector<std::vector<std::pair<std::string, std::string>>> bad = {
      headers("aa.1", "0", "2", "6"),                // short nonce
      headers("00000000000000zz.1", "0", "2", "6"),  // not hex
      headers("00000000000000aa.", "0", "2", "6"),   // no sequence
      headers(id, "2", "2", "6"),                    // index >= count
      headers(id, "0", "0", "6"),                    // no fragments
      headers(id, "-1", "2", "6"),                   // not a number
      headers(id, "0", "2", " 6x"),                  // not a number
      {{kFragmentIdHeader, id}},                     // headers missing
  };
  for (const auto& h : bad) {
    ASSERT_EQ(raw_->Publish(subject_, "abc", h), NATS_OK);
  }
  // Fragments that do not add up to the announced size.
  ASSERT_EQ(Fragment(0xB, 1, 0, 2, 4, "abc"), NATS_OK);
  ASSERT_EQ(Fragment(0xB, 1, 1, 2, 4, "def"), NATS_OK);  // 6 > 4
  ASSERT_EQ(Fragment(0xB, 2, 0, 2, 9, "abc"), NATS_OK);
  ASSERT_EQ(Fragment(0xB, 2, 1, 2, 9, "def"), NATS_OK);  // 6 < 9
  // Someone else's headers: delivered as a plain message.
  ASSERT_EQ(raw_->Publish(subject_, "foreign", {{"X-Other", "1"}}), NATS_OK);
  EXPECT_EQ(End(), (std::vector<std::string>{"foreign", "end"}));
  const auto stats = sub->reassembly_stats();
  EXPECT_EQ(stats.completed, 0u);
  EXPECT_EQ(stats.dropped, bad.size() + 2);
  EXPECT_EQ(stats.pending, 0u);
  EXPECT_EQ(stats.pending_bytes, 0u);
}

TEST_F(NatsPubSubReassemblyTest, DropsMessagesOverTheMemoryLimits) {
  NatsPubSubOptions o = FastOptions(server_->url(), "sub");
  o.max_message_bytes = 1000;
  o.max_reassembly_bytes = 1500;
  auto sub = Subscriber(o);
  ASSERT_TRUE(sub);
  const std::string half = Payload(500, 1);
  // Over max_message_bytes.
  ASSERT_EQ(Fragment(0xA, 1, 0, 3, 1001, half), NATS_OK);
  // B fits; C, with B partly received, does not fit the 1500 bytes.
  ASSERT_EQ(Fragment(0xB, 1, 0, 2, 1000, half), NATS_OK);
  ASSERT_EQ(Fragment(0xC, 1, 0, 2, 1000, half), NATS_OK);
  ASSERT_EQ(Fragment(0xB, 1, 1, 2, 1000, half), NATS_OK);
  ASSERT_EQ(Fragment(0xC, 1, 1, 2, 1000, half), NATS_OK);
  // Once B is done, there is room again.
  ASSERT_EQ(Fragment(0xC, 2, 0, 2, 1000, half), NATS_OK);
  ASSERT_EQ(Fragment(0xC, 2, 1, 2, 1000, half), NATS_OK);
  EXPECT_EQ(End(), (std::vector<std::string>{half + half, half + half, "end"}));
  const auto stats = sub->reassembly_stats();
  EXPECT_EQ(stats.completed, 2u);
  EXPECT_EQ(stats.dropped, 2u);
  EXPECT_EQ(stats.pending, 0u);
  EXPECT_EQ(stats.pending_bytes, 0u);
}

TEST_F(NatsPubSubReassemblyTest, DropsAStalledMessageAfterTheTimeout) {
  NatsPubSubOptions o = FastOptions(server_->url(), "sub");
  o.reassembly_timeout = std::chrono::milliseconds(100);
  auto sub = Subscriber(o);
  ASSERT_TRUE(sub);
  // A publisher that crashed after its first fragment.
  ASSERT_EQ(Fragment(0xA, 1, 0, 2, 6, "abc"), NATS_OK);
  ASSERT_TRUE(sub->AwaitReassemblyStats(
      [](const NatsPubSub::ReassemblyStats& s) { return s.pending == 1; },
      kWaitMs));
  EXPECT_EQ(sub->reassembly_stats().pending_bytes, 6u);
  // The sweeper drops it once it has seen no fragment for 100 ms.
  ASSERT_TRUE(sub->AwaitReassemblyStats(
      [](const NatsPubSub::ReassemblyStats& s) {
        return s.pending == 0 && s.dropped == 1;
      },
      kWaitMs));
  EXPECT_EQ(sub->reassembly_stats().pending_bytes, 0u);
  // Its last fragment, if it ever comes, is skipped.
  ASSERT_EQ(Fragment(0xA, 1, 1, 2, 6, "def"), NATS_OK);
  EXPECT_EQ(End(), (std::vector<std::string>{"end"}));
  EXPECT_EQ(sub->reassembly_stats().completed, 0u);
}

TEST_F(NatsPubSubReassemblyTest, UnsubscribeReleasesPartialMessages) {
  auto sub = Subscriber(FastOptions(server_->url(), "sub"));
  ASSERT_TRUE(sub);
  ASSERT_EQ(Fragment(0xA, 1, 0, 2, 6, "abc"), NATS_OK);
  ASSERT_EQ(Fragment(0xB, 1, 0, 2, 6, "abc"), NATS_OK);
  ASSERT_TRUE(sub->AwaitReassemblyStats(
      [](const NatsPubSub::ReassemblyStats& s) { return s.pending == 2; },
      kWaitMs));
  ASSERT_EQ(sub->subscription_count(), 1u);
  sub->unsubscribe(id_);
  EXPECT_EQ(sub->subscription_count(), 0u);
  const auto stats = sub->reassembly_stats();
  EXPECT_EQ(stats.pending, 0u);
  EXPECT_EQ(stats.pending_bytes, 0u);
  // Destroying a NatsPubSub with partial messages releases them too.
  Inbox other;
  ASSERT_TRUE(sub->subscribe("r", other.callback()).ok());
  ASSERT_EQ(Fragment(0xA, 2, 0, 2, 6, "abc"), NATS_OK);
  ASSERT_TRUE(sub->AwaitReassemblyStats(
      [](const NatsPubSub::ReassemblyStats& s) { return s.pending == 1; },
      kWaitMs));
  sub.reset();
}

}  // namespace
}  // namespace cable
