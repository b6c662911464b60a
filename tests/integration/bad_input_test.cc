// Bad input stays contained: one real cable-server takes every kind of
// malformed input at once, from many connections, while a well-behaved
// client keeps receiving every broadcast, once and in order.
//
// Each bad connection runs in its own thread (all released together) and
// checks the outcome docs/protocol.md gives its input: the close code and
// reason and the disconnect message before them, the frames the server
// answers with, or the HTTP status. Publishers without a valid API key get
// UNAUTHENTICATED and what they sent reaches nobody. Afterwards the
// gateway's counters match what was sent, exactly, and the server serves a
// new client. Every read is bounded by a deadline (a failure bound: nothing
// here waits for time to pass).

#include "tests/integration/bad_input_fixture.h"

namespace cable::testing::bad_input {
namespace {

std::vector<BadCase> BadCases() {
  std::vector<BadCase> cases;
  AddFramingErrors(cases);
  AddOversized(cases);
  AddInvalidUtf8(cases);
  AddBinary(cases);
  AddNotCommands(cases);
  AddKeptConnections(cases);
  AddFloods(cases);
  AddLobbySubscribers(cases);
  AddHangUps(cases);
  AddBadHttp(cases);
  return cases;
}

// --- Publishers ---

absl::Status ToAbsl(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      s.error_message());
}

// cable.v1.Publisher over one channel, sending `authorization` metadata
// (none when nullopt) with every call.
class KeyedPublisher {
 public:
  KeyedPublisher(int grpc_port, std::optional<std::string> authorization)
      : stub_(v1::Publisher::NewStub(
            grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port),
                                grpc::InsecureChannelCredentials()))),
        authorization_(std::move(authorization)) {}

  absl::Status Broadcast(const std::string& stream, const std::string& data) {
    v1::BroadcastRequest request;
    request.set_stream(stream);
    request.set_data(data);
    v1::BroadcastResponse response;
    grpc::ClientContext context;
    Prepare(context);
    return ToAbsl(stub_->Broadcast(&context, request, &response));
  }

  absl::Status BroadcastBatch(const std::string& stream,
                              const std::vector<std::string>& data) {
    v1::BroadcastBatchRequest request;
    for (const std::string& d : data) {
      auto* b = request.add_broadcasts();
      b->set_stream(stream);
      b->set_data(d);
    }
    v1::BroadcastResponse response;
    grpc::ClientContext context;
    Prepare(context);
    return ToAbsl(stub_->BroadcastBatch(&context, request, &response));
  }

  absl::Status Disconnect(const std::string& name, const std::string& value) {
    v1::DisconnectClientsRequest request;
    (*request.mutable_identifiers())[name] = value;
    v1::DisconnectClientsResponse response;
    grpc::ClientContext context;
    Prepare(context);
    return ToAbsl(stub_->Disconnect(&context, request, &response));
  }

  absl::Status Transmit(const std::string& sid, const std::string& identifier,
                        const std::string& data) {
    v1::TransmitRequest request;
    request.set_sid(sid);
    request.set_identifier(identifier);
    request.set_data(data);
    v1::TransmitResponse response;
    grpc::ClientContext context;
    Prepare(context);
    return ToAbsl(stub_->Transmit(&context, request, &response));
  }

 private:
  void Prepare(grpc::ClientContext& context) const {
    context.set_deadline(std::chrono::system_clock::now() + kTimeout);
    if (authorization_) context.AddMetadata("authorization", *authorization_);
  }

  std::unique_ptr<v1::Publisher::Stub> stub_;
  std::optional<std::string> authorization_;
};

// Publisher calls without a valid key, each aimed at the good client
// (its stream, its user, its session): all must be UNAUTHENTICATED.
// Returns a description of each call that was not.
std::vector<std::string> UnauthorisedCalls(int grpc_port,
                                           const std::string& good_sid) {
  std::vector<std::string> failures;
  KeyedPublisher none(grpc_port, std::nullopt);
  KeyedPublisher wrong(grpc_port, "Bearer not-the-key");
  KeyedPublisher longer(grpc_port, absl::StrCat("Bearer ", kApiKey, "x"));
  KeyedPublisher basic(grpc_port, absl::StrCat("Basic ", kApiKey));
  KeyedPublisher bare(grpc_port, kApiKey);
  KeyedPublisher empty(grpc_port, "Bearer ");
  auto check = [&](const std::string& what, const absl::Status& status) {
    if (status.code() != absl::StatusCode::kUnauthenticated) {
      failures.push_back(absl::StrCat(what, ": ", status.ToString()));
    }
  };
  for (int round = 0; round < kUnauthorisedRounds; ++round) {
    const std::string payload =
        json{{"unauthorised", round}}.dump();  // must reach nobody
    check("no key", none.Broadcast(kLobbyStream, payload));
    check("a wrong key", wrong.Broadcast(kLobbyStream, payload));
    check("the key and a byte more", longer.Broadcast(kLobbyStream, payload));
    check("the key in Basic", basic.Broadcast(kLobbyStream, payload));
    check("the key without a scheme", bare.Broadcast(kLobbyStream, payload));
    check("an empty bearer", empty.BroadcastBatch(kLobbyStream, {payload}));
    check("Disconnect with a wrong key",
          wrong.Disconnect("current_user", "good"));
    check("Transmit with a wrong key",
          wrong.Transmit(good_sid, kLobby, payload));
  }
  return failures;
}

