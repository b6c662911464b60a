// wss:// end to end: the real cable-server started with --tls_cert and
// --tls_key on ephemeral ports, Boost.Beast clients over TLS that trust the
// test CA (certificates made by the openssl program at test time), real
// gRPC broadcasts. The server's log (stderr) is read as it comes, so the
// tests wait for what it reports (a reload, a cut client) rather than
// polling.

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "tests/support/must.h"
#include "tests/support/publisher_client.h"
#include "tests/support/server_process.h"
#include "tests/support/test_certificates.h"
#include "tests/support/ws_client.h"

extern char** environ;

namespace cable::testing {
namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using ::nlohmann::json;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using TlsSocket = beast::ssl_stream<beast::tcp_stream>;

constexpr auto kTimeout = std::chrono::seconds(10);
constexpr char kLobby[] = R"({"channel":"ChatChannel","room":"lobby"})";

// cable-server as a child whose stdout (the "listening" line) and stderr
// (its log) a thread of the test reads as they come.
class LoggedServer final {
 public:
  explicit LoggedServer(const std::vector<std::string>& args) {
    int out[2];
    int err[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
      throw std::runtime_error("pipe");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
    std::vector<std::string> storage = {CableServerBinary()};
    storage.insert(storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = posix_spawn(&pid_, storage[0].c_str(), &actions, nullptr,
                               argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    close(err[1]);
    if (rc != 0) {
      close(out[0]);
      close(err[0]);
      pid_ = -1;
      throw std::runtime_error("cannot start " + storage[0]);
    }
    reader_ =
        std::thread([this, out = out[0], err = err[0]] { Read(out, err); });
  }

  ~LoggedServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      if (!AwaitEnd()) kill(pid_, SIGKILL);
    }
    reader_.join();
    if (pid_ > 0) waitpid(pid_, nullptr, 0);
  }

  // Waits for the listening line; the ports are then known.
  absl::Status AwaitListening() {
    absl::MutexLock lock(&mu_);
    auto listening = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return ended_ || out_.find("listening http=") != std::string::npos;
    };
    mu_.AwaitWithTimeout(absl::Condition(&listening),
                         absl::FromChrono(kTimeout));
    const auto at = out_.find("http=127.0.0.1:");
    const auto grpc = out_.find("grpc=127.0.0.1:");
    if (at == std::string::npos || grpc == std::string::npos) {
      return absl::UnavailableError("no listening line; log: " + err_);
    }
    http_port_ = std::stoi(out_.substr(at + 15));
    grpc_port_ = std::stoi(out_.substr(grpc + 15));
    return absl::OkStatus();
  }

  // Waits until the log holds `text` `count` times.
  bool AwaitLog(const std::string& text, int count = 1) {
    absl::MutexLock lock(&mu_);
    auto seen = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      int n = 0;
      for (auto at = err_.find(text); at != std::string::npos;
           at = err_.find(text, at + 1)) {
        ++n;
      }
      return n >= count || ended_;
    };
    mu_.AwaitWithTimeout(absl::Condition(&seen), absl::FromChrono(kTimeout));
    return seen() && !(ended_ && err_.find(text) == std::string::npos);
  }

  // Waits for the process to end; waitpid's status.
  absl::StatusOr<int> AwaitExit() {
    if (!AwaitEnd()) return absl::DeadlineExceededError("still running");
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

  void Signal(int signal) { kill(pid_, signal); }
  int http_port() const { return http_port_; }
  int grpc_port() const { return grpc_port_; }
  std::string log() {
    absl::MutexLock lock(&mu_);
    return err_;
  }

 private:
  // Until both pipes end (the process is gone).
  void Read(int out, int err) {
    pollfd fds[2] = {{out, POLLIN, 0}, {err, POLLIN, 0}};
    int open = 2;
    while (open > 0) {
      if (poll(fds, 2, -1) < 0) continue;
      for (auto& p : fds) {
        if (p.fd < 0 || p.revents == 0) continue;
        char buf[4096];
        const ssize_t n = read(p.fd, buf, sizeof buf);
        absl::MutexLock lock(&mu_);
        if (n <= 0) {
          close(p.fd);
          p.fd = -1;
          --open;
          continue;
        }
        (p.fd == out ? out_ : err_).append(buf, static_cast<std::size_t>(n));
      }
    }
    absl::MutexLock lock(&mu_);
    ended_ = true;
  }

  bool AwaitEnd() {
    absl::MutexLock lock(&mu_);
    auto ended = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return ended_; };
    return mu_.AwaitWithTimeout(absl::Condition(&ended),
                                absl::FromChrono(kTimeout));
  }

  pid_t pid_ = -1;
  int http_port_ = 0;
  int grpc_port_ = 0;
  std::thread reader_;
  absl::Mutex mu_;
  std::string out_ ABSL_GUARDED_BY(mu_);
  std::string err_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
};

