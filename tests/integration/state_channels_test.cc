// Stateful channels end to end: the real cable-server, real WebSocket
// clients and gRPC calls, once with the in-memory state store and once with
// NATS JetStream (a real nats-server).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/must.h"
#include "tests/support/nats_server.h"
#include "tests/support/publisher_client.h"
#include "tests/support/server_process.h"
#include "tests/support/ws_client.h"

namespace cable::testing {
namespace {

using ::nlohmann::json;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

enum class Store { kMemory, kNats };

std::string Board(const std::string& name) {
  return json{{"channel", name}}.dump();
}

// A client joined to stateful channels, tracking what it was sent.
class Member {
 public:
  explicit Member(int port, const std::string& user = "") {
    WsClient::Options options;
    if (!user.empty()) options.path = "/cable?user=" + user;
    options.timeout = std::chrono::seconds(20);
    client_ = Must(WsClient::Connect(port, options));
    auto welcome = Must(client_->ReceiveNonPing());
    EXPECT_EQ(welcome.value("type", ""), "welcome");
    sid_ = welcome.value("sid", "");
  }

  WsClient& ws() { return *client_; }
  const std::string& sid() const { return sid_; }

  absl::Status SendJoin(const std::string& channel,
                        std::optional<std::uint64_t> last_event_id = {}) {
    json frame = {{"command", "join"}, {"identifier", Board(channel)}};
    if (last_event_id) {
      frame["data"] = json{{"last_event_id", *last_event_id}}.dump();
    }
    return client_->Send(frame.dump());
  }

  // Joins; returns the backlog's events, and the state frame in `state`.
  json Join(const std::string& channel, json* state,
            std::optional<std::uint64_t> last_event_id = {}) {
    EXPECT_TRUE(SendJoin(channel, last_event_id).ok());
    json backlog = Next(channel);
    EXPECT_EQ(backlog.value("type", ""), "backlog") << backlog;
    *state = Next(channel);
    EXPECT_EQ(state->value("type", ""), "state") << *state;
    return backlog["events"];
  }

  absl::Status Request(const std::string& channel, int id,
                       const std::string& request, const json& payload) {
    return client_->Send(json{
        {"command", "request"},
        {"identifier", Board(channel)},
        {"data",
         json{{"id", id}, {"request", request}, {"payload", payload}}.dump()}}
                             .dump());
  }

  absl::Status Action(const std::string& channel, const std::string& action,
                      const json& payload) {
    return client_->Send(
        json{{"command", "message"},
             {"identifier", Board(channel)},
             {"data", json{{"action", action}, {"payload", payload}}.dump()}}
            .dump());
  }

  // The next frame for `channel` (pings and other channels skipped).
  json Next(const std::string& channel) {
    for (;;) {
      auto m = client_->ReceiveNonPing();
      if (!m.ok()) {
        ADD_FAILURE() << m.status();
        return json::object();
      }
      if (m->value("identifier", "") == Board(channel)) return *m;
    }
  }

  // The next frame of `type` for `channel`, skipping others.
  json NextOfType(const std::string& channel, const std::string& type) {
    for (;;) {
      json m = Next(channel);
      if (m.empty() || m.value("type", "") == type) return m;
    }
  }

 private:
  std::unique_ptr<WsClient> client_;
  std::string sid_;
};

class StateChannelsTest : public ::testing::TestWithParam<Store> {
 protected:
  void SetUp() override {
    std::vector<std::string> args = {"--host=127.0.0.1", "--port=0",
                                     "--grpc_port=0", "--log_level=warn"};
    if (GetParam() == Store::kNats) {
      NatsServer::Options options;
      options.jetstream = true;
      nats_.emplace(Must(NatsServer::Start(options)));
      args.push_back("--nats_url=" + nats_->url());
    }
    server_.emplace(Must(ServerProcess::Start(CableServerBinary(), args)));
    publisher_ = std::make_unique<StatePublisher>(server_->grpc_port());
  }

  int port() const { return server_->http_port(); }
  StatePublisher& publisher() { return *publisher_; }