// --- The test ---

// The value of the sample `name` (with its labels) on /metrics; -1 when
// absent.
double MetricValue(const std::string& text, const std::string& name) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::StartsWith(line, name) || line.size() <= name.size() ||
        line[name.size()] != ' ') {
      continue;
    }
    double value = 0;
    if (absl::SimpleAtod(line.substr(name.size() + 1), &value)) return value;
  }
  return -1;
}

// /metrics once `line` is in it (polled, up to kTimeout).
std::string AwaitMetric(int http_port, const std::string& line) {
  const auto deadline = Clock::now() + kTimeout;
  std::string text;
  while (Clock::now() < deadline) {
    auto metrics = HttpGet(http_port, "/metrics");
    if (!metrics.ok()) {
      ADD_FAILURE() << "server gone: " << metrics.status();
      return {};
    }
    text = metrics->second;
    if (text.find(line) != std::string::npos) return text;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "no \"" << line << "\" on /metrics:\n" << text;
  return text;
}

TEST(BadInput, ManyBadConnectionsAtOnceLeaveAWellBehavedClientWhole) {
  ServerProcess server = Must(ServerProcess::Start(
      CableServerBinary(),
      {"--host=127.0.0.1", "--port=0", "--grpc_port=0", "--log_level=warn",
       absl::StrCat("--publisher_api_keys=", kApiKeys),
       absl::StrCat("--max_frame_bytes=", kMaxFrameBytes),
       absl::StrCat("--command_rate=", kCommandRate),
       absl::StrCat("--command_burst=", kCommandBurst),
       absl::StrCat("--max_subscriptions=", kMaxSubscriptions)}));
  const int http_port = server.http_port();
  const int grpc_port = server.grpc_port();

  // The well-behaved client, in the lobby.
  WsClient::Options options;
  options.path = "/cable?user=good";
  auto good = Must(WsClient::Connect(http_port, options));
  auto welcome = good->ReceiveNonPing();
  ASSERT_TRUE(welcome.ok()) << welcome.status();
  ASSERT_EQ(welcome->value("type", ""), "welcome");
  const std::string good_sid = welcome->value("sid", "");
  ASSERT_EQ(*good->Subscribe(kLobby), "confirm_subscription");

  // It reads everything it gets until the publisher's end marker.
  absl::Mutex mu;
  int received_count = 0;  // guarded by mu
  std::vector<json> received;
  absl::Status reader_status;
  std::thread reader([&] {
    for (;;) {
      auto message = good->ReceiveNonPing();
      if (!message.ok()) {
        reader_status = message.status();
        return;
      }
      received.push_back(*message);
      {
        absl::MutexLock lock(&mu);
        ++received_count;
      }
      if (message->contains("message") && (*message)["message"].is_object() &&
          (*message)["message"].contains("end")) {
        return;
      }
    }
  });

  // The good publisher: numbered broadcasts until every bad client is done
  // (and at least kMinBroadcasts), then the end marker.
  std::atomic<bool> bad_done{false};
  int sent = 0;
  absl::Status publisher_status;
  std::thread publisher([&] {
    KeyedPublisher keyed(grpc_port, absl::StrCat("Bearer ", kApiKey));
    while (sent < kMaxBroadcasts &&
           (sent < kMinBroadcasts || !bad_done.load())) {
      {
        absl::MutexLock lock(&mu);
        const int behind = sent - kWindow;
        const auto caught_up = [&received_count, behind] {
          return received_count >= behind;
        };
        if (!mu.AwaitWithTimeout(absl::Condition(&caught_up),
                                 absl::Seconds(10))) {
          publisher_status = absl::DeadlineExceededError(absl::StrCat(
              "the good client read ", received_count, " of ", sent));
          return;
        }
      }
      publisher_status =
          keyed.Broadcast(kLobbyStream, json{{"n", sent}}.dump());
      if (!publisher_status.ok()) return;
      ++sent;
    }
    publisher_status =
        keyed.Broadcast(kLobbyStream, json{{"end", sent}}.dump());
  });

  // Every bad connection and the unauthorised publishers, released at once.
  const std::vector<BadCase> cases = BadCases();
  std::latch start(static_cast<std::ptrdiff_t>(cases.size()) + 1);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    threads.emplace_back([&, i] {
      SCOPED_TRACE(cases[i].name);
      start.arrive_and_wait();
      cases[i].run(http_port, absl::StrCat("bad-", i));
    });
  }
  std::vector<std::string> unauthorised_failures;
  threads.emplace_back([&] {
    start.arrive_and_wait();
    unauthorised_failures = UnauthorisedCalls(grpc_port, good_sid);
  });
  for (auto& t : threads) t.join();
  bad_done = true;
  publisher.join();
  reader.join();

  EXPECT_TRUE(unauthorised_failures.empty())
      << absl::StrJoin(unauthorised_failures, "\n");
  ASSERT_TRUE(publisher_status.ok()) << publisher_status;
  ASSERT_TRUE(reader_status.ok()) << reader_status;
  EXPECT_GE(sent, kMinBroadcasts);
  RecordProperty("bad_connections", static_cast<int>(cases.size()));
  RecordProperty("broadcasts", sent);

  // Every broadcast, once, in order, and nothing else (no unauthorised
  // payload, no bad client's speech, no disconnect).
  std::vector<json> expected;
  for (int i = 0; i < sent; ++i) {
    expected.push_back({{"identifier", kLobby}, {"message", {{"n", i}}}});
  }
  expected.push_back({{"identifier", kLobby}, {"message", {{"end", sent}}}});
  for (std::size_t i = 0; i < std::min(received.size(), expected.size()); ++i) {
    if (received[i] != expected[i]) {
      ADD_FAILURE() << "message " << i << " is " << received[i] << ", expected "
                    << expected[i];
      break;
    }
  }
  ASSERT_EQ(received.size(), expected.size());

  // It still acts: its own speech comes back next.
  ASSERT_TRUE(
      good->Perform(kLobby, {{"action", "speak"}, {"message", "still here"}})
          .ok());
  auto spoken = good->ReceiveNonPing();
  ASSERT_TRUE(spoken.ok()) << spoken.status();
  EXPECT_EQ(*spoken,
            (json{{"identifier", kLobby},
                  {"message", {{"message", "still here"}, {"user", "good"}}}}));

  // No bad connection is left behind, and the counters say exactly what
  // was sent.
  const std::string metrics =
      AwaitMetric(http_port, "\ncable_connections_active 1\n");
  Counts total;
  for (const BadCase& c : cases) {
    total.bad_frames += c.counts.bad_frames;
    total.unknown_commands += c.counts.unknown_commands;
    total.invalid_commands += c.counts.invalid_commands;
    total.unknown_identifiers += c.counts.unknown_identifiers;
    total.duplicate_subscriptions += c.counts.duplicate_subscriptions;
    total.subscriptions_over_limit += c.counts.subscriptions_over_limit;
    total.min_rate_limited += c.counts.min_rate_limited;
  }
  EXPECT_EQ(MetricValue(metrics, "cable_bad_frames_total"), total.bad_frames);
  EXPECT_EQ(MetricValue(metrics, "cable_unknown_commands_total"),
            total.unknown_commands);
  EXPECT_EQ(MetricValue(metrics, "cable_invalid_commands_total"),
            total.invalid_commands);
  EXPECT_EQ(MetricValue(metrics, "cable_unknown_identifiers_total"),
            total.unknown_identifiers);
  EXPECT_EQ(MetricValue(metrics, "cable_duplicate_subscriptions_total"),
            total.duplicate_subscriptions);
  EXPECT_EQ(MetricValue(metrics, "cable_subscriptions_over_limit_total"),
            total.subscriptions_over_limit);
  EXPECT_GE(MetricValue(metrics, "cable_rate_limited_commands_total"),
            total.min_rate_limited);
  EXPECT_EQ(
      MetricValue(metrics,
                  R"(cable_unauthenticated_calls_total{api="publisher"})"),
      kUnauthorisedRounds * kUnauthorisedCallsPerRound);
  EXPECT_EQ(MetricValue(metrics, "cable_slow_disconnects_total"), 0);
  EXPECT_EQ(MetricValue(metrics, "cable_service_errors_total"), 0);

  // The server is alive and serves a newcomer.
  EXPECT_EQ(::waitpid(server.pid(), nullptr, WNOHANG), 0);
  auto health = HttpGet(http_port, "/health");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->first, 200);
  auto newcomer = Must(WsClient::Connect(http_port));
  auto newcomer_welcome = newcomer->ReceiveNonPing();
  ASSERT_TRUE(newcomer_welcome.ok()) << newcomer_welcome.status();
  EXPECT_EQ(newcomer_welcome->value("type", ""), "welcome");
  ASSERT_EQ(*newcomer->Subscribe(kLobby), "confirm_subscription");
  KeyedPublisher keyed(grpc_port, absl::StrCat("Bearer ", kApiKey));
  ASSERT_TRUE(keyed.Broadcast(kLobbyStream, R"({"after":true})").ok());
  const json after = {{"identifier", kLobby}, {"message", {{"after", true}}}};
  for (WsClient* client : {good.get(), newcomer.get()}) {
    auto message = client->ReceiveNonPing();
    ASSERT_TRUE(message.ok()) << message.status();
    EXPECT_EQ(*message, after);
  }
}

}  // namespace
}  // namespace cable::testing::bad_input