std::unique_ptr<LoggedServer> StartTlsServer(
    const std::string& cert, const std::string& key,
    std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--host=127.0.0.1",   "--port=0",
                                   "--grpc_port=0",      "--log_level=info",
                                   "--tls_cert=" + cert, "--tls_key=" + key};
  args.insert(args.end(), extra.begin(), extra.end());
  auto server = std::make_unique<LoggedServer>(args);
  if (auto s = server->AwaitListening(); !s.ok()) {
    throw std::runtime_error(s.ToString());
  }
  return server;
}

// Runs `ioc` until the operation started by `start` completes; every
// operation is bounded by the tcp_stream's expiry, set before.
template <class Start>
beast::error_code Run(net::io_context& ioc, Start start) {
  bool done = false;
  beast::error_code result;
  start([&](beast::error_code ec, auto&&...) {
    result = ec;
    done = true;
  });
  ioc.restart();
  while (!done && ioc.run_one() > 0) {
  }
  return done ? result : beast::error_code(net::error::timed_out);
}

std::unique_ptr<ssl::context> TrustOnly(const std::vector<std::string>& cas) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  for (const auto& ca : cas) ctx->load_verify_file(ca);
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

// Connects `socket` to 127.0.0.1:port and runs the TLS handshake, checking
// the certificate against the trusted CAs and the address.
absl::Status ConnectTls(net::io_context& ioc, TlsSocket& socket, int port,
                        int receive_buffer = 0) {
  auto& tcp_stream = beast::get_lowest_layer(socket);
  if (receive_buffer > 0) {
    tcp_stream.socket().open(tcp::v4());
    tcp_stream.socket().set_option(
        net::socket_base::receive_buffer_size(receive_buffer));
  }
  tcp_stream.expires_after(kTimeout);
  const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"),
                               static_cast<unsigned short>(port));
  if (auto ec =
          Run(ioc, [&](auto h) { tcp_stream.async_connect(endpoint, h); })) {
    return absl::UnavailableError("connect: " + ec.message());
  }
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(socket.native_handle()),
                                "127.0.0.1");
  tcp_stream.expires_after(kTimeout);
  if (auto ec = Run(ioc, [&](auto h) {
        socket.async_handshake(ssl::stream_base::client, h);
      })) {
    return absl::UnavailableError("TLS handshake: " + ec.message());
  }
  return absl::OkStatus();
}

// Whether `socket`'s peer presented the certificate in the PEM file `path`.
bool Presents(TlsSocket& socket, const std::string& path) {
  X509* peer = SSL_get1_peer_certificate(socket.native_handle());
  BIO* bio = BIO_new_file(path.c_str(), "r");
  X509* expected =
      bio ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
  const bool same = peer && expected && X509_cmp(peer, expected) == 0;
  X509_free(peer);
  X509_free(expected);
  BIO_free(bio);
  return same;
}

// An Action Cable client over wss://.
class WssClient final {
 public:
  static absl::StatusOr<std::unique_ptr<WssClient>> Connect(
      int port, const std::vector<std::string>& cas, int receive_buffer = 0) {
    std::unique_ptr<WssClient> c(new WssClient(TrustOnly(cas)));
    if (auto s = ConnectTls(c->ioc_, c->ws_.next_layer(), port, receive_buffer);
        !s.ok()) {
      return s;
    }
    c->ws_.set_option(
        websocket::stream_base::decorator([](websocket::request_type& req) {
          req.set(http::field::sec_websocket_protocol, "actioncable-v1-json");
        }));
    c->expire();
    if (auto ec = Run(c->ioc_, [&](auto h) {
          c->ws_.async_handshake(absl::StrCat("127.0.0.1:", port), "/cable", h);
        })) {
      return absl::UnavailableError("WebSocket handshake: " + ec.message());
    }
    return c;
  }

  TlsSocket& tls() { return ws_.next_layer(); }

  absl::Status Send(const std::string& text) {
    expire();
    ws_.text(true);
    auto ec = Run(ioc_, [&](auto h) { ws_.async_write(net::buffer(text), h); });
    return ec ? absl::UnavailableError("send: " + ec.message())
              : absl::OkStatus();
  }