  // Commits one event {"n": i} per call through UpdateState, state
  // unchanged; retried when a client's join or leave changed the state
  // first (compare-and-set).
  void AddEvents(const std::string& channel, int from, int count) {
    for (int i = from; i < from + count; ++i) {
      for (;;) {
        auto state = Must(publisher().GetState(channel));
        auto updated = publisher().UpdateState(
            channel, state.revision(), std::nullopt, {json{{"n", i}}.dump()});
        if (updated.ok()) break;
        ASSERT_EQ(updated.status().code(),
                  absl::StatusCode::kFailedPrecondition)
            << updated.status();
      }
    }
  }

  std::optional<NatsServer> nats_;
  std::optional<ServerProcess> server_;
  std::unique_ptr<StatePublisher> publisher_;
};

TEST_P(StateChannelsTest, CreateChannelIsIdempotentAndGetStateReadsIt) {
  EXPECT_TRUE(Must(
      publisher().CreateChannel("board:t", R"({"count":5})", true, "widgets")));
  EXPECT_FALSE(
      Must(publisher().CreateChannel("board:t", R"({"count":9})", true)));
  auto state = Must(publisher().GetState("board:t"));
  EXPECT_EQ(json::parse(state.state()), json({{"count", 5}}));
  EXPECT_EQ(state.revision(), 1u);
  EXPECT_EQ(state.type(), "widgets");
  EXPECT_THAT(Must(publisher().ListChannels("widgets")),
              ::testing::ElementsAre("board:t"));
  EXPECT_EQ(publisher().GetState("board:none").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(publisher().CreateChannel("board:bad", "{nope").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(publisher()
                .CreateChannel("board:long", "{}", true, std::string(51, 't'))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(StateChannelsTest, JoinSendsBacklogThenStateThenLiveUpdates) {
  Must(publisher().CreateChannel("board:j", R"({"count":0})"));
  AddEvents("board:j", 1, 3);
  Member a(port(), "ann");
  json state;
  json backlog = a.Join("board:j", &state);
  ASSERT_EQ(backlog.size(), 3u);
  EXPECT_EQ(backlog[0]["id"], 1);
  EXPECT_EQ(backlog[2]["event"], json({{"n", 3}}));
  // The join itself marked ann present (a state change, revision 5).
  EXPECT_EQ(state["last_event_id"], 3);
  EXPECT_EQ(state["revision"], 5);
  EXPECT_TRUE(state["state"]["present"].contains("ann"));

  Member b(port(), "bob");
  json b_state;
  b.Join("board:j", &b_state);
  // ann sees bob arrive: a patch, no event.
  json arrived = a.NextOfType("board:j", "event_patch");
  EXPECT_EQ(arrived["revision"], 6);
  EXPECT_TRUE(arrived["event"].is_null());
  EXPECT_THAT(arrived["patch"].dump(), HasSubstr("/present/bob"));

  ASSERT_TRUE(a.Action("board:j", "increment", {{"by", 2}}).ok());
  for (Member* m : {&a, &b}) {
    json update = m->NextOfType("board:j", "event_patch");
    EXPECT_EQ(update["revision"], 7);
    EXPECT_EQ(update["event_id"], 4);
    EXPECT_EQ(update["event"], json({{"increment", 2}, {"by", "ann"}}));
    EXPECT_EQ(update["patch"],
              json::parse(R"([{"op":"replace","path":"/count","value":2}])"));
  }
}

TEST_P(StateChannelsTest, JoinsOfUnknownChannelsAreRefused) {
  Member a(port());
  ASSERT_TRUE(a.SendJoin("board:missing").ok());
  EXPECT_EQ(a.Next("board:missing").value("type", ""), "reject_subscription");
  ASSERT_TRUE(a.SendJoin("nohandler:1").ok());
  EXPECT_EQ(a.Next("nohandler:1").value("type", ""), "reject_subscription");
  // The connection is still usable.
  Must(publisher().CreateChannel("board:ok", "{}"));
  json state;
  a.Join("board:ok", &state);
  EXPECT_EQ(state["revision"], 2);
}

TEST_P(StateChannelsTest, RequestsReplyAndErrorsKeepTheConnection) {
  Must(publisher().CreateChannel("board:r", R"({"count":1})"));
  Member a(port(), "ann");
  json state;
  a.Join("board:r", &state);

  ASSERT_TRUE(a.Request("board:r", 1, "increment", {{"by", 4}}).ok());
  json reply = a.NextOfType("board:r", "reply");
  EXPECT_EQ(reply["id"], 1);
  EXPECT_EQ(reply["status"], "success");
  EXPECT_EQ(reply["data"], 5);

  ASSERT_TRUE(a.Request("board:r", 2, "take", {{"amount", 50}}).ok());
  reply = a.NextOfType("board:r", "reply");
  EXPECT_EQ(reply["id"], 2);
  EXPECT_EQ(reply["status"], "failure");
  EXPECT_THAT(reply["error"].get<std::string>(), HasSubstr("only 5 left"));

  ASSERT_TRUE(a.Request("board:r", 3, "no_such_request", nullptr).ok());
  reply = a.NextOfType("board:r", "reply");
  EXPECT_EQ(reply["status"], "failure");
  EXPECT_THAT(reply["error"].get<std::string>(), HasSubstr("unknown request"));

  ASSERT_TRUE(a.Action("board:r", "no_such_action", nullptr).ok());
  json error = a.NextOfType("board:r", "error");
  EXPECT_THAT(error["error"].get<std::string>(), HasSubstr("unknown action"));

  ASSERT_TRUE(a.Action("board:r", "set", {{"cell", 99}}).ok());
  error = a.NextOfType("board:r", "error");
  EXPECT_THAT(error["error"].get<std::string>(), HasSubstr("cell must be"));

  // Still connected and served.
  ASSERT_TRUE(a.Request("board:r", 4, "take", {{"amount", 5}}).ok());
  reply = a.NextOfType("board:r", "reply");
  EXPECT_EQ(reply["id"], 4);
  EXPECT_EQ(reply["status"], "success");
  EXPECT_EQ(reply["data"], 0);
}

TEST_P(StateChannelsTest, RejoinGetsExactlyTheMissedEventsThenLiveOnes) {
  Must(publisher().CreateChannel("board:re", R"({"count":0})"));
  AddEvents("board:re", 1, 5);
  std::uint64_t last_seen = 0;
  {
    Member a(port(), "ann");
    json state;
    json backlog = a.Join("board:re", &state);
    ASSERT_EQ(backlog.size(), 5u);
    last_seen = backlog.back()["id"].get<std::uint64_t>();
    EXPECT_EQ(last_seen, 5u);
  }  // disconnected
  AddEvents("board:re", 6, 30);
  Member a(port(), "ann");
  json state;
  json backlog = a.Join("board:re", &state, last_seen);
  // Limit "all" on a rejoin: every one missed, even past the fresh-join
  // limit of 20, and none seen before.
  ASSERT_EQ(backlog.size(), 30u);
  for (std::size_t i = 0; i < backlog.size(); ++i) {
    EXPECT_EQ(backlog[i]["id"], 6 + i);
    EXPECT_EQ(backlog[i]["event"]["n"], 6 + i);
  }
  EXPECT_EQ(state["last_event_id"], 35);
  AddEvents("board:re", 36, 1);
  json live = a.NextOfType("board:re", "event_patch");
  EXPECT_EQ(live["event_id"], 36);
  EXPECT_EQ(live["revision"], state["revision"].get<int>() + 1);
}

TEST_P(StateChannelsTest, FreshJoinGetsTheNewestTwentyEvents) {
  Must(publisher().CreateChannel("board:lim", "{}"));
  AddEvents("board:lim", 1, 30);
  Member a(port());
  json state;
  json backlog = a.Join("board:lim", &state);
  ASSERT_EQ(backlog.size(), 20u);
  EXPECT_EQ(backlog.front()["id"], 11);
  EXPECT_EQ(backlog.back()["id"], 30);
}

TEST_P(StateChannelsTest, ChannelsWithoutKeptEventsSendThemLiveOnly) {
  Must(publisher().CreateChannel("board:nok", "{}", /*keep_events=*/false));
  AddEvents("board:nok", 1, 3);
  Member a(port());
  json state;
  EXPECT_TRUE(a.Join("board:nok", &state).empty());
  EXPECT_EQ(state["last_event_id"], 3);
  AddEvents("board:nok", 4, 1);
  EXPECT_EQ(a.NextOfType("board:nok", "event_patch")["event"],
            json({{"n", 4}}));
  Member b(port());
  EXPECT_TRUE(b.Join("board:nok", &state, 0).empty());
}

TEST_P(StateChannelsTest, DeleteEventsByCountAndByAge) {
  Must(publisher().CreateChannel("board:del", "{}"));
  AddEvents("board:del", 1, 10);
  EXPECT_EQ(Must(publisher().DeleteEvents("board:del", 3, std::nullopt)), 7u);
  Member a(port());
  json state;
  json backlog = a.Join("board:del", &state, 0);
  ASSERT_EQ(backlog.size(), 3u);
  EXPECT_EQ(backlog[0]["id"], 8);

  // Age: events 11..15 are made over a second after 8..10.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const auto second_batch = Clock::now();
  AddEvents("board:del", 11, 5);
  const auto age_of_second_batch =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() -
                                                            second_batch);
  const std::uint64_t keep_ms = age_of_second_batch.count() + 500;
  EXPECT_EQ(Must(publisher().DeleteEvents("board:del", std::nullopt, keep_ms)),
            3u);
  // Whichever keeps more: 8 by count beats 5 by age.
  EXPECT_EQ(Must(publisher().DeleteEvents("board:del", 8, keep_ms)), 0u);
  Member b(port());
  backlog = b.Join("board:del", &state, 0);
  ASSERT_EQ(backlog.size(), 5u);
  EXPECT_EQ(backlog[0]["id"], 11);
  EXPECT_EQ(publisher()
                .DeleteEvents("board:del", std::nullopt, std::nullopt)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(StateChannelsTest, UpdateStateIsCompareAndSet) {
  Must(publisher().CreateChannel("board:cas", R"({"count":0})"));
  auto state = Must(publisher().GetState("board:cas"));
  auto updated = Must(publisher().UpdateState("board:cas", state.revision(),
                                              R"({"count":1})", {R"("one")"}));
  EXPECT_EQ(updated.revision(), state.revision() + 1);
  EXPECT_EQ(updated.first_event_id(), 1u);
  auto stale = publisher().UpdateState("board:cas", state.revision(),
                                       R"({"count":99})", {});
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(stale.status().message()),
              HasSubstr("is at revision"));
  EXPECT_EQ(json::parse(Must(publisher().GetState("board:cas")).state()),
            json({{"count", 1}}));

  // Retry loops from several threads: none lost, none doubled.
  constexpr int kThreads = 6;
  constexpr int kEach = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      StatePublisher own(server_->grpc_port());
      for (int i = 0; i < kEach; ++i) {
        for (;;) {
          auto s = Must(own.GetState("board:cas"));
          json next = json::parse(s.state());
          next["count"] = next["count"].get<int>() + 1;
          auto r = own.UpdateState("board:cas", s.revision(), next.dump(),
                                   {json{{"count", next["count"]}}.dump()});
          if (r.ok()) break;
          ASSERT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition)
              << r.status();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  auto final_state = Must(publisher().GetState("board:cas"));
  EXPECT_EQ(json::parse(final_state.state())["count"], 1 + kThreads * kEach);
  EXPECT_EQ(final_state.last_event_id(), 1u + kThreads * kEach);
}

// The window between reading the state for a joining client and its
// stream going live: updates committed meanwhile must reach it exactly
// once, after the state, with no revision gap.
TEST_P(StateChannelsTest, JoinDuringConcurrentUpdatesMissesNothing) {
  Must(publisher().CreateChannel("board:race", R"({"count":0})"));
  std::atomic<bool> stop{false};
  std::atomic<int> committed{0};
  std::thread writer([&] {
    StatePublisher own(server_->grpc_port());
    while (!stop.load()) {
      auto s = own.GetState("board:race");
      if (!s.ok()) continue;
      json next = json::parse(s->state());
      const int n = next.value("count", 0) + 1;
      next["count"] = n;
      if (own.UpdateState("board:race", s->revision(), next.dump(),
                          {json{{"n", n}}.dump()})
              .ok()) {
        committed.fetch_add(1);
      }
    }
  });
  constexpr int kJoins = 12;
  for (int j = 0; j < kJoins; ++j) {
    Member m(port());
    json state;
    m.Join("board:race", &state);
    std::int64_t revision = state["revision"].get<std::int64_t>();
    json mine = state["state"];
    // Follow 15 updates: each the next revision, and applying its patch
    // gives the count its event names.
    for (int k = 0; k < 15; ++k) {
      json update = m.NextOfType("board:race", "event_patch");
      ASSERT_EQ(update["revision"].get<std::int64_t>(), revision + 1)
          << "join " << j << " update " << k << ": " << update.dump();
      revision += 1;
      if (!update["patch"].is_null()) mine = mine.patch(update["patch"]);
      if (!update["event"].is_null()) {
        ASSERT_EQ(mine["count"], update["event"]["n"]) << update.dump();
      }
    }
  }
  stop.store(true);
  writer.join();
  // The writer really ran during the joins (the updates followed also
  // include the joins' and leaves' presence changes).
  EXPECT_GE(committed.load(), kJoins * 5);
}

TEST_P(StateChannelsTest, FourMegabyteStatesAndEvents) {
  const std::string big(4 * 1024 * 1024, 'x');
  Must(publisher().CreateChannel("board:big",
                                 json{{"blob", big}, {"count", 0}}.dump()));
  Member a(port());
  json state;
  a.Join("board:big", &state);
  EXPECT_EQ(state["state"]["blob"].get<std::string>().size(), big.size());
  const std::string other(4 * 1024 * 1024, 'y');
  auto s = Must(publisher().GetState("board:big"));
  Must(publisher().UpdateState("board:big", s.revision(),
                               json{{"blob", other}, {"count", 1}}.dump(),
                               {json{{"blob", other}}.dump()}));
  json update = a.NextOfType("board:big", "event_patch");
  EXPECT_EQ(update["event"]["blob"].get<std::string>(), other);
  json mine = state["state"].patch(update["patch"]);
  EXPECT_EQ(mine["blob"].get<std::string>(), other);
  EXPECT_EQ(mine["count"], 1);
  // And in a backlog.
  Member b(port());
  json backlog = b.Join("board:big", &state, 0);
  ASSERT_EQ(backlog.size(), 1u);
  EXPECT_EQ(backlog[0]["event"]["blob"].get<std::string>(), other);
}

TEST_P(StateChannelsTest, LeaveStopsUpdatesAndUpdatesPresence) {
  Must(publisher().CreateChannel("board:lv", "{}"));
  Member a(port(), "ann");
  Member b(port(), "bob");
  json state;
  a.Join("board:lv", &state);
  b.Join("board:lv", &state);
  EXPECT_TRUE(state["state"]["present"].contains("ann"));
  ASSERT_TRUE(
      a.ws()
          .Send(json{{"command", "leave"}, {"identifier", Board("board:lv")}}
                    .dump())
          .ok());
  json gone = b.NextOfType("board:lv", "event_patch");
  EXPECT_EQ(gone["patch"][0]["op"], "remove") << gone;
  EXPECT_FALSE(
      json::parse(Must(publisher().GetState("board:lv")).state())["present"]
          .contains("ann"));
  // Closing the socket leaves too.
  ASSERT_TRUE(b.ws().Close().ok());
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (json::parse(Must(publisher().GetState("board:lv")).state())["present"]
             .contains("bob")) {
    ASSERT_LT(Clock::now(), deadline) << "bob still present after close";
    std::this_thread::yield();
  }
}

TEST_P(StateChannelsTest, TransfersBetweenChannelsKeepTheSum) {
  Must(publisher().CreateChannel("board:x", R"({"count":100})"));
  Must(publisher().CreateChannel("board:y", R"({"count":100})"));
  constexpr int kClients = 4;
  constexpr int kEach = 20;
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      Member m(port());
      const std::string from = c % 2 == 0 ? "board:x" : "board:y";
      const std::string to = c % 2 == 0 ? "board:y" : "board:x";
      json state;
      m.Join(from, &state);
      for (int i = 0; i < kEach; ++i) {
        ASSERT_TRUE(
            m.Request(from, i, "transfer", {{"to", to}, {"amount", 7}}).ok());
        json reply = m.NextOfType(from, "reply");
        ASSERT_EQ(reply["id"], i);
      }
    });
  }
  for (auto& t : threads) t.join();
  const int x =
      json::parse(Must(publisher().GetState("board:x")).state())["count"];
  const int y =
      json::parse(Must(publisher().GetState("board:y")).state())["count"];
  EXPECT_EQ(x + y, 200);
  EXPECT_GE(x, 0);
  EXPECT_GE(y, 0);
}

INSTANTIATE_TEST_SUITE_P(Stores, StateChannelsTest,
                         ::testing::Values(Store::kMemory, Store::kNats),
                         [](const auto& info) {
                           return info.param == Store::kMemory ? "InMemory"
                                                               : "Nats";
                         });

}  // namespace
}  // namespace cable::testing
