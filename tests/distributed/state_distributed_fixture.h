#pragma once
// What the distributed tests of stateful channels (state_distributed_*.cc)
// share: a cluster of a JetStream-enabled nats-server, cable-service
// replicas and cable-gateways, and a WebSocket client speaking the
// stateful-channel commands.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "tests/support/must.h"
#include "tests/support/nats_server.h"
#include "tests/support/publisher_client.h"
#include "tests/support/server_process.h"
#include "tests/support/ws_client.h"

namespace cable::testing::state_distributed {

using ::nlohmann::json;
using Clock = std::chrono::steady_clock;

inline long long Millis(Clock::duration d) {
  return static_cast<long long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

// nats-server with JetStream, cable-service replicas and gateways; each
// gateway talks to one chosen replica.
class StateCluster {
 public:
  // `services` replicas started with `service_args`; gateways added later
  // get `gateway_args`.
  explicit StateCluster(int services,
                        std::vector<std::string> service_args = {},
                        std::vector<std::string> gateway_args = {})
      : service_args_(std::move(service_args)),
        gateway_args_(std::move(gateway_args)),
        nats_(Must(StartNats())) {
    for (int i = 0; i < services; ++i) {
      std::vector<std::string> args = {
          "--nats_url=" + nats_.url(), "--host=127.0.0.1", "--grpc_port=0",
          "--internal_port=0",         "--metrics_port=0", "--log_level=warn"};
      args.insert(args.end(), service_args_.begin(), service_args_.end());
      services_.push_back(Must(ServerProcess::Start(
          BinaryFromEnv("CABLE_SERVICE", CABLE_SERVICE_BUILT), args)));
    }
  }

  // A gateway whose only service is replica `service`.
  ServerProcess& AddGateway(int service) {
    std::vector<std::string> args = {
        "--nats_url=" + nats_.url(), "--host=127.0.0.1", "--port=0",
        absl::StrCat("--service=127.0.0.1:",
                     services_[service].internal_port()),
        "--log_level=warn"};
    args.insert(args.end(), gateway_args_.begin(), gateway_args_.end());
    gateways_.push_back(
        std::make_unique<ServerProcess>(Must(ServerProcess::Start(
            BinaryFromEnv("CABLE_GATEWAY", CABLE_GATEWAY_BUILT), args))));
    return *gateways_.back();
  }

  int grpc_port(int service) const { return services_[service].grpc_port(); }
  int http_port(int gateway) const { return gateways_[gateway]->http_port(); }
  ServerProcess& gateway(int i) { return *gateways_[i]; }

 private:
  static absl::StatusOr<NatsServer> StartNats() {
    NatsServer::Options options;
    options.jetstream = true;
    return NatsServer::Start(options);
  }

  std::vector<std::string> service_args_;
  std::vector<std::string> gateway_args_;
  NatsServer nats_;
  std::vector<ServerProcess> services_;
  std::vector<std::unique_ptr<ServerProcess>> gateways_;
};

inline std::string Identifier(const std::string& channel) {
  return json{{"channel", channel}}.dump();
}

// What a client knows of one joined channel, rebuilt from the frames it
// receives: the state with every patch applied. Any revision or event id
// gap is a test failure.
struct ChannelView {
  bool synced = false;
  json state;
  std::uint64_t revision = 0;
  std::uint64_t last_event_id = 0;
  json backlog = json::array();
  std::vector<json> live_events;
  int updates = 0;
};

// A WebSocket client speaking the stateful-channel commands. Not
// thread-safe: one thread drives one client.
class BoardClient {
 public:
  explicit BoardClient(int port, const std::string& path = "/cable") {
    WsClient::Options options;
    options.path = path;
    options.timeout = std::chrono::seconds(30);
    ws_ = Must(WsClient::Connect(port, options));
    auto welcome = ws_->ReceiveNonPing();
    if (!welcome.ok() || welcome->value("type", "") != "welcome") {
      ADD_FAILURE() << "no welcome: "
                    << (welcome.ok() ? welcome->dump()
                                     : welcome.status().ToString());
      broken_ = true;
      return;
    }
    sid_ = welcome->value("sid", "");
  }

  const std::string& sid() const { return sid_; }
  // "<gateway id>.<random>": the gateway is everything before the last dot.
  std::string gateway_id() const {
    const auto dot = sid_.rfind('.');
    return dot == std::string::npos ? "" : sid_.substr(0, dot);
  }
  bool broken() const { return broken_; }
  WsClient& ws() { return *ws_; }

  void SendJoin(const std::string& channel) {
    Send({{"command", "join"}, {"identifier", Identifier(channel)}});
  }
  // Joins and waits for the channel's backlog and state.
  void Join(const std::string& channel) {
    SendJoin(channel);
    while (!broken_ && !view(channel).synced) Pump();
  }
  void SendLeave(const std::string& channel) {
    Send({{"command", "leave"}, {"identifier", Identifier(channel)}});
  }
  int SendRequest(const std::string& channel, const std::string& request,
                  const json& payload) {
    const int id = next_id_++;
    Send({{"command", "request"},
          {"identifier", Identifier(channel)},
          {"data", json{{"id", id}, {"request", request}, {"payload", payload}}
                       .dump()}});
    return id;
  }
  void SendAction(const std::string& channel, const std::string& action,
                  const json& payload) {
    Send({{"command", "message"},
          {"identifier", Identifier(channel)},
          {"data", json{{"action", action}, {"payload", payload}}.dump()}});
  }

  // Reads frames until the reply to request `id`; null if the connection
  // broke first.
  json WaitReply(int id) {
    for (;;) {
      if (auto it = replies_.find(id); it != replies_.end()) {
        json reply = std::move(it->second);
        replies_.erase(it);
        return reply;
      }
      if (broken_) return json();
      Pump();
    }
  }

  // Reads frames until the channel's view reaches `revision`.
  void WaitRevision(const std::string& channel, std::uint64_t revision) {
    while (!broken_ && view(channel).revision < revision) Pump();
  }

  ChannelView& view(const std::string& channel) { return views_[channel]; }

  // Receives one frame and applies it.
  void Pump() {
    auto frame = ws_->ReceiveNonPing();
    if (!frame.ok()) {
      ADD_FAILURE() << "client " << sid_ << ": " << frame.status();
      broken_ = true;
      return;
    }
    Apply(*frame);
  }

 private:
  void Send(const json& command) {
    absl::Status sent = ws_->Send(command.dump());
    if (!sent.ok()) {
      ADD_FAILURE() << "client " << sid_ << ": " << sent;
      broken_ = true;
    }
  }

  void Apply(const json& frame) {
    const std::string type = frame.value("type", "");
    if (type == "reply") {
      replies_[frame["id"].get<int>()] = frame;
      return;
    }
    std::string channel;
    if (frame.contains("identifier") && frame["identifier"].is_string()) {
      json id =
          json::parse(frame["identifier"].get<std::string>(), nullptr, false);
      if (id.is_object()) channel = id.value("channel", "");
    }
    if (type == "error" || type == "reject_subscription" ||
        type == "disconnect" || channel.empty()) {
      ADD_FAILURE() << "client " << sid_ << " got " << frame.dump();
      return;
    }
    ChannelView& v = views_[channel];
    if (type == "backlog") {
      v.backlog = frame["events"];
      return;
    }
    if (type == "state") {
      v.synced = true;
      v.state = frame["state"];
      v.revision = frame["revision"].get<std::uint64_t>();
      v.last_event_id = frame["last_event_id"].get<std::uint64_t>();
      return;
    }
    if (type != "event" && type != "event_patch") {
      ADD_FAILURE() << "client " << sid_ << ": unexpected " << frame.dump();
      return;
    }
    if (!v.synced) {
      ADD_FAILURE() << "client " << sid_
                    << ": update before the state: " << frame.dump();
      return;
    }
    const std::uint64_t revision = frame["revision"].get<std::uint64_t>();
    // "event" frames come first for all but the last event of a commit,
    // with the commit's revision; the event_patch then completes it.
    EXPECT_EQ(revision, v.revision + 1)
        << "client " << sid_ << " channel " << channel
        << ": revision gap or repeat: " << frame.dump();
    if (!frame["event_id"].is_null()) {
      const std::uint64_t event_id = frame["event_id"].get<std::uint64_t>();
      EXPECT_EQ(event_id, v.last_event_id + 1)
          << "client " << sid_ << " channel " << channel
          << ": event id gap or repeat: " << frame.dump();
      v.last_event_id = event_id;
      v.live_events.push_back(frame["event"]);
    }
    if (type == "event") return;
    if (!frame["patch"].is_null()) {
      try {
        v.state = v.state.patch(frame["patch"]);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "client " << sid_ << ": patch does not apply ("
                      << e.what() << "): " << frame.dump() << " to state "
                      << v.state.dump();
      }
    }
    v.revision = revision;
    ++v.updates;
  }

  std::unique_ptr<WsClient> ws_;
  std::string sid_;
  bool broken_ = false;
  int next_id_ = 1;
  std::map<int, json> replies_;
  std::map<std::string, ChannelView> views_;
};

inline json StateJson(const v1::GetStateResponse& response) {
  return json::parse(response.state());
}

// Sends `total` requests, at most `window` unanswered at a time (the
// gateway queues them in order), reading whatever else arrives meanwhile.
// `make(i)` gives the i-th request's (channel, request, payload);
// `on_reply(i, reply)` sees each reply.
template <class Make, class OnReply>
inline void Pipeline(BoardClient& client, int total, int window, Make make,
                     OnReply on_reply) {
  std::deque<std::pair<int, int>> in_flight;  // (index, request id)
  int sent = 0;
  while (sent < total || !in_flight.empty()) {
    while (sent < total && static_cast<int>(in_flight.size()) < window) {
      auto [channel, request, payload] = make(sent);
      in_flight.emplace_back(sent,
                             client.SendRequest(channel, request, payload));
      ++sent;
    }
    const auto [index, id] = in_flight.front();
    in_flight.pop_front();
    json reply = client.WaitReply(id);
    if (client.broken()) return;
    on_reply(index, reply);
  }
}

}  // namespace cable::testing::state_distributed
