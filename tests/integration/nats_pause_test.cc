// Issue 15's acceptance test: with nats-server paused (SIGSTOP) while one
// client subscribes to a new stream, the gateway's event loop stays free.
// Other clients on the same loop (--threads=1) get their WebSocket pongs
// within 50 ms and their Action Cable pings on time, and the subscribing
// client is confirmed only once NATS is back.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "tests/support/must.h"
#include "tests/support/nats_server.h"
#include "tests/support/raw_ws_client.h"
#include "tests/support/server_process.h"

namespace cable::testing {
namespace {

using ::nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kPingInterval(250);
// How long a pong may take while NATS is paused (the bound).
constexpr milliseconds kPongBound(50);
// How late an Action Cable ping may come: an interval, plus slack for a
// shared machine. A loop blocked on NATS (seconds) is far past it.
constexpr milliseconds kPingGapBound = kPingInterval + milliseconds(150);
// Rounds of one Action Cable ping each while NATS is paused: the window
// in which the subscribe to the new stream is under way. A loop blocked
// while a WebSocket ping is outstanding delays its pong; blocked at any
// moment of the window, it delays the next Action Cable ping.
constexpr int kPingsWhilePaused = 6;

std::string UpgradeRequest() {
  return absl::StrCat(
      "GET /cable HTTP/1.1\r\n"
      "Host: 127.0.0.1\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Key: ",
      kRfcKey,
      "\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Protocol: actioncable-v1-json\r\n\r\n");
}

std::string Room(const std::string& room) {
  return json{{"channel", "ChatChannel"}, {"room", room}}.dump();
}

std::string Command(const std::string& command, const std::string& identifier,
                    const json& data = nullptr) {
  json c = {{"command", command}, {"identifier", identifier}};
  if (!data.is_null()) c["data"] = data.dump();
  return ClientFrame(kFin | kText, c.dump());
}

// A text frame's JSON object; an empty object for anything else.
json Parse(const ServerFrame& frame) {
  if (frame.opcode != kText) return json::object();
  json m = json::parse(frame.payload, nullptr, false);
  return m.is_object() ? m : json::object();
}

bool IsActionCablePing(const ServerFrame& frame) {
  const json m = Parse(frame);
  return m.value("type", "") == "ping";
}

// A WebSocket connection whose welcome has been read.
std::unique_ptr<RawClient> Open(int port) {
  auto client = Must(RawClient::Connect(port));
  EXPECT_TRUE(client->Write(UpgradeRequest()).ok());
  auto response = Must(client->ReadHttpResponse());
  EXPECT_EQ(response.status, 101);
  auto welcome = Parse(Must(client->ReadNonKeepalive()));
  EXPECT_EQ(welcome.value("type", ""), "welcome") << welcome;
  return client;
}

// The next frame that is not a keepalive, as JSON.
json NextMessage(RawClient& client) {
  auto frame = client.ReadNonKeepalive();
  EXPECT_TRUE(frame.ok()) << frame.status();
  return frame.ok() ? Parse(*frame) : json::object();
}

// Stops a process for the life of the guard (or until resume()): the test
// never leaves nats-server stopped, whatever fails. The process must be in
// a process group of its own (NatsServer::Options::own_process_group), or
// another process of the test's group exiting may continue it.
class Paused final {
 public:
  explicit Paused(pid_t pid) : pid_(pid) {
    EXPECT_EQ(::kill(pid_, SIGSTOP), 0);
    // SIGSTOP takes effect asynchronously: wait until the kernel reports
    // the server (a child of this process) stopped.
    int status = 0;
    pid_t got;
    do {
      got = ::waitpid(pid_, &status, WUNTRACED);
    } while (got < 0 && errno == EINTR);
    EXPECT_TRUE(got == pid_ && WIFSTOPPED(status));
  }
  ~Paused() { Resume(); }
  Paused(const Paused&) = delete;
  Paused& operator=(const Paused&) = delete;
  void Resume() {
    if (pid_ == 0) return;
    EXPECT_EQ(::kill(pid_, SIGCONT), 0);
    pid_ = 0;
  }