  // The next message that is not a ping, within the timeout in all
  // (pings keep coming: each read alone would never time out).
  absl::StatusOr<json> Receive() {
    return Receive(std::chrono::steady_clock::now() + kTimeout);
  }
  absl::StatusOr<json> Receive(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      buffer_.clear();
      beast::get_lowest_layer(ws_).expires_at(deadline);
      if (auto ec = Run(ioc_, [&](auto h) { ws_.async_read(buffer_, h); })) {
        return absl::UnavailableError("receive: " + ec.message());
      }
      json m =
          json::parse(beast::buffers_to_string(buffer_.data()), nullptr, false);
      if (m.is_object() && m.value("type", "") == "ping") continue;
      return m;
    }
  }

  // Subscribes; the type of the answer.
  absl::StatusOr<std::string> Subscribe(const std::string& identifier) {
    auto s =
        Send(json{{"command", "subscribe"}, {"identifier", identifier}}.dump());
    if (!s.ok()) return s;
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    for (;;) {
      auto m = Receive(deadline);
      if (!m.ok()) return m.status();
      if (m->value("identifier", "") == identifier && m->contains("type")) {
        return m->value("type", "");
      }
    }
  }

  // The "message" of the next data frame for `identifier`.
  absl::StatusOr<json> NextMessage(const std::string& identifier) {
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    for (;;) {
      auto m = Receive(deadline);
      if (!m.ok()) return m.status();
      if (m->contains("message") && m->value("identifier", "") == identifier) {
        return (*m)["message"];
      }
    }
  }

 private:
  explicit WssClient(std::unique_ptr<ssl::context> ctx)
      : ctx_(std::move(ctx)), ws_(ioc_, *ctx_) {}
  void expire() { beast::get_lowest_layer(ws_).expires_after(kTimeout); }

  net::io_context ioc_;
  std::unique_ptr<ssl::context> ctx_;
  websocket::stream<TlsSocket> ws_;
  beast::flat_buffer buffer_;
};

std::unique_ptr<WssClient> Welcomed(int port,
                                    const std::vector<std::string>& cas,
                                    int receive_buffer = 0) {
  auto client = WssClient::Connect(port, cas, receive_buffer);
  EXPECT_TRUE(client.ok()) << client.status();
  if (!client.ok()) return nullptr;
  auto welcome = (*client)->Receive();
  EXPECT_TRUE(welcome.ok()) << welcome.status();
  if (!welcome.ok() || welcome->value("type", "") != "welcome") {
    ADD_FAILURE() << "no welcome";
    return nullptr;
  }
  return std::move(*client);
}

// Raw bytes over TLS (no WebSocket layer): what the server sends, and how
// its TLS stream ends.
struct RawTls {
  net::io_context ioc;
  std::unique_ptr<ssl::context> ctx;
  TlsSocket socket;

  explicit RawTls(const std::vector<std::string>& cas)
      : ctx(TrustOnly(cas)), socket(ioc, *ctx) {}

  beast::error_code write(const std::string& bytes) {
    beast::get_lowest_layer(socket).expires_after(kTimeout);
    return Run(
        ioc, [&](auto h) { net::async_write(socket, net::buffer(bytes), h); });
  }

  // Reads until the stream ends; returns how (eof: close_notify came).
  beast::error_code read_to_end(std::string& out) {
    for (;;) {
      char buf[4096];
      std::size_t got = 0;
      beast::get_lowest_layer(socket).expires_after(kTimeout);
      auto ec = Run(ioc, [&](auto h) {
        socket.async_read_some(net::buffer(buf),
                               [&got, h](beast::error_code ec, std::size_t n) {
                                 got = n;
                                 h(ec);
                               });
      });
      out.append(buf, got);
      if (ec) return ec;
    }
  }
};

class TlsWebSocket : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    a_.emplace(Must(TestCertificates::Make()));
    b_.emplace(Must(TestCertificates::Make()));
  }
  static void TearDownTestSuite() {
    a_.reset();
    b_.reset();
  }
  void SetUp() override {
    ASSERT_TRUE(a_.has_value() && b_.has_value()) << "no test certificates";
  }

  // Two unrelated sets: each a CA and a server certificate for 127.0.0.1
  // it signed (different keys, serials, issuers).
  static const TestCertificates& a() { return *a_; }
  static const TestCertificates& b() { return *b_; }
  static std::unique_ptr<LoggedServer> StartA(
      std::vector<std::string> extra = {}) {
    return StartTlsServer(a().path("server.pem"), a().path("server.key"),
                          std::move(extra));
  }
  static std::vector<std::string> TrustA() { return {a().path("ca.pem")}; }

 private:
  static inline std::optional<TestCertificates> a_;
  static inline std::optional<TestCertificates> b_;
};

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
  ASSERT_FALSE(https.write(
      "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
  std::string answer;
  // eof from the TLS layer is close_notify; an end without it would be
  // ssl::error::stream_truncated.
  EXPECT_EQ(https.read_to_end(answer), net::error::eof);
  EXPECT_THAT(answer, HasSubstr("HTTP/1.1 200 OK"));
  EXPECT_THAT(answer, HasSubstr("\r\n\r\nok\n"));
}

TEST_F(TlsWebSocket, WebSocketCloseEndsWithCloseNotify) {
  auto server = StartA();
  RawTls raw(TrustA());
  ASSERT_TRUE(ConnectTls(raw.ioc, raw.socket, server->http_port()).ok());
  // The upgrade and a close frame (masked, code 1000) in one write: the
  // frame arrives with the request, before the answer.
  ASSERT_FALSE(raw.write(
      "GET /cable HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Protocol: actioncable-v1-json\r\n\r\n" +
      std::string("\x88\x82\0\0\0\0\x03\xe8", 8)));
  std::string answer;
  EXPECT_EQ(raw.read_to_end(answer), net::error::eof);
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
}  // namespace cable::testing
