// The bad-input test's cases of bad use of the protocol: commands that
// keep the connection, floods, lobby subscribers, hang-ups and bad HTTP
// (see bad_input_fixture.h).

#include "tests/integration/bad_input_fixture.h"

namespace cable::testing::bad_input {

// Commands that are ignored, or refused with a frame, keeping the
// connection: each case sends them all at once, then a subscribe that must
// be answered next (commands run in order, so nothing came in between).
void AddKeptConnections(std::vector<BadCase>& cases) {
  cases.push_back(
      {"kept: unknown commands",
       {.unknown_commands = 5},
       [](int port, const std::string& room) {
         auto client = Open(port);
         ASSERT_TRUE(client);
         const std::string mine = Room(room);
         ASSERT_TRUE(
             client
                 ->Write(TextFrame(R"({"command":"dance","identifier":"x"})") +
                         TextFrame(R"({"command":"DROP TABLE"})") +
                         TextFrame(R"({"command":""})") +
                         TextFrame(json{{"command", "periodic"},
                                        {"identifier", kLobby},
                                        {"data", "speak"}}
                                       .dump()) +
                         TextFrame(json{{"command", "Subscribe"},
                                        {"identifier", kLobby}}
                                       .dump()) +
                         TextFrame(SubscribeCommand(mine)))
                 .ok());
         ExpectNext(*client, Confirm(mine), mine);
       }});
  cases.push_back(
      {"kept: commands without an identifier or data",
       {.invalid_commands = 5},
       [](int port, const std::string& room) {
         auto client = Open(port);
         ASSERT_TRUE(client);
         const std::string mine = Room(room);
         ASSERT_TRUE(
             client
                 ->Write(
                     TextFrame(R"({"command":"subscribe"})") +
                     TextFrame(R"({"command":"subscribe","identifier":""})") +
                     TextFrame(
                         R"({"command":"unsubscribe","identifier":null})") +
                     TextFrame(
                         json{{"command", "message"}, {"identifier", kLobby}}
                             .dump()) +
                     TextFrame(json{{"command", "message"},
                                    {"identifier", kLobby},
                                    {"data", ""}}
                                   .dump()) +
                     TextFrame(SubscribeCommand(mine)))
                 .ok());
         ExpectNext(*client, Confirm(mine), mine);
       }});
  cases.push_back(
      {"kept: speaking in and leaving rooms never joined",
       {.unknown_identifiers = 4},
       [](int port, const std::string& room) {
         auto client = Open(port);
         ASSERT_TRUE(client);
         const std::string mine = Room(room);
         // The lobby is the good client's room: none of this reaches it.
         ASSERT_TRUE(
             client
                 ->Write(TextFrame(SpeakCommand(kLobby, "not subscribed")) +
                         TextFrame(
                             MessageCommand("garbage", {{"action", "speak"}})) +
                         TextFrame(UnsubscribeCommand(kLobby)) +
                         TextFrame(UnsubscribeCommand("never subscribed")) +
                         TextFrame(SubscribeCommand(mine)))
                 .ok());
         ExpectNext(*client, Confirm(mine), mine);
       }});
  cases.push_back(
      {"kept: bad identifiers are rejected",
       {},
       [](int port, const std::string& room) {
         auto client = Open(port);
         ASSERT_TRUE(client);
         const std::vector<std::string> bad = {
             "not json",
             "[1]",
             R"({"room":"lobby"})",
             R"({"channel":42,"room":"lobby"})",
             R"({"channel":"NoSuchChannel","room":"lobby"})",
             R"({"channel":"ChatChannel"})",
             R"({"channel":"ChatChannel","room":""})",
             R"({"channel":"ChatChannel","room":5})",
             json{{"channel", "NoSuchChannel"}, {"pad", std::string(3000, 'p')}}
                 .dump(),
         };
         std::string bytes;
         for (const std::string& identifier : bad) {
           bytes += TextFrame(SubscribeCommand(identifier));
         }
         const std::string mine = Room(room);
         bytes += TextFrame(SubscribeCommand(mine));
         ASSERT_TRUE(client->Write(bytes).ok());
         for (const std::string& identifier : bad) {
           ExpectNext(*client, Reject(identifier), mine);
         }
         ExpectNext(*client, Confirm(mine), mine);
       }});
  cases.push_back({"kept: a duplicate subscription gets no second confirmation",
                   {.duplicate_subscriptions = 1},
                   [](int port, const std::string& room) {
                     auto client = Open(port);
                     ASSERT_TRUE(client);
                     const std::string mine = Room(room);
                     const std::string second = Room(room + "-2");
                     ASSERT_TRUE(
                         client
                             ->Write(TextFrame(SubscribeCommand(mine)) +
                                     TextFrame(SubscribeCommand(mine)) +
                                     TextFrame(SubscribeCommand(second)))
                             .ok());
                     ExpectNext(*client, Confirm(mine), mine);
                     ExpectNext(*client, Confirm(second), mine);
                   }});
  cases.push_back({"kept: subscriptions over --max_subscriptions are rejected",
                   {.subscriptions_over_limit = 1},
                   [](int port, const std::string& room) {
                     auto client = Open(port);
                     ASSERT_TRUE(client);
                     std::vector<std::string> rooms;
                     std::string bytes;
                     for (int i = 0; i <= kMaxSubscriptions; ++i) {
                       rooms.push_back(Room(absl::StrCat(room, "-", i)));
                       bytes += TextFrame(SubscribeCommand(rooms.back()));
                     }
                     // Once one is left, the last one fits.
                     bytes += TextFrame(UnsubscribeCommand(rooms.front()));
                     bytes += TextFrame(SubscribeCommand(rooms.back()));
                     ASSERT_TRUE(client->Write(bytes).ok());
                     for (int i = 0; i < kMaxSubscriptions; ++i) {
                       ExpectNext(*client, Confirm(rooms[i]));
                     }
                     ExpectNext(*client, Reject(rooms.back()));
                     ExpectNext(*client, Confirm(rooms.back()));
                   }});
  cases.push_back(
      {"kept: actions outside the channel's allow-list do nothing",
       {},
       [](int port, const std::string& room) {
         auto client = Open(port);
         ASSERT_TRUE(client);
         const std::string mine = Room(room);
         ASSERT_TRUE(client->Write(TextFrame(SubscribeCommand(mine))).ok());
         ExpectNext(*client, Confirm(mine));
         std::string bytes;
         for (const json& data :
              {json{{"action", "stream_from"}, {"stream", kLobbyStream}},
               json{{"action", "broadcast_to"}, {"stream", kLobbyStream}},
               json{{"action", "subscribed"}}, json{{"action", "reject"}},
               json{{"action", "nope"}}, json{{"action", 5}},
               json{{"message", "no action"}}}) {
           bytes += TextFrame(MessageCommand(mine, data));
         }
         bytes += TextFrame(json{
             {"command", "message"}, {"identifier", mine}, {"data", "not json"}}
                                .dump());
         bytes += TextFrame(SpeakCommand(mine, "still here"));
         ASSERT_TRUE(client->Write(bytes).ok());
         auto next = NextMessage(*client);
         ASSERT_TRUE(next.ok()) << next.status();
         EXPECT_EQ((*next)["identifier"], mine) << *next;
         EXPECT_EQ((*next)["message"]["message"], "still here") << *next;
       }});
}

// Command floods: the burst passes, then each command gets an error frame,
// and --command_burst refusals in a row close with 1008 after
// disconnect{rate_limited}.
void AddFloods(std::vector<BadCase>& cases) {
  // Everything before the disconnect is a refusal for `identifier` (or, when
  // `rejects` is true, a reject_subscription for it); at least
  // kCommandBurst - 1 refusals come before the cut.
  auto expect_refused_then_cut =
      [](RawClient& client, const std::string& identifier, bool rejects) {
        auto ending = ReadToClose(client, identifier);
        ASSERT_TRUE(ending.ok()) << ending.status();
        EXPECT_EQ(ending->code, 1008);
        EXPECT_EQ(ending->reason, "rate limit exceeded");
        ASSERT_FALSE(ending->messages.empty());
        EXPECT_EQ(ending->messages.back(), Disconnect("rate_limited"));
        int refused = 0;
        for (std::size_t i = 0; i + 1 < ending->messages.size(); ++i) {
          const json& m = ending->messages[i];
          if (m == RateLimited(identifier)) {
            ++refused;
          } else {
            EXPECT_TRUE(rejects && m == Reject(identifier)) << m;
          }
        }
        EXPECT_GE(refused, kCommandBurst - 1);
      };
  for (int flooder = 0; flooder < 2; ++flooder) {
    cases.push_back(
        {absl::StrCat("flood: speak in its own room (", flooder, ")"),
         {.min_rate_limited = kCommandBurst},
         [expect_refused_then_cut](int port, const std::string& room) {
           auto client = Open(port);
           ASSERT_TRUE(client);
           const std::string mine = Room(room);
           ASSERT_TRUE(client->Write(TextFrame(SubscribeCommand(mine))).ok());
           ExpectNext(*client, Confirm(mine));
           std::string bytes;
           for (int i = 0; i < 10 * kCommandBurst; ++i) {
             bytes += TextFrame(SpeakCommand(mine, absl::StrCat(i)));
           }
           ASSERT_TRUE(client->Write(bytes).ok());
           expect_refused_then_cut(*client, mine, false);
           AnswerClose(*client);
         }});
  }
  cases.push_back(
      {"flood: subscribes to a channel that does not exist",
       {.min_rate_limited = kCommandBurst},
       [expect_refused_then_cut](int port, const std::string& room) {
         auto client = Open(port);
         ASSERT_TRUE(client);
         const std::string nowhere =
             json{{"channel", "NoSuchChannel"}, {"room", room}}.dump();
         std::string bytes;
         for (int i = 0; i < 10 * kCommandBurst; ++i) {
           bytes += TextFrame(SubscribeCommand(nowhere));
         }
         ASSERT_TRUE(client->Write(bytes).ok());
         expect_refused_then_cut(*client, nowhere, true);
         AnswerClose(*client);
       }});
}

// Subscribers of the good client's own stream that break the protocol
// while broadcasts flow to them: they are cut, the good client is not.
void AddLobbySubscribers(std::vector<BadCase>& cases) {
  const std::vector<
      std::tuple<std::string, std::string, int, std::string, std::vector<json>>>
      kinds = {
          {"an unmasked frame",
           ClientFrame(kFin | kText, SpeakCommand(kLobby, "x"), false),
           1002,
           "unmasked frame",
           {}},
          {"a reserved bit",
           ClientFrame(kFin | kRsv1 | kText, "{}"),
           1002,
           "reserved bits set",
           {}},
          {"a message over the limit",
           TextFrame(std::string(kMaxFrameBytes + 1, ' ')),
           1009,
           "message too big",
           {}},
          {"invalid UTF-8",
           TextFrame("\xff"),
           1007,
           "text message is not UTF-8",
           {}},
          {"a binary frame",
           ClientFrame(kFin | kBinary, "x"),
           1003,
           "binary frames are not supported",
           {Disconnect("invalid_request")}},
          {"garbage",
           TextFrame("{not json"),
           1007,
           "frame is not valid JSON",
           {Disconnect("invalid_request")}},
      };
  for (const auto& [name, bytes, code, reason, before] : kinds) {
    cases.push_back(
        {absl::StrCat("lobby subscriber sends ", name),
         {.bad_frames = 1},
         [bytes = bytes, code = code, reason = reason, before = before](
             int port, const std::string&) {
           auto client = Open(port);
           ASSERT_TRUE(client);
           ASSERT_TRUE(client->Write(TextFrame(SubscribeCommand(kLobby))).ok());
           ExpectNext(*client, Confirm(kLobby), kLobby);
           // Broadcasts to the lobby may arrive before and after this.
           ASSERT_TRUE(client->Write(bytes).ok());
           ExpectClose(*client, code, reason, before, kLobby);
           if (code == 1002) {
             ExpectEndAfterClose(*client);
           } else {
             AnswerClose(*client);
           }
         }});
  }
}

// Connections that stop halfway: the server ends them without a word.
void AddHangUps(std::vector<BadCase>& cases) {
  const std::string subscribe = TextFrame(SubscribeCommand(kLobby));
  const NamedBytes truncated = {
      {"one byte of a frame header", subscribe.substr(0, 1)},
      {"a frame header without its mask", subscribe.substr(0, 2)},
      {"half a frame", subscribe.substr(0, subscribe.size() / 2)},
      {"the first fragment of a message", ClientFrame(kText, "{\"command\":")},
  };
  for (const auto& [name, bytes] : truncated) {
    cases.push_back({absl::StrCat("hang-up after ", name),
                     {},
                     [bytes = bytes](int port, const std::string&) {
                       auto client = Open(port);
                       ASSERT_TRUE(client);
                       ASSERT_TRUE(client->Write(bytes).ok());
                       ASSERT_TRUE(client->ShutdownWrite().ok());
                       absl::Status end =
                           client->ExpectEnd(/*keepalives=*/true);
                       EXPECT_TRUE(end.ok()) << end;
                     }});
  }
  cases.push_back({"hang-up before the welcome",
                   {},
                   [subscribe](int port, const std::string&) {
                     auto client = RawClient::Connect(port);
                     ASSERT_TRUE(client.ok()) << client.status();
                     ASSERT_TRUE(
                         (*client)->Write(UpgradeRequest() + subscribe).ok());
                     // Gone while the service connects it and subscribes.
                   }});
  cases.push_back(
      {"hang-up inside the HTTP request", {}, [](int port, const std::string&) {
         auto client = RawClient::Connect(port);
         ASSERT_TRUE(client.ok()) << client.status();
         ASSERT_TRUE(
             (*client)->Write("GET /cable HTTP/1.1\r\nHost: x\r\nUpgr").ok());
         ASSERT_TRUE((*client)->ShutdownWrite().ok());
         absl::Status end = (*client)->ExpectEnd(/*keepalives=*/false);
         EXPECT_TRUE(end.ok()) << end;
       }});
}

// HTTP that is not a usable upgrade: an error status, or (not HTTP at all)
// the connection ends without an answer.
void AddBadHttp(std::vector<BadCase>& cases) {
  const std::string valid = UpgradeRequest();
  const std::string after_target = valid.substr(valid.find(" HTTP/1.1"));
  const std::vector<std::tuple<std::string, std::string, int>> requests = {
      {"a plain GET of /cable", "GET /cable HTTP/1.1\r\nHost: x\r\n\r\n", 404},
      {"an upgrade in HTTP/1.0",
       absl::StrCat("GET /cable HTTP/1.0", after_target.substr(9)), 404},
      {"an upgrade by POST",
       UpgradeRequest("/cable", "13", kWebSocketKey, "actioncable-v1-json",
                      "POST"),
       405},
      {"an upgrade elsewhere", UpgradeRequest("/elsewhere"), 404},
      {"WebSocket version 8", UpgradeRequest("/cable", "8"), 426},
      {"a short key", UpgradeRequest("/cable", "13", "short"), 400},
      {"a key of 12 bytes", UpgradeRequest("/cable", "13", "AAAAAAAAAAAAAAAA"),
       400},
      {"only an unknown subprotocol",
       UpgradeRequest("/cable", "13", kWebSocketKey, "graphql-ws"), 400},
      {"a target that is not UTF-8",
       absl::StrCat("GET /cable?user=\xff", after_target), 400},
      {"a header that is not UTF-8",
       absl::StrCat(valid.substr(0, valid.size() - 2),
                    "X-Name: caf\xc3\r\n\r\n"),
       400},
  };
  for (const auto& [name, request, status] : requests) {
    cases.push_back(
        {absl::StrCat("HTTP: ", name),
         {},
         [request = request, status = status](int port, const std::string&) {
           auto client = RawClient::Connect(port);
           ASSERT_TRUE(client.ok()) << client.status();
           ASSERT_TRUE((*client)->Write(request).ok());
           auto response = (*client)->ReadHttpResponse();
           ASSERT_TRUE(response.ok()) << response.status();
           EXPECT_EQ(response->status, status);
           EXPECT_EQ(response->headers.count("sec-websocket-accept"), 0u);
         }});
  }
  const NamedBytes garbage = {
      {"a TLS client hello",
       std::string("\x16\x03\x01\x00\x2f\x01\x00\x00\x2b\x03\x03", 11) +
           std::string(32, '\x42')},
      {"binary noise", std::string("\x00\xff\x13\x37\r\n\r\n", 8)},
      {"a WebSocket frame instead of a request", TextFrame("{}")},
  };
  for (const auto& [name, bytes] : garbage) {
    cases.push_back({absl::StrCat("not HTTP: ", name),
                     {},
                     [bytes = bytes](int port, const std::string&) {
                       auto client = RawClient::Connect(port);
                       ASSERT_TRUE(client.ok()) << client.status();
                       ASSERT_TRUE((*client)->Write(bytes).ok());
                       absl::Status end =
                           (*client)->ExpectEnd(/*keepalives=*/false);
                       EXPECT_TRUE(end.ok()) << end;
                     }});
  }
}

}  // namespace cable::testing::bad_input