 private:
  pid_t pid_;
};

// One observer's measurements while NATS is paused.
struct Observation {
  std::vector<Clock::time_point> pings;  // Action Cable pings, as they came
  std::vector<milliseconds> pongs;       // WebSocket ping -> pong times
};

// Sends a WebSocket ping; the pong is awaited by AwaitPong.
void SendPing(RawClient& client, int round) {
  ASSERT_TRUE(
      client.Write(ClientFrame(kFin | kPing, absl::StrCat("p", round))).ok());
}

// Reads until the pong of round `round` (recording how long it took since
// `sent`) and then until the next Action Cable ping (recording when it
// came). Any other frame is a failure: the subscriber's confirmation must
// not come while NATS is paused.
void AwaitPongThenPing(RawClient& client, int round, Clock::time_point sent,
                       Observation& seen) {
  const std::string payload = absl::StrCat("p", round);
  bool ponged = false;
  for (;;) {
    auto frame = client.ReadFrame();
    ASSERT_TRUE(frame.ok()) << frame.status();
    const auto now = Clock::now();
    if (!ponged && frame->opcode == kPong && frame->payload == payload) {
      seen.pongs.push_back(
          std::chrono::duration_cast<milliseconds>(now - sent));
      ponged = true;
      continue;
    }
    if (IsActionCablePing(*frame)) {
      seen.pings.push_back(now);
      if (ponged) return;
      continue;
    }
    if (frame->opcode == kPing) continue;  // the server probing a quiet client
    ADD_FAILURE() << "unexpected frame " << *frame;
    return;
  }
}

// An observer's rounds, each one Action Cable ping interval long: a
// WebSocket ping and its pong, then the next Action Cable ping.
void Observe(RawClient& client, int rounds, Observation& seen) {
  for (int round = 0; round < rounds; ++round) {
    const auto sent = Clock::now();
    SendPing(client, round);
    const std::size_t pongs = seen.pongs.size();
    AwaitPongThenPing(client, round, sent, seen);
    if (seen.pongs.size() == pongs) return;  // failed
  }
}

TEST(NatsPause, EventLoopStaysFreeAndConfirmationWaitsForNats) {
  NatsServer::Options nats_options;
  nats_options.jetstream = true;
  nats_options.own_process_group = true;  // see Paused
  NatsServer nats = Must(NatsServer::Start(nats_options));
  ServerProcess server = Must(ServerProcess::Start(
      CableServerBinary(),
      {"--host=127.0.0.1", "--port=0", "--grpc_port=0", "--log_level=warn",
       "--nats_url=" + nats.url(), "--threads=1",
       absl::StrCat("--ping_interval=", kPingInterval.count(), "ms")},
      std::chrono::seconds(20)));
  const int port = server.http_port();

  std::vector<std::unique_ptr<RawClient>> observers;
  for (int i = 0; i < 3; ++i) observers.push_back(Open(port));
  auto subscriber = Open(port);
  // A room nobody listens to: its stream is new to the gateway, so the
  // subscribe must reach NATS.
  const std::string room = Room("paused-nats");

  Paused paused(nats.pid());
  const auto t0 = Clock::now();
  ASSERT_TRUE(subscriber->Write(Command("subscribe", room)).ok());

  // While NATS stays paused, each observer (on its own thread, so that
  // arrival times are read as they happen) runs its rounds.
  // The first ping is due within an interval of the subscribe, too.
  std::vector<Observation> seen(observers.size());
  for (auto& observation : seen) observation.pings.push_back(t0);
  {
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < observers.size(); ++i) {
      threads.emplace_back(
          [&, i] { Observe(*observers[i], kPingsWhilePaused, seen[i]); });
    }
    for (auto& t : threads) t.join();
  }
  for (const auto& observation : seen) {
    ASSERT_EQ(observation.pongs.size(), std::size_t{kPingsWhilePaused});
  }
  for (std::size_t i = 0; i < observers.size(); ++i) {
    const auto slowest =
        *std::max_element(seen[i].pongs.begin(), seen[i].pongs.end());
    EXPECT_LE(slowest.count(), kPongBound.count())
        << "observer " << i << ": a pong took " << slowest.count()
        << " ms with NATS paused (" << seen[i].pongs.size() << " pings)";
    milliseconds widest(0);
    for (std::size_t p = 1; p < seen[i].pings.size(); ++p) {
      widest = std::max(widest, std::chrono::duration_cast<milliseconds>(
                                    seen[i].pings[p] - seen[i].pings[p - 1]));
    }
    EXPECT_LE(widest.count(), kPingGapBound.count())
        << "observer " << i << ": Action Cable pings " << widest.count()
        << " ms apart with NATS paused (interval " << kPingInterval.count()
        << " ms)";
  }

