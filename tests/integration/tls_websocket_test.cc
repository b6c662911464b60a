// wss:// end to end: the real cable-server started with --tls_cert and
// --tls_key on ephemeral ports, Boost.Beast clients over TLS that trust the
// test CA (certificates made by the openssl program at test time), real
// gRPC broadcasts. The server's log (stderr) is read as it comes, so the
// tests wait for what it reports (a reload, a cut client) rather than
// polling.

// (The fixture and helpers are in tls_websocket_fixture.h.)

#include "tests/integration/tls_websocket_fixture.h"

namespace cable::testing::tls_websocket {
namespace {

TEST_F(TlsWebSocket, WssClientIsWelcomedSubscribesAndGetsBroadcasts) {
  auto server = StartA();
  EXPECT_TRUE(server->AwaitLog("serving wss://127.0.0.1:"));
  auto client = Welcomed(server->http_port(), TrustA());
  ASSERT_TRUE(client);
  EXPECT_TRUE(Presents(client->tls(), a().path("server.pem")));
  ASSERT_EQ(*client->Subscribe(kLobby), "confirm_subscription");
  ASSERT_TRUE(
      Broadcast(server->grpc_port(), "chat:lobby", R"({"text":"over tls"})")
          .ok());
  auto message = client->NextMessage(kLobby);
  ASSERT_TRUE(message.ok()) << message.status();
  EXPECT_EQ(*message, json::parse(R"({"text":"over tls"})"));

  // A message far larger than the gateway's 512-byte reads, in one record:
  // most of it waits in OpenSSL, not in the socket, and must be read all
  // the same.
  const std::string big(10000, 'x');
  ASSERT_TRUE(
      client
          ->Send(
              json{{"command", "message"},
                   {"identifier", kLobby},
                   {"data", json{{"action", "speak"}, {"message", big}}.dump()}}
                  .dump())
          .ok());
  auto echoed = client->NextMessage(kLobby);
  ASSERT_TRUE(echoed.ok()) << echoed.status();
  EXPECT_EQ((*echoed)["message"], big);
}

TEST_F(TlsWebSocket, HttpsEndpointsAnswerAndEndWithCloseNotify) {
  auto server = StartA();
  RawTls https(TrustA());
  ASSERT_TRUE(ConnectTls(https.ioc, https.socket, server->http_port()).ok());
  ASSERT_FALSE(https.Write(
      "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
  std::string answer;
  // eof from the TLS layer is close_notify; an end without it would be
  // ssl::error::stream_truncated.
  EXPECT_EQ(https.ReadToEnd(answer), net::error::eof);
  EXPECT_THAT(answer, HasSubstr("HTTP/1.1 200 OK"));
  EXPECT_THAT(answer, HasSubstr("\r\n\r\nok\n"));
}

TEST_F(TlsWebSocket, WebSocketCloseEndsWithCloseNotify) {
  auto server = StartA();
  RawTls raw(TrustA());
  ASSERT_TRUE(ConnectTls(raw.ioc, raw.socket, server->http_port()).ok());
  // The upgrade and a close frame (masked, code 1000) in one write: the
  // frame arrives with the request, before the answer.
  ASSERT_FALSE(raw.Write(
      "GET /cable HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Protocol: actioncable-v1-json\r\n\r\n" +
      std::string("\x88\x82\0\0\0\0\x03\xe8", 8)));
  std::string answer;
  EXPECT_EQ(raw.ReadToEnd(answer), net::error::eof);
  EXPECT_THAT(answer, HasSubstr("HTTP/1.1 101 Switching Protocols"));
  EXPECT_THAT(answer, EndsWith(std::string("\x88\x02\x03\xe8", 4)));
}

TEST_F(TlsWebSocket, PlainClientsAreRefusedAndTheServerGoesOn) {
  auto server = StartA({"--handshake_timeout=300ms"});
  WsClient::Options options;
  options.timeout = kTimeout;
  auto plain = WsClient::Connect(server->http_port(), options);
  EXPECT_FALSE(plain.ok());
  EXPECT_FALSE(HttpGet(server->http_port(), "/health").ok());

  // A client that opens TCP and says nothing is cut after the handshake
  // timeout.
  {
    net::io_context ioc;
    tcp::socket silent(ioc);
    silent.connect({net::ip::make_address("127.0.0.1"),
                    static_cast<unsigned short>(server->http_port())});
    pollfd p{silent.native_handle(), POLLIN, 0};
    ASSERT_EQ(
        poll(&p, 1,
             static_cast<int>(std::chrono::milliseconds(kTimeout).count())),
        1)
        << "not cut";
    char c;
    beast::error_code ec;
    EXPECT_EQ(silent.read_some(net::buffer(&c, 1), ec), 0u);
    EXPECT_EQ(ec, net::error::eof);
  }

  // A client that does not trust the certificate gives up.
  EXPECT_FALSE(
      WssClient::Connect(server->http_port(), {b().path("ca.pem")}).ok());

  auto client = Welcomed(server->http_port(), TrustA());
  ASSERT_TRUE(client);
  EXPECT_EQ(*client->Subscribe(kLobby), "confirm_subscription");
}

TEST_F(TlsWebSocket, SighupServesANewCertificateToNewConnections) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    absl::StrCat("cable-tls-reload-", getpid());
  std::filesystem::create_directories(dir);
  const std::string cert = (dir / "tls.crt").string();
  const std::string key = (dir / "tls.key").string();
  auto install = [&](const TestCertificates& set) {
    for (const auto& [from, to] : {std::pair{std::string("server.pem"), cert},
                                   std::pair{std::string("server.key"), key}}) {
      std::filesystem::copy_file(
          set.path(from), to,
          std::filesystem::copy_options::overwrite_existing);
    }
  };
  install(a());
  auto server = StartTlsServer(cert, key);
  const std::vector<std::string> both = {a().path("ca.pem"),
                                         b().path("ca.pem")};

  auto open = Welcomed(server->http_port(), both);
  ASSERT_TRUE(open);
  EXPECT_TRUE(Presents(open->tls(), a().path("server.pem")));
  ASSERT_EQ(*open->Subscribe(kLobby), "confirm_subscription");

  install(b());
  server->Signal(SIGHUP);
  ASSERT_TRUE(server->AwaitLog("TLS reloaded")) << server->log();

  auto after = Welcomed(server->http_port(), both);
  ASSERT_TRUE(after);
  EXPECT_TRUE(Presents(after->tls(), b().path("server.pem")));
  EXPECT_FALSE(Presents(after->tls(), a().path("server.pem")));
  // A client that trusts only A's CA is refused now.
  EXPECT_FALSE(WssClient::Connect(server->http_port(), TrustA()).ok());

  // The connection from before goes on, as does the new one.
  ASSERT_EQ(*after->Subscribe(kLobby), "confirm_subscription");
  ASSERT_TRUE(Broadcast(server->grpc_port(), "chat:lobby", R"("after")").ok());
  for (auto* client : {open.get(), after.get()}) {
    auto message = client->NextMessage(kLobby);
    ASSERT_TRUE(message.ok()) << message.status();
    EXPECT_EQ(*message, "after");
  }

  // A reload that fails keeps B and says why.
  std::ofstream(cert, std::ios::trunc) << "not a certificate\n";
  server->Signal(SIGHUP);
  ASSERT_TRUE(server->AwaitLog("TLS reload failed")) << server->log();
  EXPECT_THAT(server->log(), HasSubstr(cert));
  auto kept = Welcomed(server->http_port(), both);
  ASSERT_TRUE(kept);
  EXPECT_TRUE(Presents(kept->tls(), b().path("server.pem")));

  server->Signal(SIGTERM);
  auto status = server->AwaitExit();
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
  std::filesystem::remove_all(dir);
}

TEST_F(TlsWebSocket, ClientThatStopsReadingIsCut) {
  // Over TLS the kernel holds records, not frames: the gateway still sees
  // that the client takes nothing (write timeout) and cuts it.
  auto server = StartA({"--write_timeout=300ms", "--ping_interval=100ms"});
  auto stuck = Welcomed(server->http_port(), TrustA(), /*receive_buffer=*/4096);
  ASSERT_TRUE(stuck);
  ASSERT_EQ(*stuck->Subscribe(kLobby), "confirm_subscription");
  auto other = Welcomed(server->http_port(), TrustA());
  ASSERT_TRUE(other);
  const std::string room_two = R"({"channel":"ChatChannel","room":"two"})";
  ASSERT_EQ(*other->Subscribe(room_two), "confirm_subscription");
  const std::string small = json{{"pad", std::string(300, 'x')}}.dump();
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(Broadcast(server->grpc_port(), "chat:lobby", small).ok());
  }
  EXPECT_TRUE(server->AwaitLog(": too slow (")) << server->log();
  ASSERT_TRUE(Broadcast(server->grpc_port(), "chat:two", R"("after")").ok());
  auto message = other->NextMessage(room_two);
  ASSERT_TRUE(message.ok()) << message.status();
  EXPECT_EQ(*message, "after");

  // One large broadcast blocks a write mid-record: cut by the write
  // timeout as well.
  auto blocked = Welcomed(server->http_port(), TrustA(), 4096);
  ASSERT_TRUE(blocked);
  ASSERT_EQ(*blocked->Subscribe(kLobby), "confirm_subscription");
  const std::string big = json{{"pad", std::string(3 << 20, 'x')}}.dump();
  ASSERT_TRUE(Broadcast(server->grpc_port(), "chat:lobby", big).ok());
  EXPECT_TRUE(server->AwaitLog(": too slow (", 2)) << server->log();
}

TEST_F(TlsWebSocket, UnusableCertificateFailsStartupWithAClearError) {
  struct Case {
    std::vector<std::string> flags;
    std::string error;
  };
  const std::string missing = "/nonexistent/cable/tls.crt";
  const std::vector<Case> cases = {
      {{"--tls_cert=" + missing, "--tls_key=" + a().path("server.key")},
       "cable-server: TLS certificate \"" + missing +
           "\": cannot read: No such file or directory"},
      {{"--tls_cert=" + a().path("server.pem")},
       "cable-server: --tls_cert and --tls_key go together"},
      {{"--tls_cert=" + a().path("server.pem"),
        "--tls_key=" + b().path("server.key")},
       "does not match certificate"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"--host=127.0.0.1", "--port=0",
                                     "--grpc_port=0"};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    LoggedServer server(args);
    auto status = server.AwaitExit();
    ASSERT_TRUE(status.ok()) << "started anyway: " << c.flags[0];
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1);
    EXPECT_THAT(server.log(), HasSubstr(c.error));
  }
}

}  // namespace
}  // namespace cable::testing::tls_websocket
