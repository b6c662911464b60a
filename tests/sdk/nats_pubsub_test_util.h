#pragma once
// What the NatsPubSub tests share: a fixture with a real nats-server on
// ephemeral ports, an inbox, connection events, and a raw nats.c client.
// Waiting is done on conditions signalled by callbacks, each bounded by
// kWait (a failure bound, never what the test waits for).

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
#include "cable/nats_pubsub.h"
#include "cable/stream_subject.h"
#include "tests/support/nats_server.h"

namespace cable::nats_test {

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

inline NatsPubSubOptions FastOptions(const std::string& url,
                                     const std::string& name) {
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
inline int UnusedPort() {
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

// subscribe_subject, waiting for on_live (bounded by kWait).
inline absl::StatusOr<PubSubSubscriptionId> SubscribeSubjectAndWait(
    NatsPubSub& ps, absl::string_view subject, PubSubCallback callback) {
  struct Outcome {
    absl::Notification done;
    absl::Status status;
  };
  auto outcome = std::make_shared<Outcome>();
  const PubSubSubscriptionId id = ps.SubscribeSubject(
      subject, std::move(callback), [outcome](absl::Status s) {
        outcome->status = std::move(s);
        outcome->done.Notify();
      });
  if (!outcome->done.WaitForNotificationWithTimeout(kWait)) {
    ps.Unsubscribe(id);
    return absl::DeadlineExceededError("subscribe_subject: no on_live");
  }
  if (!outcome->status.ok()) return outcome->status;
  return id;
}

// `size` deterministic pseudo-random bytes (every byte value, NULs
// included), different for each seed.
inline std::string Payload(std::size_t size, std::uint64_t seed) {
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
inline ::testing::AssertionResult SameBytes(const std::string& got,
                                            const std::string& want) {
  if (got == want) return ::testing::AssertionSuccess();
  const auto mismatch =
      std::mismatch(got.begin(), got.end(), want.begin(), want.end());
  return ::testing::AssertionFailure()
         << "got " << got.size() << " bytes, want " << want.size()
         << "; first difference at offset " << (mismatch.first - got.begin());
}

inline double Millis(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// A nats-server whose max payload is `max_payload` (nats-server 2.9 has no
// flag for it: a configuration file, removed once the server read it).
inline absl::StatusOr<NatsServer> StartServerWithMaxPayload(int max_payload) {
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

inline std::string Header(natsMsg* msg, const char* key) {
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg, key, &value) != NATS_OK || value == nullptr) {
    return "<none>";
  }
  return value;
}

}  // namespace cable::nats_test
