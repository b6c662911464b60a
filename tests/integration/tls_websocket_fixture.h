#pragma once
// The fixture of the wss:// end-to-end tests (tls_websocket_test.cc): the
// real cable-server as a child whose log is read as it comes, Boost.Beast
// clients over TLS that trust a chosen CA, raw TLS connections, and the
// test certificates.

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

namespace cable::testing::tls_websocket {

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

inline std::unique_ptr<LoggedServer> StartTlsServer(
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
inline beast::error_code Run(net::io_context& ioc, Start start) {
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

inline std::unique_ptr<ssl::context> TrustOnly(
    const std::vector<std::string>& cas) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  for (const auto& ca : cas) ctx->load_verify_file(ca);
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

// Connects `socket` to 127.0.0.1:port and runs the TLS handshake, checking
// the certificate against the trusted CAs and the address.
inline absl::Status ConnectTls(net::io_context& ioc, TlsSocket& socket,
                               int port, int receive_buffer = 0) {
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
inline bool Presents(TlsSocket& socket, const std::string& path) {
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
    c->Expire();
    if (auto ec = Run(c->ioc_, [&](auto h) {
          c->ws_.async_handshake(absl::StrCat("127.0.0.1:", port), "/cable", h);
        })) {
      return absl::UnavailableError("WebSocket handshake: " + ec.message());
    }
    return c;
  }

  TlsSocket& tls() { return ws_.next_layer(); }

  absl::Status Send(const std::string& text) {
    Expire();
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
  void Expire() { beast::get_lowest_layer(ws_).expires_after(kTimeout); }

  net::io_context ioc_;
  std::unique_ptr<ssl::context> ctx_;
  websocket::stream<TlsSocket> ws_;
  beast::flat_buffer buffer_;
};

inline std::unique_ptr<WssClient> Welcomed(int port,
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

  beast::error_code Write(const std::string& bytes) {
    beast::get_lowest_layer(socket).expires_after(kTimeout);
    return Run(
        ioc, [&](auto h) { net::async_write(socket, net::buffer(bytes), h); });
  }

  // Reads until the stream ends; returns how (eof: close_notify came).
  beast::error_code ReadToEnd(std::string& out) {
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

}  // namespace cable::testing::tls_websocket