  // The subscriber was not confirmed while NATS was paused: all it got
  // meanwhile were keepalives. (Its own pings show its loop ran.)
  {
    Observation own;
    Observe(*subscriber, 1, own);
    ASSERT_EQ(own.pongs.size(), 1u);
  }

  paused.Resume();
  const json answer = NextMessage(*subscriber);
  EXPECT_EQ(answer.value("type", ""), "confirm_subscription") << answer;
  EXPECT_EQ(answer.value("identifier", ""), room);

  // Live once confirmed: another client's broadcast to the room reaches it.
  ASSERT_TRUE(observers[0]->Write(Command("subscribe", room)).ok());
  EXPECT_EQ(NextMessage(*observers[0]).value("type", ""),
            "confirm_subscription");
  ASSERT_TRUE(observers[0]
                  ->Write(Command("message", room,
                                  {{"action", "speak"}, {"message", "back"}}))
                  .ok());
  const json message = NextMessage(*subscriber);
  EXPECT_EQ(message.value("identifier", ""), room) << message;
  EXPECT_EQ(message["message"].value("message", ""), "back") << message;
}

// NATS stays paused until the subscribe fails (the pub/sub's flush is
// bounded: 5 s by default, within the client's 10 s read bound): the client
// is rejected, never confirmed, and the subscription the service made is
// undone. Once NATS is back, subscribing again starts the stream afresh.
TEST(NatsPause, SubscribeThatCannotStartIsRejected) {
  NatsServer::Options nats_options;
  nats_options.jetstream = true;
  nats_options.own_process_group = true;  // see Paused
  NatsServer nats = Must(NatsServer::Start(nats_options));
  ServerProcess server = Must(
      ServerProcess::Start(CableServerBinary(),
                           {"--host=127.0.0.1", "--port=0", "--grpc_port=0",
                            "--log_level=error", "--nats_url=" + nats.url()},
                           std::chrono::seconds(20)));
  auto client = Open(server.http_port());
  const std::string room = Room("never-live");
  {
    Paused paused(nats.pid());
    ASSERT_TRUE(client->Write(Command("subscribe", room)).ok());
    const json answer = NextMessage(*client);
    EXPECT_EQ(answer.value("type", ""), "reject_subscription")
        << answer << "\nnats-server's log:\n"
        << nats.log();
    EXPECT_EQ(answer.value("identifier", ""), room);
  }
  // The gateway ran the unsubscribe first (commands stay in order), so
  // the identifier is free again and the failed stream was dropped.
  ASSERT_TRUE(client->Write(Command("subscribe", room)).ok());
  const json again = NextMessage(*client);
  EXPECT_EQ(again.value("type", ""), "confirm_subscription") << again;
  ASSERT_TRUE(client
                  ->Write(Command("message", room,
                                  {{"action", "speak"}, {"message", "hi"}}))
                  .ok());
  const json message = NextMessage(*client);
  EXPECT_EQ(message["message"].value("message", ""), "hi") << message;
}

}  // namespace
}  // namespace cable::testing
